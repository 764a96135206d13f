"""What the sync reads: one keyset stream per Bitrix24 list, its select, and the offline events it binds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm.features.clients.connection import ADDRESS_TYPE
from crm.integrations.bitrix24 import ListSpec


@dataclass(frozen=True)
class Stream:
    name: str
    spec: ListSpec
    filter: dict[str, Any]
    modified: str = ""  # the field an incremental poll filters on


COMPANY_SELECT = (
    "ID",
    "TITLE",
    "COMPANY_TYPE",
    "INDUSTRY",
    "EMPLOYEES",
    "REVENUE",
    "CURRENCY_ID",
    "ASSIGNED_BY_ID",
    "DATE_CREATE",
    "DATE_MODIFY",
    "UF_*",
)
DEAL_SELECT = (
    "ID",
    "TITLE",
    "CATEGORY_ID",
    "STAGE_ID",
    "STAGE_SEMANTIC_ID",
    "OPPORTUNITY",
    "CURRENCY_ID",
    "COMPANY_ID",
    "CONTACT_ID",
    "ASSIGNED_BY_ID",
    "BEGINDATE",
    "CLOSEDATE",
    "CLOSED",
    "DATE_CREATE",
    "DATE_MODIFY",
    "MOVED_TIME",
    "SOURCE_ID",
    "TYPE_ID",
    "UTM_SOURCE",
    "UF_*",
)
CONTACT_SELECT = (
    "ID",
    "NAME",
    "LAST_NAME",
    "SECOND_NAME",
    "POST",
    "COMPANY_ID",
    "ASSIGNED_BY_ID",
    "SOURCE_ID",
    "PHONE",
    "EMAIL",
    "DATE_CREATE",
    "DATE_MODIFY",
)
LEAD_SELECT = (
    "ID",
    "TITLE",
    "NAME",
    "LAST_NAME",
    "STATUS_ID",
    "STATUS_SEMANTIC_ID",
    "SOURCE_ID",
    "COMPANY_TITLE",
    "COMPANY_ID",
    "CONTACT_ID",
    "ASSIGNED_BY_ID",
    "OPPORTUNITY",
    "CURRENCY_ID",
    "PHONE",
    "EMAIL",
    "DATE_CREATE",
    "DATE_MODIFY",
)
ACTIVITY_SELECT = (
    "ID",
    "OWNER_TYPE_ID",
    "OWNER_ID",
    "TYPE_ID",
    "PROVIDER_ID",
    "PROVIDER_TYPE_ID",
    "DIRECTION",
    "RESPONSIBLE_ID",
    "SUBJECT",
    "START_TIME",
    "END_TIME",
    "CREATED",
    "LAST_UPDATED",
    "COMPLETED",
    "STATUS",
)
REQUISITE_SELECT = (
    "ID",
    "ENTITY_TYPE_ID",
    "ENTITY_ID",
    "NAME",
    "RQ_INN",
    "RQ_KPP",
    "RQ_OGRN",
    "RQ_COMPANY_NAME",
)
ADDRESS_SELECT = ("TYPE_ID", "ENTITY_TYPE_ID", "ENTITY_ID", "ADDRESS_1", "ADDRESS_2", "CITY", "PROVINCE")

STREAMS = {
    "companies": Stream("companies", ListSpec("crm.company.list", select=COMPANY_SELECT), {}, "DATE_MODIFY"),
    "deals": Stream("deals", ListSpec("crm.deal.list", select=DEAL_SELECT), {}, "DATE_MODIFY"),
    "contacts": Stream("contacts", ListSpec("crm.contact.list", select=CONTACT_SELECT), {}, "DATE_MODIFY"),
    "leads": Stream("leads", ListSpec("crm.lead.list", select=LEAD_SELECT), {}, "DATE_MODIFY"),
    "activities": Stream("activities", ListSpec("crm.activity.list", select=ACTIVITY_SELECT), {}, "LAST_UPDATED"),
    "calls": Stream(
        "calls",
        ListSpec("voximplant.statistic.get", filter_key="FILTER", order="sort"),
        {},
        "CALL_START_DATE",
    ),
    "requisites": Stream("requisites", ListSpec("crm.requisite.list", select=REQUISITE_SELECT), {"ENTITY_TYPE_ID": 4}),
    "addresses": Stream(
        "addresses",
        ListSpec("crm.address.list", id_field="ENTITY_ID", select=ADDRESS_SELECT),
        {"ENTITY_TYPE_ID": 4, "TYPE_ID": ADDRESS_TYPE},
    ),
}
ENTITY_OF_STREAM = {
    "companies": "company",
    "deals": "deal",
    "contacts": "contact",
    "leads": "lead",
    "activities": "activity",
    "calls": "call",
    "requisites": "requisite",
}
EVENT_ENTITIES = {
    "ONCRMCOMPANY": "companies",
    "ONCRMCONTACT": "contacts",
    "ONCRMLEAD": "leads",
    "ONCRMDEAL": "deals",
    "ONCRMACTIVITY": "activities",
}
# the order records are saved in: owners before what they own (an activity finds its deal's, contact's or lead's
# company when it is stored; an owner arriving later re-links its activities)
RECORD_STREAMS = ("companies", "contacts", "leads", "deals", "activities")
CONTACT_COMPANIES = "crm.contact.company.items.get"  # every company a contact is linked to
OFFLINE_EVENTS = [f"{prefix}{action}" for prefix in EVENT_ENTITIES for action in ("ADD", "UPDATE", "DELETE")]
