"""Bitrix24 records (string values, ISO dates with offsets) → rows of the local tables; pure functions."""

from __future__ import annotations

from typing import Any

from crm.integrations.bitrix24 import as_bool, as_date, as_datetime, as_decimal, as_int

PROVIDER_KINDS = {
    "VOXIMPLANT_CALL": "call",
    "CRM_CALL_TRACKER": "call",
    "CALL_LIST": "call",
    "CRM_MEETING": "meeting",
    "CRM_EMAIL": "email",
    "TASKS": "task",
    "CRM_TASKS_TASK": "task",
    "CRM_TODO": "todo",
}
TYPE_KINDS = {1: "meeting", 2: "call", 3: "task", 4: "email"}


def _s(value: Any, limit: int = 255) -> str:
    return "" if value is None or value is False else str(value)[:limit]


def _fields(raw: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    return {local: raw.get(source) for local, source in mapping.items() if source in raw}


# --------------------------------------------------------------------------- mappers


def company_row(raw: dict[str, Any], field_map: dict[str, dict[str, str]]) -> dict[str, Any]:
    return {
        "id": as_int(raw["ID"]),
        "title": _s(raw.get("TITLE"), 512),
        "company_type": _s(raw.get("COMPANY_TYPE"), 64),
        "industry": _s(raw.get("INDUSTRY"), 64),
        "employees": _s(raw.get("EMPLOYEES"), 64),
        "revenue": as_decimal(raw.get("REVENUE")),
        "currency": _s(raw.get("CURRENCY_ID"), 8),
        "responsible_id": as_int(raw.get("ASSIGNED_BY_ID")),
        "bitrix_created_at": as_datetime(raw.get("DATE_CREATE")),
        "bitrix_modified_at": as_datetime(raw.get("DATE_MODIFY")),
        "fields": _fields(raw, field_map.get("company", {})),
        "active": True,
    }


def deal_row(raw: dict[str, Any], field_map: dict[str, dict[str, str]]) -> dict[str, Any]:
    semantic = _s(raw.get("STAGE_SEMANTIC_ID"), 1) or "P"
    return {
        "id": as_int(raw["ID"]),
        "title": _s(raw.get("TITLE"), 512),
        "pipeline_id": as_int(raw.get("CATEGORY_ID")) or 0,
        "stage_id": _s(raw.get("STAGE_ID"), 64),
        "semantic": semantic if semantic in {"P", "S", "F"} else "P",
        "amount": as_decimal(raw.get("OPPORTUNITY")) or 0,
        "currency": _s(raw.get("CURRENCY_ID"), 8),
        "company_id": as_int(raw.get("COMPANY_ID")) or None,
        "contact_id": as_int(raw.get("CONTACT_ID")) or None,
        "responsible_id": as_int(raw.get("ASSIGNED_BY_ID")),
        "type_id": _s(raw.get("TYPE_ID"), 64),
        "source_id": _s(raw.get("SOURCE_ID"), 64),
        "utm_source": _s(raw.get("UTM_SOURCE")),
        "begin_date": as_date(raw.get("BEGINDATE")),
        "close_date": as_date(raw.get("CLOSEDATE")),
        "closed": as_bool(raw.get("CLOSED")),
        "bitrix_created_at": as_datetime(raw.get("DATE_CREATE")),
        "bitrix_modified_at": as_datetime(raw.get("DATE_MODIFY")),
        "moved_at": as_datetime(raw.get("MOVED_TIME")),
        "fields": _fields(raw, field_map.get("deal", {})),
        "active": True,
    }


def _multi(value: Any, limit: int) -> list[str]:
    """A multifield (``PHONE``/``EMAIL``: ``[{"VALUE", "VALUE_TYPE"}]``) → its values, in order, without blanks."""
    items = value if isinstance(value, list) else []
    return [str(v.get("VALUE"))[:limit] for v in items if isinstance(v, dict) and v.get("VALUE")]


def _ids(values: Any) -> list[int]:
    out: list[int] = []
    for v in values if isinstance(values, list) else []:
        i = as_int(v)
        if i and i not in out:
            out.append(i)
    return out


def contact_row(raw: dict[str, Any]) -> dict[str, Any]:
    """``COMPANY_IDS`` (every linked company, the primary first) is added by the sync from
    ``crm.contact.company.items.get``; without it the primary ``COMPANY_ID`` is the only link."""
    primary = as_int(raw.get("COMPANY_ID")) or None
    linked = _ids(raw.get("COMPANY_IDS")) if "COMPANY_IDS" in raw else ([primary] if primary else [])
    if primary and primary not in linked:
        linked.insert(0, primary)
    return {
        "id": as_int(raw["ID"]),
        "name": _s(raw.get("NAME")),
        "last_name": _s(raw.get("LAST_NAME")),
        "second_name": _s(raw.get("SECOND_NAME")),
        "post": _s(raw.get("POST")),
        "company_id": primary or (linked[0] if linked else None),
        "company_ids": linked,
        "responsible_id": as_int(raw.get("ASSIGNED_BY_ID")),
        "phones": _multi(raw.get("PHONE"), 64),
        "emails": _multi(raw.get("EMAIL"), 255),
        "source_id": _s(raw.get("SOURCE_ID"), 64),
        "bitrix_created_at": as_datetime(raw.get("DATE_CREATE")),
        "bitrix_modified_at": as_datetime(raw.get("DATE_MODIFY")),
        "active": True,
    }


def lead_row(raw: dict[str, Any]) -> dict[str, Any]:
    semantic = _s(raw.get("STATUS_SEMANTIC_ID"), 1) or "P"
    return {
        "id": as_int(raw["ID"]),
        "title": _s(raw.get("TITLE"), 512),
        "name": _s(raw.get("NAME")),
        "last_name": _s(raw.get("LAST_NAME")),
        "status_id": _s(raw.get("STATUS_ID"), 64),
        "semantic": semantic if semantic in {"P", "S", "F"} else "P",
        "source_id": _s(raw.get("SOURCE_ID"), 64),
        "company_title": _s(raw.get("COMPANY_TITLE"), 512),
        "company_id": as_int(raw.get("COMPANY_ID")) or None,
        "contact_id": as_int(raw.get("CONTACT_ID")) or None,
        "responsible_id": as_int(raw.get("ASSIGNED_BY_ID")),
        "amount": as_decimal(raw.get("OPPORTUNITY")),
        "currency": _s(raw.get("CURRENCY_ID"), 8),
        "phones": _multi(raw.get("PHONE"), 64),
        "emails": _multi(raw.get("EMAIL"), 255),
        "bitrix_created_at": as_datetime(raw.get("DATE_CREATE")),
        "bitrix_modified_at": as_datetime(raw.get("DATE_MODIFY")),
        "active": True,
    }


def activity_kind(provider: str, type_id: int) -> str:
    return PROVIDER_KINDS.get(provider) or TYPE_KINDS.get(type_id) or "other"


def activity_row(raw: dict[str, Any]) -> dict[str, Any]:
    owner_type, owner = as_int(raw.get("OWNER_TYPE_ID")) or 0, as_int(raw.get("OWNER_ID"))
    type_id, provider = as_int(raw.get("TYPE_ID")) or 0, _s(raw.get("PROVIDER_ID"), 64)
    return {
        "id": as_int(raw["ID"]),
        "owner_type_id": owner_type,
        "owner_id": owner,
        "company_id": owner if owner_type == 4 else None,
        "deal_id": owner if owner_type == 2 else None,
        "type_id": type_id,
        "provider_id": provider,
        "provider_type_id": _s(raw.get("PROVIDER_TYPE_ID"), 64),
        "kind": activity_kind(provider, type_id),
        "direction": as_int(raw.get("DIRECTION")) or 0,
        "responsible_id": as_int(raw.get("RESPONSIBLE_ID")),
        "subject": _s(raw.get("SUBJECT"), 2000),
        "start_at": as_datetime(raw.get("START_TIME")),
        "end_at": as_datetime(raw.get("END_TIME")),
        "bitrix_created_at": as_datetime(raw.get("CREATED")),
        "bitrix_modified_at": as_datetime(raw.get("LAST_UPDATED")),
        "completed": as_bool(raw.get("COMPLETED")),
        "status": as_int(raw.get("STATUS")) or 0,
        "active": True,
    }


def call_row(raw: dict[str, Any]) -> dict[str, Any]:
    entity_type = _s(raw.get("CRM_ENTITY_TYPE"), 16)
    entity_id = as_int(raw.get("CRM_ENTITY_ID"))
    return {
        "id": as_int(raw["ID"]),
        "call_id": _s(raw.get("CALL_ID")),
        "user_id": as_int(raw.get("PORTAL_USER_ID")),
        "phone": _s(raw.get("PHONE_NUMBER"), 64),
        "call_type": as_int(raw.get("CALL_TYPE")) or 0,
        "duration": as_int(raw.get("CALL_DURATION")) or 0,
        "start_at": as_datetime(raw.get("CALL_START_DATE")),
        "failed_code": _s(raw.get("CALL_FAILED_CODE"), 16),
        "crm_entity_type": entity_type,
        "crm_entity_id": entity_id,
        "company_id": entity_id if entity_type == "COMPANY" else None,
        "activity_id": as_int(raw.get("CRM_ACTIVITY_ID")) or None,
        "active": True,
    }


def requisite_row(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": as_int(raw["ID"]),
        "company_id": as_int(raw.get("ENTITY_ID")),
        "name": _s(raw.get("NAME")),
        "inn": _s(raw.get("RQ_INN"), 16) or None,
        "kpp": _s(raw.get("RQ_KPP"), 16) or None,
        "ogrn": _s(raw.get("RQ_OGRN"), 20) or None,
        "legal_name": _s(raw.get("RQ_COMPANY_NAME"), 512) or None,
        "active": True,
    }


def address_row(raw: dict[str, Any]) -> dict[str, Any]:
    line = ", ".join(p for p in (_s(raw.get("ADDRESS_1")), _s(raw.get("ADDRESS_2"))) if p)
    return {
        "company_id": as_int(raw.get("ENTITY_ID")),
        "region": _s(raw.get("PROVINCE")) or None,
        "city": _s(raw.get("CITY")) or None,
        "address": line[:512] or None,
        "active": True,
    }


def employee_row(raw: dict[str, Any]) -> dict[str, Any]:
    deps = [int(d) for d in (raw.get("UF_DEPARTMENT") or []) if str(d).lstrip("-").isdigit()]
    return {
        "id": as_int(raw["ID"]),
        "name": _s(raw.get("NAME")),
        "last_name": _s(raw.get("LAST_NAME")),
        "second_name": _s(raw.get("SECOND_NAME")),
        "email": _s(raw.get("EMAIL")),
        "position": _s(raw.get("WORK_POSITION")),
        "department_bitrix_ids": deps,
        "active": as_bool(raw.get("ACTIVE")),
    }
