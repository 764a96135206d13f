"""The counts of a Bitrix24 run are shown in words on the Integrations screen."""

from __future__ import annotations

from crm.features.clients.integrations import count_label, run_counts
from crm.lib import i18n


def test_count_keys_read_as_words_in_both_languages() -> None:
    token = i18n.set_locale("en")
    try:
        assert count_label("deals") == "deals"
        assert count_label("deals_deleted") == "deals made inactive"
        assert count_label("figures_manager_days") == "manager-day figures updated"
        assert count_label("something_new") == "something_new"
    finally:
        i18n._current.reset(token)
    token = i18n.set_locale("ru")
    try:
        assert count_label("deals_deleted") != "deals made inactive"
        assert "deals" not in count_label("deals")
    finally:
        i18n._current.reset(token)


def test_a_runs_counts_are_ordered_and_joined_without_a_trailing_comma() -> None:
    token = i18n.set_locale("en")
    try:
        text = run_counts({"deals_deleted": 2, "calls": 0, "companies": 1200, "deals": 5})
        assert text == "companies: 1,200, deals: 5, deals made inactive: 2"
    finally:
        i18n._current.reset(token)


def test_the_audit_log_names_the_bitrix24_connection_and_its_fields() -> None:
    import crm.features.clients  # noqa: F401  (registers the slice's audit labels)
    from crm.features.accounts.audit_labels import audit_label, audit_value

    token = i18n.set_locale("en")
    try:
        assert audit_label("bitrix24_settings") == "Bitrix24 connection"
        assert audit_label("webhook_url") == "Webhook URL"
        assert audit_value("mode", "app") == "local application"
    finally:
        i18n._current.reset(token)


def test_the_audit_log_names_the_settings_fields() -> None:
    import crm.features.system  # noqa: F401  (registers the slice's audit labels)
    from crm.features.accounts.audit_labels import audit_label

    token = i18n.set_locale("en")
    try:
        assert (audit_label("system_settings"), audit_label("smtp_host")) == ("Settings", "SMTP server")
    finally:
        i18n._current.reset(token)


def test_a_stored_message_marked_for_translation_is_shown_in_the_users_language() -> None:
    from crm.features.accounts.audit_labels import audit_label

    token = i18n.set_locale("ru")
    try:
        assert audit_label("Bitrix24 is not connected.") == "Битрикс24 не подключён."
        assert audit_label("a message nobody translated") == "a message nobody translated"
        assert audit_label("") == ""
    finally:
        i18n._current.reset(token)
