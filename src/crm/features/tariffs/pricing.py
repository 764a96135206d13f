"""The cost of a telegram: the one place the price rule lives. Pure: prices in, quote out, no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from crm.lib.i18n import N_

RUSSIA = "Россия"
CATEGORIES = ("ordinary", "urgent", "post", "box")
NOTIFICATIONS = ("none", "ordinary", "urgent")
BLANKS = ("none", "lux", "lux_v")
PAID_REPLY_WORDS = 15
# Readable names of the codes above (translated where shown).
CATEGORY_LABELS: dict[str, str] = {
    "ordinary": N_("ordinary"),
    "urgent": N_("urgent"),
    "post": N_("by registered post"),
    "box": N_("poste restante / PO box"),
}
NOTIFICATION_LABELS: dict[str, str] = {
    "none": N_("none"),
    "ordinary": N_("ordinary notification"),
    "urgent": N_("urgent notification"),
}
BLANK_LABELS: dict[str, str] = {"none": N_("none"), "lux": "ЛЮКС", "lux_v": "ЛЮКС/В"}
KOPECK = Decimal("0.01")

# Warning texts (translated where shown); the codes are stable for the API and tests.
WARNINGS: dict[str, str] = {
    "notification_with_post": N_("A notification cannot go with delivery by registered post."),
    "notification_with_box": N_("A notification cannot go with poste restante / PO box delivery."),
    "notification_with_paid_reply": N_("A notification cannot go with a paid reply."),
    "urgent_notification_with_deliver_on_date": N_("An urgent notification cannot go with delivery on a set date."),
    "deliver_on_date_with_urgent": N_("Delivery on a set date cannot go with an urgent telegram."),
    "deliver_on_date_with_post": N_("Delivery on a set date cannot go with delivery by registered post."),
    "deliver_on_date_with_box": N_("Delivery on a set date cannot go with poste restante / PO box delivery."),
    "deliver_on_date_with_paid_reply": N_("Delivery on a set date cannot go with a paid reply."),
    "paid_reply_with_post": N_("A paid reply cannot go with delivery by registered post."),
    "paid_reply_with_box": N_("A paid reply cannot go with poste restante / PO box delivery."),
    "blank_with_paid_reply": N_("An artistic blank cannot go with a paid reply."),
    "country_post": N_("Delivery by registered post is not allowed in this country."),
    "country_box": N_("Poste restante / PO box delivery is not allowed in this country."),
    "country_notification_ordinary": N_("An ordinary notification is not allowed in this country."),
    "country_notification_urgent": N_("An urgent notification is not allowed in this country."),
    "country_lux": N_("The ЛЮКС blank is not allowed in this country."),
    "country_lux_v": N_("The ЛЮКС/В blank is not allowed in this country."),
    "country_deliver_on_date": N_("Delivery on a set date (ВРУЧИТЬ) is not allowed in this country."),
}


@dataclass(frozen=True)
class RussianPrices:
    """The Russian tariff in force: every price except, abroad, the per-word one."""

    delivery_ordinary: Decimal
    delivery_urgent: Decimal
    delivery_post: Decimal
    delivery_box: Decimal
    word_ordinary: Decimal
    word_urgent: Decimal
    notification_ordinary: Decimal
    notification_urgent: Decimal
    lux: Decimal
    lux_v: Decimal
    deliver_on_date: Decimal
    vat_percent: Decimal


@dataclass(frozen=True)
class CountryRules:
    """A destination abroad: the kinds allowed there and its per-word prices in force."""

    name: str
    word_ordinary: Decimal
    word_urgent: Decimal
    allow_post: bool = True
    allow_box: bool = True
    allow_notification_ordinary: bool = True
    allow_notification_urgent: bool = True
    allow_lux: bool = True
    allow_lux_v: bool = True
    allow_deliver_on_date: bool = True


@dataclass(frozen=True)
class QuoteInput:
    words: int = 0
    category: str = "ordinary"
    notification: str = "none"
    blank: str = "none"
    deliver_on_date: bool = False
    paid_reply: bool = False


@dataclass(frozen=True)
class Quote:
    delivery: Decimal
    words: Decimal
    notification: Decimal
    blank: Decimal
    deliver_on_date: Decimal
    paid_reply: Decimal
    total: Decimal
    vat: Decimal
    total_with_vat: Decimal
    warnings: list[str] = field(default_factory=list)

    @property
    def components(self) -> dict[str, Decimal]:
        return {
            "delivery": self.delivery,
            "words": self.words,
            "notification": self.notification,
            "blank": self.blank,
            "deliver_on_date": self.deliver_on_date,
            "paid_reply": self.paid_reply,
        }


class QuoteError(ValueError):
    """No cost can be computed; ``field`` names the input at fault."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


def money(value: Decimal) -> Decimal:
    return value.quantize(KOPECK, rounding=ROUND_HALF_UP)


def warnings_for(params: QuoteInput, country: CountryRules | None) -> list[str]:
    """Every incompatible pair and every kind the destination does not allow, in a stable order."""
    p = params
    found: list[str] = []
    notify = p.notification != "none"
    checks = [
        ("notification_with_post", notify and p.category == "post"),
        ("notification_with_box", notify and p.category == "box"),
        ("notification_with_paid_reply", notify and p.paid_reply),
        ("urgent_notification_with_deliver_on_date", p.notification == "urgent" and p.deliver_on_date),
        ("deliver_on_date_with_urgent", p.deliver_on_date and p.category == "urgent"),
        ("deliver_on_date_with_post", p.deliver_on_date and p.category == "post"),
        ("deliver_on_date_with_box", p.deliver_on_date and p.category == "box"),
        ("deliver_on_date_with_paid_reply", p.deliver_on_date and p.paid_reply),
        ("paid_reply_with_post", p.paid_reply and p.category == "post"),
        ("paid_reply_with_box", p.paid_reply and p.category == "box"),
        ("blank_with_paid_reply", p.blank != "none" and p.paid_reply),
    ]
    if country is not None:
        checks += [
            ("country_post", p.category == "post" and not country.allow_post),
            ("country_box", p.category == "box" and not country.allow_box),
            (
                "country_notification_ordinary",
                p.notification == "ordinary" and not country.allow_notification_ordinary,
            ),
            (
                "country_notification_urgent",
                p.notification == "urgent" and not country.allow_notification_urgent,
            ),
            ("country_lux", p.blank == "lux" and not country.allow_lux),
            ("country_lux_v", p.blank == "lux_v" and not country.allow_lux_v),
            ("country_deliver_on_date", p.deliver_on_date and not country.allow_deliver_on_date),
        ]
    found = [code for code, hit in checks if hit]
    return found


def validate_input(params: QuoteInput) -> None:
    if params.words < 0:
        raise QuoteError("words", N_("The number of words cannot be negative."))
    if params.category not in CATEGORIES:
        raise QuoteError("delivery", N_("Delivery must be one of ordinary, urgent, post, box."))
    if params.notification not in NOTIFICATIONS:
        raise QuoteError("notification", N_("Notification must be one of none, ordinary, urgent."))
    if params.blank not in BLANKS:
        raise QuoteError("blank", N_("Blank must be one of none, lux, lux_v."))


def price(params: QuoteInput, russian: RussianPrices, country: CountryRules | None = None) -> Quote:
    """The cost of a telegram by the tariff in force; abroad only the per-word price is the country's."""
    validate_input(params)
    r = russian
    delivery = {
        "ordinary": r.delivery_ordinary,
        "urgent": r.delivery_urgent,
        "post": r.delivery_post,
        "box": r.delivery_box,
    }[params.category]
    word_ordinary = country.word_ordinary if country else r.word_ordinary
    word_urgent = country.word_urgent if country else r.word_urgent
    words = params.words * (word_urgent if params.category == "urgent" else word_ordinary)
    notification = {"none": Decimal(0), "ordinary": r.notification_ordinary, "urgent": r.notification_urgent}[
        params.notification
    ]
    blank = {"none": Decimal(0), "lux": r.lux, "lux_v": r.lux_v}[params.blank]
    deliver_on_date = r.deliver_on_date if params.deliver_on_date else Decimal(0)
    paid_reply = r.delivery_ordinary + PAID_REPLY_WORDS * r.word_ordinary if params.paid_reply else Decimal(0)
    parts = [money(x) for x in (delivery, words, notification, blank, deliver_on_date, paid_reply)]
    total = sum(parts, Decimal(0))
    vat = money(total * r.vat_percent / 100)
    return Quote(
        delivery=parts[0],
        words=parts[1],
        notification=parts[2],
        blank=parts[3],
        deliver_on_date=parts[4],
        paid_reply=parts[5],
        total=total,
        vat=vat,
        total_with_vat=total + vat,
        warnings=warnings_for(params, country),
    )
