"""The generated portal's people: contacts, leads and the activities owned by them (and the shape of any
activity row)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from crm.integrations.bitrix24.dataset_vocabulary import (
    COMPANY_WORDS,
    FEMALE,
    FIRST_NAMES,
    FORMS,
    LAST_NAMES,
    LEAD_STATUSES,
    SUBJECTS,
    company_title,
    fmt,
)

if TYPE_CHECKING:
    from crm.integrations.bitrix24.dataset import Dataset


def _pick(options: list[str], n: int) -> str:
    return options[n % len(options)]  # not from the generator: the rest of the dataset stays as it was


def activity_row(
    aid: int,
    owner: tuple[str, int],
    kind: tuple[str, str, str],
    direction: str,
    resp: int,
    times: tuple[datetime, datetime, datetime],
    completed: bool,
) -> dict[str, Any]:
    """An activity as crm.activity.list answers it (owner type and id, kind, times start/end/last update)."""
    (owner_type, owner_id), (type_id, provider, provider_type), (start, end, updated) = owner, kind, times
    return {
        "ID": str(aid),
        "OWNER_TYPE_ID": owner_type,
        "OWNER_ID": str(owner_id),
        "TYPE_ID": type_id,
        "PROVIDER_ID": provider,
        "PROVIDER_TYPE_ID": provider_type,
        "DIRECTION": direction,
        "RESPONSIBLE_ID": str(resp),
        "AUTHOR_ID": str(resp),
        "SUBJECT": f"{_pick(SUBJECTS.get(provider_type, ['Дело']), aid)} №{aid}",
        "START_TIME": fmt(start),
        "END_TIME": fmt(end),
        "DEADLINE": fmt(end),
        "CREATED": fmt(start),
        "LAST_UPDATED": fmt(updated),
        "COMPLETED": "Y" if completed else "N",
        "STATUS": "2" if completed else "1",
    }


def _multi(value: str) -> list[dict[str, str]]:
    return [{"ID": "1", "VALUE": value, "VALUE_TYPE": "WORK", "TYPE_ID": "PHONE" if value[0] == "+" else "EMAIL"}]


def people(
    ds: Dataset,
    rng: random.Random,
    company_ids: list[int],
    owner: dict[int, int],
    sales_people: list[int],
    kinds: list[tuple[str, str, str, int]],
    n_contacts: int,
    n_leads: int,
    n_activities: int,
    origin: datetime,
    now: datetime,
) -> None:
    """Contacts (90 % with a primary company, one in eight of those linked to a second), leads (a fifth converted:
    with a company and one of its contacts) and activities owned by them (OWNER_TYPE_ID 3 and 1)."""

    def moment(lo: datetime, hi: datetime) -> datetime:
        span = max(1, int((hi - lo).total_seconds()))
        return (lo + timedelta(seconds=rng.randrange(span))).replace(microsecond=0)

    contact_company: dict[int, int] = {}
    contacts_of: dict[int, list[int]] = {}
    cid = 0
    for _ in range(n_contacts):
        cid += rng.randint(1, 3)
        links = [rng.choice(company_ids)] if company_ids and rng.random() < 0.9 else []
        if links and rng.random() < 0.125:
            second = rng.choice(company_ids)
            if second != links[0]:
                links.append(second)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if first in FEMALE:
            last += "а"
        created = moment(origin, now - timedelta(days=1))
        resp = owner[links[0]] if links and rng.random() < 0.85 else rng.choice(sales_people)
        for c in links:
            contacts_of.setdefault(c, []).append(cid)
        contact_company[cid] = links[0] if links else 0
        ds.contacts.append(
            {
                "ID": str(cid),
                "NAME": first,
                "LAST_NAME": last,
                "SECOND_NAME": "",
                "POST": rng.choice(["Директор", "Главный инженер", "Бухгалтер", "Менеджер по закупкам", ""]),
                "COMPANY_ID": str(links[0]) if links else None,
                "COMPANY_IDS": [str(c) for c in links],
                "ASSIGNED_BY_ID": str(resp),
                "SOURCE_ID": rng.choice(["CALL", "WEB", "PARTNER", "OTHER"]),
                "HAS_PHONE": "Y",
                "HAS_EMAIL": "Y",
                "PHONE": _multi(f"+79{rng.randint(100000000, 999999999)}"),
                "EMAIL": _multi(f"contact{cid}@client.example"),
                "DATE_CREATE": fmt(created),
                "DATE_MODIFY": fmt(moment(created, now)),
            }
        )
    contact_ids = [int(c["ID"]) for c in ds.contacts]
    lid = 0
    for _ in range(n_leads):
        lid += rng.randint(1, 2)
        status, semantic = rng.choice(LEAD_STATUSES)
        company = rng.choice(company_ids) if company_ids and semantic == "S" else 0
        contact = rng.choice(contacts_of[company]) if company in contacts_of else 0
        created = moment(origin, now - timedelta(days=1))
        resp = owner[company] if company else rng.choice(sales_people)
        ds.leads.append(
            {
                "ID": str(lid),
                "TITLE": f"Лид №{lid}",
                "NAME": rng.choice(FIRST_NAMES),
                "LAST_NAME": rng.choice(LAST_NAMES),
                "STATUS_ID": status,
                "STATUS_SEMANTIC_ID": semantic,
                "SOURCE_ID": rng.choice(["CALL", "WEB", "EMAIL", "ADVERTISING"]),
                "COMPANY_TITLE": company_title(rng.choice(FORMS), rng.choice(COMPANY_WORDS), rng.choice(COMPANY_WORDS)),
                "COMPANY_ID": str(company) if company else None,
                "CONTACT_ID": str(contact) if contact else None,
                "ASSIGNED_BY_ID": str(resp),
                "OPPORTUNITY": f"{rng.randint(0, 400) * 500}.00",
                "CURRENCY_ID": "RUB",
                "PHONE": _multi(f"+79{rng.randint(100000000, 999999999)}"),
                "EMAIL": [],
                "DATE_CREATE": fmt(created),
                "DATE_MODIFY": fmt(moment(created, now)),
            }
        )
    lead_ids = [int(x["ID"]) for x in ds.leads]
    lead_company = {int(x["ID"]): int(x["COMPANY_ID"] or 0) for x in ds.leads}
    aid = max((int(a["ID"]) for a in ds.activities), default=0)
    for _ in range(n_activities if contact_ids or lead_ids else 0):
        aid += rng.randint(1, 2)
        type_id, provider, provider_type, _w = rng.choice(kinds)
        on_lead = bool(lead_ids) and (not contact_ids or rng.random() < 0.3)
        owner_type, owner_id = ("1", rng.choice(lead_ids)) if on_lead else ("3", rng.choice(contact_ids))
        company = lead_company[owner_id] if on_lead else contact_company[owner_id]
        resp = owner[company] if company and rng.random() < 0.8 else rng.choice(sales_people)
        start = moment(origin, now)
        end = start + timedelta(minutes=rng.choice([5, 15, 30, 60, 90]))
        completed = start < now - timedelta(hours=2) and rng.random() < 0.9
        direction = rng.choice(["1", "2", "2"]) if type_id in {"2", "4"} else "0"
        updated = moment(start, max(now, start + timedelta(seconds=1)))
        ds.activities.append(
            activity_row(aid, (owner_type, owner_id), (type_id, provider, provider_type), direction, resp,
                          (start, end, updated), completed)
        )  # fmt: skip
