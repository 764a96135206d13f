"""Bitrix24 records → local rows: kinds by PROVIDER_ID, strings parsed, heads inherited, secrets encrypted."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

from crm.features.clients.connection import decrypt, encrypt, mask, mask_url
from crm.features.clients.store import activity_row, call_row, company_row, deal_row
from crm.features.org.tree import effective_heads


def test_activities_are_classified_by_provider_not_only_by_type() -> None:
    def kind(type_id: str, provider: str) -> str:
        return activity_row({"ID": "1", "TYPE_ID": type_id, "PROVIDER_ID": provider})["kind"]

    assert kind("6", "CRM_TODO") == "todo"
    assert kind("6", "CRM_TASKS_TASK") == "task"
    assert kind("2", "VOXIMPLANT_CALL") == "call"
    assert kind("1", "CRM_MEETING") == "meeting"
    assert kind("4", "CRM_EMAIL") == "email"
    assert kind("6", "IMOPENLINES_SESSION") == "other"


def test_deals_parse_amounts_dates_and_mapped_custom_fields() -> None:
    row = deal_row(
        {
            "ID": "410",
            "CATEGORY_ID": "2",
            "STAGE_ID": "C2:WON",
            "STAGE_SEMANTIC_ID": "S",
            "OPPORTUNITY": "1000000.00",
            "COMPANY_ID": "9",
            "ASSIGNED_BY_ID": "1",
            "CLOSEDATE": "2024-09-09T02:00:00+02:00",
            "DATE_CREATE": "2024-08-30T14:29:00+02:00",
            "CLOSED": "Y",
            "UF_CRM_1": "A",
        },
        {"deal": {"contract_type": "UF_CRM_1"}},
    )
    assert row["amount"] == Decimal("1000000.00") and row["pipeline_id"] == 2 and row["semantic"] == "S"
    assert str(row["close_date"]) == "2024-09-09" and row["closed"] is True
    assert row["bitrix_created_at"] == datetime(2024, 8, 30, 12, 29, tzinfo=UTC)
    assert row["fields"] == {"contract_type": "A"}
    empty = deal_row({"ID": "1", "OPPORTUNITY": "", "COMPANY_ID": None, "CLOSEDATE": ""}, {})
    assert empty["amount"] == 0 and empty["company_id"] is None and empty["close_date"] is None


def test_companies_and_calls_keep_ids_and_link_companies() -> None:
    company = company_row({"ID": "2909", "TITLE": "GAZPROM", "REVENUE": "0", "ASSIGNED_BY_ID": "139"}, {})
    assert (company["id"], company["revenue"], company["responsible_id"]) == (2909, Decimal("0"), 139)
    call = call_row(
        {
            "ID": "7",
            "PORTAL_USER_ID": "1269",
            "CALL_DURATION": "95",
            "CALL_TYPE": "2",
            "CRM_ENTITY_TYPE": "COMPANY",
            "CRM_ENTITY_ID": "797",
            "CALL_START_DATE": "2026-03-10T11:19:38+01:00",
        }
    )
    assert (call["company_id"], call["duration"], call["call_type"], call["user_id"]) == (797, 95, 2, 1269)
    contact = call_row({"ID": "8", "CRM_ENTITY_TYPE": "CONTACT", "CRM_ENTITY_ID": "5"})
    assert contact["company_id"] is None


def test_a_department_without_a_head_takes_the_nearest_parents() -> None:
    root = SimpleNamespace(id=1, parent_id=None, head_bitrix_id=901)
    sales = SimpleNamespace(id=2, parent_id=1, head_bitrix_id=None)
    team = SimpleNamespace(id=3, parent_id=2, head_bitrix_id=None)
    other = SimpleNamespace(id=4, parent_id=1, head_bitrix_id=30)
    assert effective_heads([root, sales, team, other]) == {1: 901, 2: 901, 3: 901, 4: 30}


def test_secrets_are_encrypted_at_rest_and_masked_when_shown() -> None:
    url = "https://portal.bitrix24.ru/rest/1/abcdefgh12345678/"
    token = encrypt(url)
    assert "abcdefgh" not in token and decrypt(token) == url and encrypt(url) != token
    assert decrypt(token[:-4] + "AAAA") == ""  # tampered: refused
    assert "abcdefgh12345678" not in mask_url(url) and mask_url(url).endswith("678/")
    assert mask("secret-value-xyz").endswith("xyz") and "secret" not in mask("secret-value-xyz")
