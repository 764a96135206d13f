"""The month's registries on the billing screen: totals, who billed each registry and when, and the days with
telegrams but no registry, per office."""

from __future__ import annotations

from sqlalchemy import select

from crm.features.tariffs.models import Registry
from tests.conftest import login, post_form
from tests.integration.test_tariffs_screens import _billed_month


async def test_the_month_list_has_totals_who_billed_and_when_and_the_days_left_without_a_registry(client, db):
    await _billed_month(client, db)  # 1 Aug of office 123002 formed by pok-2 and billed by bill-1
    registry = await db.scalar(select(Registry))
    page = await client.get("/billing", params={"month": "2022-08"})
    assert page.status_code == 200
    table = page.text[page.text.index('id="registries"') :]
    row = table[table.index("<tbody>") : table.index("</tbody>")]
    assert "bill-1@example.com" in row  # who billed it (no name set: the address)
    footer = table[table.index("<tfoot>") : table.index("</tfoot>")]
    assert "Total for the month" in footer and ">3<" in footer.replace(" ", "")
    assert registry.closed_at is not None
    gaps = page.text[page.text.index('id="gaps"') :]
    gaps = gaps[: gaps.index("</section>")]
    # tlg0: office 123002 has telegrams on 1 and 2 Aug (a registry on the 1st only), 623600 on both days
    office = gaps[gaps.index("Office 123002") :]
    assert "Aug 2, 2022" in office[: office.index("</li>")] and "Aug 1, 2022" not in office[: office.index("</li>")]
    assert "36 telegrams" in office[: office.index("</li>")]
    other = gaps[gaps.index("Office 623600") :]
    assert "Aug 1, 2022" in other and "Aug 2, 2022" in other and "1 telegram" in other
    exported = await client.get("/billing", params={"month": "2022-08", "format": "csv"})
    lines = exported.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0].endswith("Billed by,Billed at") and "bill-1@example.com" in lines[1]

    # an operator sees the gaps of their own office only
    await post_form(client, "/logout", {})
    await login(client, "tgn@example.com")
    own = await client.get("/billing", params={"month": "2022-08"})
    assert "Office 623600" in own.text and "Office 123002" not in own.text
