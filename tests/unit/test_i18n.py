"""Translations: the Russian catalogue covers every string of the sources; numbers follow the language.

The extraction here is the one `make messages` runs (babel.cfg, the same keywords), done in-process, so a
new `_("...")` without a Russian translation fails this file with the list of what to translate.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po

from crm.lib import i18n

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "src" / "crm"
RU_PO = SOURCES / "locale" / "ru" / "LC_MESSAGES" / "messages.po"
EN_PO = SOURCES / "locale" / "en" / "LC_MESSAGES" / "messages.po"
# The keywords of `make messages` (pybabel extract -k _ -k N_ -k gettext -k ngettext:1,2 -k lazy_gettext).
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    **parse_keywords(["_", "N_", "NP_:1c,2", "gettext", "ngettext:1,2", "lazy_gettext"]),
}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")
NBSP = "\u00a0"


def _extracted() -> dict[str, tuple[str | tuple[str, ...], list[str]]]:
    """msgid → (message as extracted, where it is used), from the current sources with babel.cfg; a message with a
    context (pgettext, NP_) is keyed "context\x04msgid", as gettext stores it."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, filename=str(ROOT / "babel.cfg"))
    found: dict[str, tuple[str | tuple[str, ...], list[str]]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(SOURCES), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if not msgid:
            continue
        if context:
            msgid = f"{context}\x04{msgid}"
        found.setdefault(msgid, (message, []))[1].append(f"src/crm/{filename}:{lineno}")
    return found


def _catalogue(path: Path, locale: str) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def _stray_percent(text: str) -> bool:
    """A '%' that is neither a %(name)s placeholder nor '%%' breaks the %-formatting of the message."""
    return "%" in PLACEHOLDER.sub("", text).replace("%%", "")


@pytest.fixture(scope="module")
def extracted() -> dict[str, tuple[str | tuple[str, ...], list[str]]]:
    return _extracted()


@pytest.fixture(scope="module")
def ru() -> Catalog:
    return _catalogue(RU_PO, "ru")


@pytest.fixture
def locale() -> Iterator[object]:
    """Switch the language for one test and restore it afterwards."""
    tokens = []

    def switch(code: str) -> None:
        tokens.append(i18n.set_locale(code))

    yield switch
    for token in reversed(tokens):
        i18n._current.reset(token)


def test_the_sources_have_strings_to_translate_and_babel_cfg_finds_python_and_templates(extracted):
    places = [place for _message, where in extracted.values() for place in where]
    assert any(place.split(":")[0].endswith(".py") for place in places), "no string found in Python files"
    assert any("/templates/" in place for place in places), "no {{ _('...') }} found in the templates"
    assert "Sign in" in extracted  # a template string
    assert "Wrong email or password." in extracted  # an N_() string in Python


def test_every_string_of_the_sources_has_a_russian_translation(extracted, ru):
    missing = []
    for msgid, (message, where) in sorted(extracted.items()):
        context, _sep, plain = msgid.rpartition("\x04")
        entry = ru.get(plain, context=context or None)
        if entry is None:
            problem = "not in the catalogue (run `make messages`)"
        elif entry.fuzzy:
            problem = "fuzzy"
        elif isinstance(message, tuple) and (
            not isinstance(entry.string, tuple) or len(entry.string) != ru.num_plurals or not all(entry.string)
        ):
            problem = f"needs {ru.num_plurals} plural forms"
        elif not entry.string or not all(entry.string):
            problem = "empty translation"
        else:
            continue
        missing.append(f"  {msgid!r}: {problem} — used at {', '.join(where)}")
    assert not missing, (
        f"{len(missing)} message(s) lack a Russian translation in {RU_PO.relative_to(ROOT)}:\n" + "\n".join(missing)
    )


def test_the_english_catalogue_exists_and_russian_has_three_plural_forms(ru):
    assert EN_PO.exists()
    assert ru.num_plurals == 3


def test_russian_translations_keep_the_placeholders_of_the_english_text(ru):
    wrong = []
    for entry in ru:
        if not entry.id or not entry.string:
            continue
        if isinstance(entry.id, tuple):
            expected = _placeholders(entry.id[1]) | _placeholders(entry.id[0])
            forms = list(entry.string)
        else:
            expected = _placeholders(entry.id)
            forms = [entry.string]
        for form in forms:
            if _placeholders(form) != expected or _stray_percent(form):
                wrong.append(f"  {entry.id!r} → {form!r}: expected placeholders {sorted(expected)}")
    assert not wrong, "Russian translations with wrong placeholders:\n" + "\n".join(wrong)


def test_gettext_speaks_russian_for_ru(locale):
    locale("ru")
    assert i18n.gettext("Sign in") == "Войти"
    assert i18n.gettext("Wrong email or password.") == "Неверный email или пароль."
    assert i18n.gettext("Reload the page and submit it again.") == "Обновите страницу и отправьте форму ещё раз."
    assert (
        i18n.gettext("Too many failed attempts. Try again in %(minutes)s min.", minutes=15)
        == "Слишком много неудачных попыток. Повторите через 15 мин."
    )


def test_gettext_speaks_english_for_en(locale):
    locale("en")
    assert i18n.gettext("Sign in") == "Sign in"
    assert i18n.gettext("Wrong email or password.") == "Wrong email or password."
    assert (
        i18n.gettext("Too many failed attempts. Try again in %(minutes)s min.", minutes=15)
        == "Too many failed attempts. Try again in 15 min."
    )


def test_an_unknown_language_falls_back_to_russian(locale):
    locale("de-DE")
    assert i18n.get_locale() == "ru"
    assert i18n.gettext("Sign out") == "Выйти"


def test_money_in_russian_groups_thousands_with_a_no_break_space_and_uses_a_decimal_comma(locale):
    locale("ru")
    assert i18n.fmt_money(Decimal("1234567.5")) == f"1{NBSP}234{NBSP}567,50"


def test_money_in_english_groups_thousands_with_commas_and_uses_a_decimal_point(locale):
    locale("en")
    assert i18n.fmt_money(Decimal("1234567.5")) == "1,234,567.50"


def test_an_amount_in_an_input_uses_the_locales_decimal_sign_without_grouping(locale):
    locale("ru")
    assert i18n.fmt_amount_input(Decimal("1601.7")) == "1601,70"
    locale("en")
    assert i18n.fmt_amount_input(Decimal("1601.7")) == "1601.70"
    assert i18n.fmt_amount_input(None) == ""


def test_a_month_in_a_title_is_written_in_words_not_as_digits(locale):
    from datetime import date

    locale("ru")
    assert i18n.fmt_month(date(2026, 12, 1)) == "декабрь 2026"
    assert i18n.gettext("Registries of %(month)s", month=i18n.fmt_month(date(2026, 3, 1))) == "Реестры за март 2026"
    locale("en")
    assert i18n.fmt_month(date(2026, 12, 1)) == "December 2026"


def test_a_registry_status_agrees_in_gender_with_registry_and_a_contact_with_contact(locale):
    from crm.features.tariffs import registries

    locale("ru")
    assert [registries.status_label(s) for s in ("draft", "formed", "closed")] == ["черновик", "сформирован", "закрыт"]
    assert i18n.gettext("closed") == "закрыто"  # a lead contact (обращение)
    locale("en")
    assert registries.status_label("closed") == "closed"


def test_a_notification_agrees_with_its_noun_not_with_the_telegrams_category(locale):
    from crm.features.tariffs.registry_view import _notification_label

    locale("ru")
    assert (_notification_label("ordinary"), _notification_label("urgent")) == ("обыкновенное", "срочное")
    assert i18n.gettext("ordinary") == "обыкновенная"  # a telegram (телеграмма) of the ordinary category
    assert i18n.gettext("signature: %(name)s", name="Белова") == "подпись: Белова"
