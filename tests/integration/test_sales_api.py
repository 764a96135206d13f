"""Imports through the API and the screens (202 then the worker; preview with the column mapping; profiles), the
sales lines and ERP clients each user may see, the client card, the mailbox settings, failed-import alerts."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from crm.features.accounts.models import Role
from crm.features.org.models import Department
from crm.features.sales.mailbox import SECRETS
from crm.features.sales.models import ErpClient, MailboxSettings, MappingProfile, SalesImport, SalesLine
from tests.conftest import DEFAULT_PASSWORD, job_functions, login, make_user, post_form, set_cookie
from tests.integration.test_sales_import import FILE

HEADER = "Дата;Номер документа;Код клиента;Клиент;ИНН;Товарная группа;Товар;Количество;Сумма;Менеджер"


async def drain() -> None:
    """A real SAQ worker with the sales jobs, in burst mode, until the queue is empty."""
    from saq import Worker

    from crm.features.sales.jobs import sales_import_run, sales_mailbox_check
    from crm.workers import QUEUE_NAME, saq_plugin
    from crm.workers.context import shutdown, startup

    queue = saq_plugin().get_queue(QUEUE_NAME)
    worker = Worker(
        queue,
        functions=[*job_functions(), sales_import_run, sales_mailbox_check],
        startup=[startup],
        shutdown=[shutdown],
        burst=True,
        dequeue_timeout=1,
        concurrency=1,
    )
    await worker.start()


async def bearer(client: Any, email: str) -> dict[str, str]:
    answer = await client.post("/api/v1/auth/token", json={"email": email, "password": DEFAULT_PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def test_an_api_upload_answers_202_and_the_worker_imports_it(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    auth = await bearer(client, "admin@example.com")
    answer = await client.post("/api/v1/imports/sales", files={"file": ("erp.csv", FILE)}, headers=auth)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["status"] == "queued" and isinstance(body["id"], int)
    await drain()
    status = (await client.get(f"/api/v1/imports/{body['id']}", headers=auth)).json()
    assert {
        k: status[k] for k in ("status", "source", "file_name", "rows_read", "imported", "updated", "rejected")
    } == {
        "status": "done",
        "source": "api",
        "file_name": "erp.csv",
        "rows_read": 4,
        "imported": 3,
        "updated": 0,
        "rejected": 1,
    }
    assert status["error"] is None
    rejected = await client.get(f"/api/v1/imports/{body['id']}/rejected", headers=auth)
    assert rejected.status_code == 200 and rejected.headers["content-type"].startswith("text/csv")
    lines = rejected.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Row;Reason") and lines[1].startswith("4;the date 31.02.2026 does not exist")
    assert "десять" in lines[1]


async def test_api_upload_refuses_a_missing_or_unreadable_file_and_other_roles(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    await make_user(db, "m@example.com", ["manager"])
    auth = await bearer(client, "admin@example.com")
    missing = await client.post("/api/v1/imports/sales", data={"profile": "x"}, headers=auth)
    assert missing.status_code in (400, 422) and missing.json()["detail"]
    answer = await client.post("/api/v1/imports/sales", files={"file": ("x.csv", b"\x00\x01\x02" * 100)}, headers=auth)
    assert answer.status_code == 202
    await drain()
    status = (await client.get(f"/api/v1/imports/{answer.json()['id']}", headers=auth)).json()
    assert status["status"] == "failed" and "binary" in status["error"]
    manager = await bearer(client, "m@example.com")
    refused = await client.post("/api/v1/imports/sales", files={"file": ("erp.csv", FILE)}, headers=manager)
    assert refused.status_code == 403
    assert (await client.get(f"/api/v1/imports/{answer.json()['id']}", headers=manager)).status_code == 403
    assert (await client.get("/api/v1/imports/999999", headers=auth)).status_code == 404


async def _org(db) -> dict[str, Any]:
    top = Department(name="Продажи")
    db.add(top)
    await db.flush()
    team = Department(name="Группа", parent_id=top.id)
    other = Department(name="Регионы")
    db.add_all([team, other])
    db.add(Role(name="viewer", title="Viewer", permissions=["goals.view", "scope.department"]))
    await db.commit()
    users = {
        "admin": await make_user(db, "admin@example.com", ["admin"]),
        "m1": await make_user(db, "m1@example.com", ["manager"], name="Мария Алексеева", department_id=team.id),
        "m2": await make_user(db, "m2@example.com", ["manager"], name="Иван Петров", department_id=other.id),
        "viewer": await make_user(db, "v@example.com", ["viewer"], department_id=top.id),
    }
    a = ErpClient(code="A", name="Клиент А", name_key="клиент а", responsible_id=users["m1"].id, is_new=True)
    b = ErpClient(code="B", name="Клиент Б", name_key="клиент б", responsible_id=users["m2"].id)
    db.add_all([a, b])
    await db.flush()
    db.add_all(
        [
            SalesLine(day=date(2026, 11, 2), invoice="1", product="p", client_id=a.id, family="Краски", amount=100),
            SalesLine(day=date(2026, 11, 3), invoice="2", product="p", client_id=b.id, family="Лаки", amount=200),
            # m1 sold to m2's client: m1 sees that line (and the client), not the client's other lines
            SalesLine(
                day=date(2026, 10, 3),
                invoice="3",
                product="p",
                client_id=b.id,
                amount=50,
                salesperson_id=users["m1"].id,
            ),
        ]
    )
    await db.commit()
    return {**users, "a": a.id, "b": b.id}


async def test_sales_lines_are_scoped_to_the_managers_clients_the_heads_subtree_and_everything_for_goal_managers(
    client, db
):
    org = await _org(db)

    async def invoices(who: str, query: str = "") -> list[str]:
        answer = await client.get(f"/api/v1/sales?sort=invoice{query}", headers=await bearer(client, who))
        assert answer.status_code == 200, answer.text
        return [r["invoice"] for r in answer.json()["rows"]]

    assert await invoices("admin@example.com") == ["1", "2", "3"]
    assert await invoices("m1@example.com") == ["1", "3"]
    assert await invoices("m2@example.com") == ["2", "3"]
    assert await invoices("v@example.com") == ["1", "3"]  # the subtree of Продажи holds m1, not m2
    assert await invoices("admin@example.com", "&from=2026-11-01&to=2026-11-30&family=Лаки") == ["2"]
    assert await invoices("admin@example.com", f"&client_id={org['a']}") == ["1"]
    page = (await client.get("/api/v1/sales?page_size=1", headers=await bearer(client, "admin@example.com"))).json()
    assert (page["total"], page["page"], page["page_size"], len(page["rows"])) == (3, 1, 1, 1)
    assert page["rows"][0]["amount"] == "200.00"
    bad = await client.get("/api/v1/sales?from=31.02.2026", headers=await bearer(client, "admin@example.com"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "from"


async def test_erp_clients_are_searched_filtered_by_new_and_scoped(client, db):
    await _org(db)
    admin = await bearer(client, "admin@example.com")
    names = lambda answer: [r["name"] for r in answer.json()["rows"]]  # noqa: E731
    assert names(await client.get("/api/v1/erp-clients", headers=admin)) == ["Клиент А", "Клиент Б"]
    assert names(await client.get("/api/v1/erp-clients?new=true", headers=admin)) == ["Клиент А"]
    assert names(await client.get("/api/v1/erp-clients?q=%D0%91", headers=admin)) == ["Клиент Б"]
    assert (await client.get("/api/v1/erp-clients?new=maybe", headers=admin)).status_code == 422
    m2 = await bearer(client, "m2@example.com")
    assert names(await client.get("/api/v1/erp-clients", headers=m2)) == ["Клиент Б"]


async def test_the_client_card_shows_months_and_links_and_a_manager_outside_scope_gets_404(client, db):
    org = await _org(db)
    await login(client, "m1@example.com")
    page = await client.get(f"/sales/clients/{org['a']}")
    assert page.status_code == 200
    assert (
        f'href="/strategies/new?client_id={org["a"]}"' in page.text
        and f'href="/tasks?client_id={org["a"]}"' in page.text
    )
    assert "Mark reviewed" not in page.text  # managers do not manage imports
    assert (await client.get(f"/sales/clients/{org['b']}")).status_code == 200  # m1 sold to it
    client.cookies.clear()
    set_cookie(client, "crm_lang", "en")
    await login(client, "m2@example.com")
    assert (await client.get(f"/sales/clients/{org['a']}")).status_code == 404
    client.cookies.clear()
    set_cookie(client, "crm_lang", "en")
    await login(client, "admin@example.com")
    assert "Mark reviewed" in (await client.get(f"/sales/clients/{org['a']}")).text
    done = await post_form(client, f"/sales/clients/{org['a']}/reviewed", {}, follow_redirects=False)
    assert done.status_code == 303
    assert (await db.get(ErpClient, org["a"], populate_existing=True)).is_new is False


async def test_upload_preview_maps_columns_saves_a_profile_and_imports_in_the_worker(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    odd = b"Dt;Doc;Cust;Total\n05.11.2026;A-1;C9;12,50\n06.11.2026;A-2;C9;7\n"
    long_profile = await post_form(client, "/imports/preview", {"profile": "P" * 121}, files={"file": ("odd.csv", odd)})
    assert long_profile.status_code == 422 and 'id="e-profile"' in long_profile.text and "P" * 121 in long_profile.text
    assert await db.scalar(select(SalesImport)) is None  # no draft kept
    answer = await post_form(client, "/imports/preview", {"profile": ""}, files={"file": ("odd.csv", odd)})
    assert answer.status_code == 200 and "Check the columns" in answer.text and "A-1" in answer.text
    item = await db.scalar(select(SalesImport))
    assert item.status == "draft"
    refused = await post_form(client, f"/imports/{item.id}/start", {"map_date": "0"})
    assert refused.status_code == 422 and "Choose the column of this field" in refused.text
    chosen = {"map_date": "0", "map_invoice": "1", "map_client_code": "2", "map_amount": "3", "profile": "Odd ERP"}
    bad = {**chosen, "map_amount": "three", "profile": "P" * 121}
    refused = await post_form(client, f"/imports/{item.id}/start", bad)
    assert refused.status_code == 422 and 'id="e-map_amount"' in refused.text and 'id="e-profile"' in refused.text
    assert "Choose a column from the list." in refused.text and 'value="' + "P" * 121 + '"' in refused.text
    assert (await db.get(SalesImport, item.id, populate_existing=True)).status == "draft"  # nothing started
    started = await post_form(client, f"/imports/{item.id}/start", chosen, follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"] == f"/imports/{item.id}"
    again = await post_form(client, f"/imports/{item.id}/start", chosen, follow_redirects=False)
    assert again.headers["location"] == f"/imports/{item.id}"  # a double submit changes nothing
    await drain()
    detail = await client.get(f"/imports/{item.id}")
    assert "done" in detail.text and f'hx-get="/imports/{item.id}"' not in detail.text  # done: no more polling
    assert await db.scalar(select(MappingProfile.mapping).where(MappingProfile.name == "odd erp")) == {
        "date": "dt",
        "invoice": "doc",
        "client_code": "cust",
        "amount": "total",
    }
    # the next file of the profile is mapped by it on the preview, whatever the order of its columns
    moved = b"Total;Cust;Doc;Dt\n1;C9;B-1;07.11.2026\n"
    preview = await post_form(client, "/imports/preview", {"profile": "Odd ERP"}, files={"file": ("odd2.csv", moved)})
    assert '<option value="3" selected>4. Dt</option>' in preview.text
    listing = await client.get("/imports")
    assert "odd.csv" in listing.text and "odd2.csv" not in listing.text  # drafts are not imports yet


async def test_an_unreadable_upload_is_refused_next_to_the_file_field(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    answer = await post_form(client, "/imports/preview", {}, files={"file": ("h.csv", (HEADER + "\n").encode())})
    assert answer.status_code == 200  # header only: the preview shows no rows; the import then fails with a reason
    empty = await post_form(client, "/imports/preview", {"profile": "p"}, files={"file": ("e.csv", b"")})
    assert (empty.status_code == 422 and "Choose a CSV or XLSX file" in empty.text) or "empty" in empty.text
    binary = await post_form(client, "/imports/preview", {}, files={"file": ("b.csv", b"\x00\xff" * 50)})
    assert binary.status_code == 422 and "binary" in binary.text


async def test_the_imports_screen_is_for_goal_managers_and_the_mailbox_for_admins(client, db):
    await make_user(db, "head@example.com", ["head"])
    await make_user(db, "m@example.com", ["manager"])
    await login(client, "m@example.com")
    assert (await client.get("/imports")).status_code == 403
    client.cookies.clear()
    set_cookie(client, "crm_lang", "en")
    await login(client, "head@example.com")
    assert (await client.get("/imports")).status_code == 200
    assert (await client.get("/imports/mailbox")).status_code == 403


async def test_the_mailbox_password_is_sealed_and_never_shown_back(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    form = {
        "enabled": "true",
        "host": "imap.example.com",
        "port": "993",
        "tls": "true",
        "verify_certificate": "true",
        "username": "erp",
        "password": "s3cret-Пароль",
        "folder": "INBOX",
        "allowed_senders": "erp@example.com, @erp.example.com",
        "processed_folder": "Processed",
        "failed_folder": "Failed",
    }
    saved = await post_form(client, "/imports/mailbox", form, follow_redirects=False)
    assert saved.status_code == 303
    row = await db.scalar(select(MailboxSettings))
    assert row.password_sealed.startswith("v1:") and "s3cret" not in row.password_sealed
    assert SECRETS.decrypt(row.password_sealed) == "s3cret-Пароль"
    page = await client.get("/imports/mailbox")
    assert "s3cret" not in page.text and "A password is saved" in page.text
    bad = await post_form(client, "/imports/mailbox", {**form, "port": "99999", "allowed_senders": ""})
    assert bad.status_code == 422 and "A port number from 1 to 65535" in bad.text and "imap.example.com" in bad.text
    kept = await post_form(client, "/imports/mailbox", {**form, "password": ""}, follow_redirects=False)
    assert kept.status_code == 303
    assert (
        SECRETS.decrypt(
            (await db.scalar(select(MailboxSettings).execution_options(populate_existing=True))).password_sealed
        )
        == "s3cret-Пароль"
    )


async def test_failed_imports_of_the_last_week_are_alerts_for_goal_managers_only(client, db):
    from crm.features.sales.alerts import alerts

    admin = await make_user(db, "admin@example.com", ["admin"])
    manager = await make_user(db, "m@example.com", ["manager"])
    broken = SalesImport(source="mail", file_name="broken.xlsx", status="failed", error="The file is empty.")
    db.add_all([broken, SalesImport(source="mail", file_name="fine.csv", status="done")])
    await db.commit()
    found = await alerts(db, admin)
    assert [(a.kind, a.link) for a in found] == [("import_failed", f"/imports/{broken.id}")]
    assert "broken.xlsx" in found[0].message
    assert await alerts(db, manager) == []


async def test_the_imports_and_erp_clients_lists_export_their_rows(client, db):
    await _org(db)
    db.add(SalesImport(source="api", file_name="november.csv", status="done", rows_read=5, imported=5))
    await db.commit()
    await login(client, "admin@example.com")
    imports_csv = await client.get("/imports?format=csv")
    assert imports_csv.status_code == 200 and "november.csv" in imports_csv.text
    clients_xlsx = await client.get("/sales/clients?format=xlsx&new=true")
    assert clients_xlsx.status_code == 200 and clients_xlsx.content.startswith(b"PK")
    clients_csv = await client.get("/sales/clients?format=csv&q=%D0%91")
    assert "Клиент Б" in clients_csv.text and "Клиент А" not in clients_csv.text


async def test_a_file_past_the_size_limit_is_refused_clearly_on_the_screen_and_by_the_api(client, db):
    from crm.features.sales.api import UPLOAD_LIMIT

    await make_user(db, "admin@example.com", ["admin"])
    big = b"0" * (UPLOAD_LIMIT + 2 * 1024 * 1024)
    auth = await bearer(client, "admin@example.com")
    answer = await client.post("/api/v1/imports/sales", files={"file": ("big.csv", big)}, headers=auth)
    assert answer.status_code == 413 and "larger than 100 MB" in answer.json()["detail"]
    await login(client, "admin@example.com")
    page = await post_form(client, "/imports/preview", {}, files={"file": ("big.csv", big)})
    assert page.status_code == 413  # the body is refused unread, and the page says why
    assert "Файл слишком большой" in page.text  # in the reader's language
    assert await db.scalar(select(SalesImport.id)) is None


async def test_rejected_rows_download_neutralises_spreadsheet_formulas(client, db):
    from crm.features.sales.models import SalesImportReject

    await make_user(db, "admin@example.com", ["admin"])
    item = SalesImport(source="mail", file_name="x.csv", status="done", rejected=1)
    db.add(item)
    await db.flush()
    db.add(SalesImportReject(import_id=item.id, row_no=2, reason="amount_invalid", value="=1+1", row=["=HYPERLINK(1)"]))
    await db.commit()
    await login(client, "admin@example.com")
    body = (await client.get(f"/imports/{item.id}/rejected.csv")).text
    assert "'=HYPERLINK(1)" in body and ";=" not in body
