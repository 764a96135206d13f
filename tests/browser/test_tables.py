"""The list tables of components/table.html keep their promises on two representative lists (users: a paged list with
sortable columns; billing: a month's registries with a totals foot): the header stays in view while the rows scroll
inside their box, a sorted column says so (aria-sort, the address bar), figures align right, the totals row sums
the rows, and at 360 px the page does not scroll sideways (secondary columns fold away or the table scrolls in its
own box)."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.browser.conftest import shot, sign_in
from tests.conftest import DEFAULT_PASSWORD, make_user
from tests.integration.test_tariffs_screens import _billed_month

pytestmark = pytest.mark.browser


async def _page_width(page) -> int:
    return int(await page.evaluate("document.documentElement.scrollWidth"))


async def test_the_users_list_keeps_its_header_in_view_says_its_sort_and_fits_a_phone(page, db):
    await make_user(db, "admin@example.com", ["admin"], name="Анна")
    for i in range(45):
        await make_user(db, f"user{i:02d}@example.com", ["manager"], name=f"Сотрудник {44 - i:02d}")
    await sign_in(page, "admin@example.com", DEFAULT_PASSWORD)
    await page.goto("/users?page_size=40")
    await expect(page.locator("#list tbody tr")).to_have_count(40)
    await shot(page, "table-users")
    assert await _page_width(page) <= page.viewport_size["width"]

    # sticky header: the rows scroll inside .table-wrap, the head row stays at its top edge
    wrap = page.locator("#list .table-wrap")
    head = page.locator("#list thead th").first
    assert await head.evaluate("th => getComputedStyle(th).position") == "sticky"
    await wrap.evaluate("w => { w.scrollTop = w.scrollHeight; }")
    frame, cell = await wrap.bounding_box(), await head.bounding_box()
    assert abs(cell["y"] - frame["y"]) <= 2, (cell, frame)
    await shot(page, "table-users-scrolled")

    # sort state: the clicked column says its direction, the address bar keeps it, the rows follow it
    name_head = page.locator("#list thead th", has_text="Имя")
    assert await name_head.get_attribute("aria-sort") is None
    await name_head.locator("a").click()
    await expect(page.locator("#list thead th[aria-sort=ascending]")).to_contain_text("Имя")
    await expect(page).to_have_url(re.compile(r"[?&]sort=name(&|$)"))
    await expect(page.locator("#list tbody tr").first).to_contain_text("Анна")
    await page.locator("#list thead th", has_text="Имя").locator("a").click()
    await expect(page.locator("#list thead th[aria-sort=descending]")).to_contain_text("Имя")
    await expect(page).to_have_url(re.compile(r"[?&]sort=-name(&|$)"))
    await expect(page.locator("#list tbody tr").first).to_contain_text("Сотрудник 44")

    # secondary columns fold away on a phone, and nothing widens the page
    department = page.locator("#list thead th", has_text="Отдел")
    if page.viewport_name == "phone":
        await expect(department).to_be_hidden()
    else:
        await expect(department).to_be_visible()
    assert await _page_width(page) <= page.viewport_size["width"]
    await shot(page, "table-users-sorted")


async def test_the_billing_month_has_a_totals_row_that_sums_its_rows_and_fits_a_phone(page, db, client):
    await _billed_month(client, db)
    await sign_in(page, "bill-1@example.com", DEFAULT_PASSWORD)
    await page.goto("/billing?month=2022-08")
    foot = page.locator("#registries tfoot tr")
    await expect(foot.locator("th[scope=row]")).to_contain_text("Итого за месяц")
    # the foot's telegram count is the sum of the rows' counts (the fifth column: day, office, operator, status)
    counts = await page.locator("#registries tbody tr td:nth-child(5)").all_inner_texts()
    total = await foot.locator("td.num").first.inner_text()
    assert int(total.replace("\u00a0", "").replace(" ", "")) == sum(int(c.replace("\u00a0", "") or 0) for c in counts)
    # figures align right, the header says which column is sorted
    assert await foot.locator("td.num").first.evaluate("td => getComputedStyle(td).textAlign") == "right"
    await expect(page.locator("#registries thead th[aria-sort]")).to_contain_text("День")
    await shot(page, "table-billing-totals")
    assert await _page_width(page) <= page.viewport_size["width"]
    operator = page.locator("#registries thead th", has_text="Оператор")
    if page.viewport_name == "phone":  # a secondary column folds away; the foot keeps its cells in line
        await expect(operator).to_be_hidden()
        widths = await page.locator("#registries").evaluate(
            "t => [t.tHead.rows[0], t.tFoot.rows[0]].map(r => [...r.cells].filter(c => c.offsetParent)"
            ".reduce((n, c) => n + c.colSpan, 0))"
        )
        assert widths[0] == widths[1], widths
    else:
        await expect(operator).to_be_visible()
