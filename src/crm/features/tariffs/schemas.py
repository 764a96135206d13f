"""API bodies of the tariffs slice (msgspec)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from crm.features.tariffs.models import Telegram
from crm.features.tariffs.pricing import Quote


class Components(msgspec.Struct):
    delivery: str
    words: str
    notification: str
    blank: str
    deliver_on_date: str
    paid_reply: str


class QuoteOut(msgspec.Struct):
    date: str
    country: str
    components: Components
    total: str
    vat: str
    total_with_vat: str
    warnings: list[str]
    warning_codes: list[str]


class DetectedOut(msgspec.Struct):
    country: str
    words: int
    delivery: str
    notification: str
    blank: str
    deliver_on_date: bool
    paid_reply: bool


TelegramNumber = Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)]


class TelegramQuoteOut(msgspec.Struct):
    un_name: str
    detected: DetectedOut
    quote: QuoteOut


class TelegramOut(msgspec.Struct):
    un_name: str
    inp_gate_date: datetime
    inp_chan: str
    inp_num: int | None
    inp_prz: str
    ref: str
    kn: str
    categ: str
    fl_uved: bool
    fl_urgent: bool
    pp: str
    address: str
    subscribe: str
    out_gate_date: datetime | None
    out_chan: str
    out_num: int | None
    out_prz: str


class TelegramIn(msgspec.Struct, forbid_unknown_fields=True):
    un_name: Annotated[str, msgspec.Meta(min_length=1, max_length=64, examples=["op0441e14.q"])]
    inp_gate_date: Annotated[datetime, msgspec.Meta(examples=["2022-08-01T11:47:34+03:00"])]
    inp_chan: Annotated[str, msgspec.Meta(min_length=1, max_length=32, examples=["123002/02"])]
    inp_num: TelegramNumber | None = None
    inp_prz: Annotated[str, msgspec.Meta(max_length=120)] = ""
    ref: Annotated[str, msgspec.Meta(max_length=120)] = ""
    kn: Annotated[str, msgspec.Meta(max_length=32)] = ""
    categ: Annotated[str, msgspec.Meta(max_length=8, examples=["ПУ"])] = ""
    fl_uved: bool = False
    fl_urgent: bool = False
    pp: Annotated[str, msgspec.Meta(examples=["РОСТОВ-НА-ДОНУ 2/105 92 01/08 1138"])] = ""
    address: str = ""
    subscribe: str = ""
    out_gate_date: datetime | None = None
    out_chan: Annotated[str, msgspec.Meta(max_length=32)] = ""
    out_num: TelegramNumber | None = None
    out_prz: Annotated[str, msgspec.Meta(max_length=120)] = ""


class TelegramPatch(msgspec.Struct, forbid_unknown_fields=True):
    inp_gate_date: datetime | msgspec.UnsetType = msgspec.UNSET
    inp_chan: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] | msgspec.UnsetType = msgspec.UNSET
    inp_num: TelegramNumber | msgspec.UnsetType | None = msgspec.UNSET
    inp_prz: Annotated[str, msgspec.Meta(max_length=120)] | msgspec.UnsetType = msgspec.UNSET
    ref: Annotated[str, msgspec.Meta(max_length=120)] | msgspec.UnsetType = msgspec.UNSET
    kn: Annotated[str, msgspec.Meta(max_length=32)] | msgspec.UnsetType = msgspec.UNSET
    categ: Annotated[str, msgspec.Meta(max_length=8)] | msgspec.UnsetType = msgspec.UNSET
    fl_uved: bool | msgspec.UnsetType = msgspec.UNSET
    fl_urgent: bool | msgspec.UnsetType = msgspec.UNSET
    pp: str | msgspec.UnsetType = msgspec.UNSET
    address: str | msgspec.UnsetType = msgspec.UNSET
    subscribe: str | msgspec.UnsetType = msgspec.UNSET
    out_gate_date: datetime | msgspec.UnsetType | None = msgspec.UNSET
    out_chan: Annotated[str, msgspec.Meta(max_length=32)] | msgspec.UnsetType = msgspec.UNSET
    out_num: TelegramNumber | msgspec.UnsetType | None = msgspec.UNSET
    out_prz: Annotated[str, msgspec.Meta(max_length=120)] | msgspec.UnsetType = msgspec.UNSET


def telegram_out(t: Telegram) -> TelegramOut:
    return TelegramOut(**{f: getattr(t, f) for f in TelegramOut.__struct_fields__})


def _s(value: Any) -> str:
    return f"{value:.2f}"


def quote_out(when: str, country: str, quote: Quote, warnings: list[str]) -> QuoteOut:
    c = quote.components
    return QuoteOut(
        date=when,
        country=country,
        components=Components(**{k: _s(v) for k, v in c.items()}),
        total=_s(quote.total),
        vat=_s(quote.vat),
        total_with_vat=_s(quote.total_with_vat),
        warnings=warnings,
        warning_codes=list(quote.warnings),
    )
