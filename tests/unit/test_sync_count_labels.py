"""The counts of a Bitrix24 run are shown in words on the Integrations screen."""

from __future__ import annotations

from crm.features.clients.integrations import count_label
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
