"""The goals table's number cells are written as ``| number`` writes them, in each language, without Babel's
per-cell parsing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm.features.goals.pages import whole_numbers
from crm.lib.i18n import fmt_number, set_locale

VALUES = [None, 0, 7, 999, 1000, 12345, 10**12]
VALUES += [Decimal(v) for v in ("0.5", "1.5", "2.5", "1101.50", "1234567.49", "1234567.51", "999999.50", "1.2e10")]


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_whole_numbers_write_what_the_number_filter_writes(locale: str) -> None:
    set_locale(locale)
    whole = whole_numbers()
    assert [whole(v) for v in VALUES] == [fmt_number(v) for v in VALUES]
