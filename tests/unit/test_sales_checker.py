"""The row checker's short ways (the usual decimal-comma amount, a date text met before) give what the general
rules give, and the reader numbers an invoice's lines counting its rejected rows, as before."""

from __future__ import annotations

import re
from datetime import date

import pytest

from crm.features.sales import rows
from crm.features.sales.pipeline import Outcome, _Reader
from crm.features.sales.reading import Table
from crm.features.sales.rows import Rejected, checker, number_text

AMOUNTS = [
    "1\u00a0234,50", "1 234 567,8", "0,5", ",5", "5,", "12,345,67", "1.234,56", "1,234.56", "0001234567890123,5",
    "1234567890123,99", "12345678901234,5", "00000000000000000000,1", "1 2 3,4", "-1 234,50", "\u22121 234,50",
    "+12,5", "1,2,3", "١٢,٣", "12,3x", "", " ", "12,", "1 000", "7,000000001",
]  # fmt: skip


def _general(value: str) -> str | None:
    try:
        return number_text(value, "amount_invalid")
    except Rejected:
        return None


@pytest.mark.parametrize("value", AMOUNTS)
def test_the_decimal_comma_short_way_agrees_with_the_general_rules(value, monkeypatch):
    fast = _general(value)
    monkeypatch.setattr(rows, "_COMMA_DECIMAL", re.compile(r"(?!)"))  # never matches: the general rules only
    assert fast == _general(value)


MAPPING = {"date": 0, "invoice": 1, "client_code": 2, "amount": 3}


def test_a_date_text_met_again_gives_the_same_day_and_an_impossible_one_is_rejected_every_time():
    check = checker(MAPPING)
    assert check(["05.11.2026", "A", "C", "1"])[0] == check(["05.11.2026", "B", "C", "2"])[0] == date(2026, 11, 5)
    for _ in range(2):
        with pytest.raises(Rejected) as exc:
            check(["31.02.2026", "A", "C", "1"])
        assert (exc.value.code, exc.value.value) == ("date_invalid", "31.02.2026")


def test_a_rejected_row_keeps_its_place_among_its_invoices_lines_and_clients_are_keyed_by_their_name_key():
    data = [
        ["2026-11-01", "A", "C1", "10"],
        ["2026-11-01", " A ", "C1", "ten"],  # rejected: still line 2 of invoice A
        ["2026-11-01", "A", "C1", "30"],
        ["2026-11-01", "B", "", "40", "ООО  Ромашка"],
        ["2026-11-01", "B", "", "50", "ооо ромашка"],
    ]
    reader = _Reader(Table("csv", ["date", "invoice", "client_code", "amount", "client_name"], iter(data)),
                     {**MAPPING, "client_name": 4}, Outcome())  # fmt: skip
    batch = reader.next_batch()
    assert [(r[0], r[2], r[4], r[9]) for r in batch] == [(2, "A", 1, 1), (4, "A", 3, 1), (5, "B", 1, 2), (6, "B", 2, 2)]
    assert reader.outcome.rejected == 1 and reader.rejects[0]["row_no"] == 3
    assert list(reader.clients) == [("C1", "", ""), ("", "", "ооо ромашка")]
