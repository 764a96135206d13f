"""The price rule and auto-detection without a database: the spec's reference values and every warning."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from crm.features.tariffs.detect import detect, words_from_header
from crm.features.tariffs.pricing import CountryRules, QuoteError, QuoteInput, RussianPrices, price

D = Decimal
# The Russian tariff of 2021-06-01…2022-09-30 of the fixture.
RU = RussianPrices(
    delivery_ordinary=D("43"),
    delivery_urgent=D("59"),
    delivery_post=D("59"),
    delivery_box=D("43"),
    word_ordinary=D("4"),
    word_urgent=D("5.7"),
    notification_ordinary=D("150"),
    notification_urgent=D("200"),
    lux=D("21"),
    lux_v=D("63"),
    deliver_on_date=D("25"),
    vat_percent=D("20"),
)


@pytest.mark.parametrize(
    ("params", "total"),
    [
        (QuoteInput(words=10), "83.00"),
        (QuoteInput(words=10, category="urgent"), "116.00"),
        (QuoteInput(words=10, category="post"), "99.00"),
        (QuoteInput(words=10, category="box"), "83.00"),
        (QuoteInput(words=10, notification="ordinary"), "233.00"),
        (QuoteInput(words=10, notification="urgent"), "283.00"),
        (QuoteInput(words=10, blank="lux"), "104.00"),
        (QuoteInput(words=10, blank="lux_v"), "146.00"),
        (QuoteInput(words=10, paid_reply=True), "186.00"),
        (QuoteInput(words=10, deliver_on_date=True), "108.00"),
        (QuoteInput(words=10, notification="ordinary", blank="lux"), "254.00"),
    ],
)
def test_the_reference_totals_of_the_spec_come_out_to_the_kopeck(params, total):
    assert str(price(params, RU).total) == total


def test_zero_words_cost_the_delivery_and_vat_is_added_on_top():
    quote = price(QuoteInput(words=0), RU)
    assert (str(quote.total), str(quote.vat), str(quote.total_with_vat)) == ("43.00", "8.60", "51.60")


def test_money_is_rounded_half_up_to_kopecks():
    quote = price(QuoteInput(words=1, category="urgent"), RussianPrices(**{**RU.__dict__, "word_urgent": D("5.705")}))
    assert quote.words == D("5.71")


@pytest.mark.parametrize(
    ("params", "code"),
    [
        (QuoteInput(notification="ordinary", category="post"), "notification_with_post"),
        (QuoteInput(notification="urgent", category="box"), "notification_with_box"),
        (QuoteInput(notification="ordinary", paid_reply=True), "notification_with_paid_reply"),
        (QuoteInput(notification="urgent", deliver_on_date=True), "urgent_notification_with_deliver_on_date"),
        (QuoteInput(category="urgent", deliver_on_date=True), "deliver_on_date_with_urgent"),
        (QuoteInput(category="post", deliver_on_date=True), "deliver_on_date_with_post"),
        (QuoteInput(category="box", deliver_on_date=True), "deliver_on_date_with_box"),
        (QuoteInput(paid_reply=True, deliver_on_date=True), "deliver_on_date_with_paid_reply"),
        (QuoteInput(paid_reply=True, category="post"), "paid_reply_with_post"),
        (QuoteInput(paid_reply=True, category="box"), "paid_reply_with_box"),
        (QuoteInput(paid_reply=True, blank="lux"), "blank_with_paid_reply"),
        (QuoteInput(paid_reply=True, blank="lux_v"), "blank_with_paid_reply"),
    ],
)
def test_every_incompatible_pair_is_warned_and_the_cost_is_still_computed(params, code):
    quote = price(params, RU)
    assert code in quote.warnings
    assert quote.total > 0


def test_all_applicable_warnings_are_listed_not_only_the_last():
    quote = price(
        QuoteInput(notification="urgent", category="box", paid_reply=True, deliver_on_date=True, blank="lux"),
        RU,
    )
    assert set(quote.warnings) >= {
        "notification_with_box",
        "notification_with_paid_reply",
        "urgent_notification_with_deliver_on_date",
        "deliver_on_date_with_box",
        "deliver_on_date_with_paid_reply",
        "paid_reply_with_box",
        "blank_with_paid_reply",
    }


def test_a_compatible_telegram_has_no_warnings():
    assert price(QuoteInput(words=5, notification="ordinary", blank="lux_v"), RU).warnings == []


FORBIDDING = CountryRules(
    name="Грузия",
    word_ordinary=D("30"),
    word_urgent=D("60"),
    allow_post=False,
    allow_box=False,
    allow_notification_ordinary=False,
    allow_notification_urgent=False,
    allow_lux=False,
    allow_lux_v=False,
    allow_deliver_on_date=False,
)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        (QuoteInput(category="post"), "country_post"),
        (QuoteInput(category="box"), "country_box"),
        (QuoteInput(notification="ordinary"), "country_notification_ordinary"),
        (QuoteInput(notification="urgent"), "country_notification_urgent"),
        (QuoteInput(blank="lux"), "country_lux"),
        (QuoteInput(blank="lux_v"), "country_lux_v"),
        (QuoteInput(deliver_on_date=True), "country_deliver_on_date"),
    ],
)
def test_a_kind_the_country_does_not_allow_is_warned(params, code):
    assert code in price(params, RU, FORBIDDING).warnings
    allowing = CountryRules(name="X", word_ordinary=D("30"), word_urgent=D("60"))
    assert code not in price(params, RU, allowing).warnings


def test_abroad_only_the_word_price_is_the_countrys():
    quote = price(QuoteInput(words=10, category="urgent"), RU, FORBIDDING)
    assert quote.delivery == D("59.00")
    assert quote.words == D("600.00")


def test_negative_words_are_an_error_naming_the_field():
    with pytest.raises(QuoteError) as caught:
        price(QuoteInput(words=-1), RU)
    assert caught.value.field == "words"


def _tlg(pp="", address="", fl_uved=False, fl_urgent=False):
    return SimpleNamespace(pp=pp, address=address, fl_uved=fl_uved, fl_urgent=fl_urgent)


@pytest.mark.parametrize(
    ("pp", "words"),
    [
        ("РОСТОВ-НА-ДОНУ 2/105 92 01/08 1138", 92),
        ("МОСКВА 324113 Б/С 01/08 1912", 0),
        ("МОСКВА 324113 30 01/08 1912 ", 30),
        ("ТАГАНРОГ РОСТОВСКОЙ 655/5 19 01/08 1625", 19),
        ("", 0),
    ],
)
def test_words_are_read_after_the_cash_number_of_the_header(pp, words):
    assert words_from_header(pp) == words


@pytest.mark.parametrize(
    ("telegram", "expected"),
    [
        (_tlg(fl_urgent=True), {"category": "urgent"}),
        (_tlg(address="срочная москва"), {"category": "urgent"}),
        (_tlg(address="ПРАВИТЕЛЬСТВЕННАЯ МОСКВА"), {"category": "urgent"}),
        (_tlg(address="ПОЧТОЙ  ЗАКАЗНОЕ МОСКВА"), {"category": "post"}),
        (_tlg(address="МОСКВА ДО ВОСТРЕБОВАНИЯ"), {"category": "box"}),
        (_tlg(address="МОСКВА А/Я 12"), {"category": "box"}),
        (_tlg(address="СРОЧНАЯ ПОЧТОЙ ЗАКАЗНОЕ"), {"category": "urgent"}),
        (_tlg(address="МОСКВА"), {"category": "ordinary", "notification": "none", "blank": "none"}),
        (_tlg(address="УВЕДОМЛЕНИЕ ТЕЛЕГРАФОМ СРОЧНОЕ МОСКВА"), {"notification": "urgent"}),
        (_tlg(address="уведомление  телеграфом МОСКВА"), {"notification": "ordinary"}),
        (_tlg(fl_uved=True), {"notification": "ordinary"}),
        (_tlg(address="ЛЮКС/В МОСКВА"), {"blank": "lux_v"}),
        (_tlg(address="ЛЮКС/И МОСКВА"), {"blank": "lux_v"}),
        (_tlg(address="ЛЮКС МОСКВА"), {"blank": "lux"}),
        (_tlg(address="ДЕЛЮКС МОСКВА"), {"blank": "lux"}),
        (_tlg(address="ВРУЧИТЬ 05/08 МОСКВА"), {"deliver_on_date": True}),
        (_tlg(address="СЛУЖЕБНАЯ МОСКВА КСС"), {"paid_reply": False}),
    ],
)
def test_parameters_are_detected_from_the_telegram(telegram, expected):
    found = detect(telegram)
    assert found.country == "Россия"
    for name, value in expected.items():
        assert getattr(found.params, name) == value
