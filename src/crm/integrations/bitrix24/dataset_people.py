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


def add_activity(
    portal: Any, aid: int, owner: tuple[str, int], kind: tuple[str, str, str], company: int
) -> tuple[int, datetime]:
    """The rest of an activity drawn from ``portal``'s generator (who, when, done, direction, in the order they
    always were, so a seed still gives the same portal), appended to its data set; answers who and when."""
    rng, now = portal.rng, portal.now
    resp = portal.owner[company] if company and rng.random() < 0.8 else rng.choice(portal.sales_people)
    start = portal.moment(portal.origin, now)
    end = start + timedelta(minutes=rng.choice([5, 15, 30, 60, 90]))
    completed = start < now - timedelta(hours=2) and rng.random() < 0.9
    direction = rng.choice(["1", "2", "2"]) if kind[0] in {"2", "4"} else "0"
    updated = portal.moment(start, max(now, start + timedelta(seconds=1)))
    portal.ds.activities.append(activity_row(aid, owner, kind, direction, resp, (start, end, updated), completed))
    return resp, start


def _multi(value: str) -> list[dict[str, str]]:
    return [{"ID": "1", "VALUE": value, "VALUE_TYPE": "WORK", "TYPE_ID": "PHONE" if value[0] == "+" else "EMAIL"}]


class _People:
    """What the steps of ``people`` share, drawing from one generator in the order they always did."""

    def __init__(
        self,
        ds: Dataset,
        rng: random.Random,
        company_ids: list[int],
        owner: dict[int, int],
        sales_people: list[int],
        kinds: list[tuple[str, str, str, int]],
        origin: datetime,
        now: datetime,
    ) -> None:
        self.ds, self.rng, self.company_ids, self.owner = ds, rng, company_ids, owner
        self.sales_people, self.kinds, self.origin, self.now = sales_people, kinds, origin, now
        self.contact_company: dict[int, int] = {}
        self.contacts_of: dict[int, list[int]] = {}

    def moment(self, lo: datetime, hi: datetime) -> datetime:
        span = max(1, int((hi - lo).total_seconds()))
        return (lo + timedelta(seconds=self.rng.randrange(span))).replace(microsecond=0)

    def contacts(self, n_contacts: int) -> None:
        """90 % with a primary company, one in eight of those linked to a second."""
        cid = 0
        for _ in range(n_contacts):
            cid += self.rng.randint(1, 3)
            links = [self.rng.choice(self.company_ids)] if self.company_ids and self.rng.random() < 0.9 else []
            if links and self.rng.random() < 0.125:
                second = self.rng.choice(self.company_ids)
                if second != links[0]:
                    links.append(second)
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            if first in FEMALE:
                last += "а"
            created = self.moment(self.origin, self.now - timedelta(days=1))
            resp = self.owner[links[0]] if links and self.rng.random() < 0.85 else self.rng.choice(self.sales_people)
            for c in links:
                self.contacts_of.setdefault(c, []).append(cid)
            self.contact_company[cid] = links[0] if links else 0
            self.ds.contacts.append(
                {
                    "ID": str(cid),
                    "NAME": first,
                    "LAST_NAME": last,
                    "SECOND_NAME": "",
                    "POST": self.rng.choice(["Директор", "Главный инженер", "Бухгалтер", "Менеджер по закупкам", ""]),
                    "COMPANY_ID": str(links[0]) if links else None,
                    "COMPANY_IDS": [str(c) for c in links],
                    "ASSIGNED_BY_ID": str(resp),
                    "SOURCE_ID": self.rng.choice(["CALL", "WEB", "PARTNER", "OTHER"]),
                    "HAS_PHONE": "Y",
                    "HAS_EMAIL": "Y",
                    "PHONE": _multi(f"+79{self.rng.randint(100000000, 999999999)}"),
                    "EMAIL": _multi(f"contact{cid}@client.example"),
                    "DATE_CREATE": fmt(created),
                    "DATE_MODIFY": fmt(self.moment(created, self.now)),
                }
            )

    def leads(self, n_leads: int) -> None:
        """A fifth converted: with a company and one of its contacts."""
        lid = 0
        for _ in range(n_leads):
            lid += self.rng.randint(1, 2)
            status, semantic = self.rng.choice(LEAD_STATUSES)
            company = self.rng.choice(self.company_ids) if self.company_ids and semantic == "S" else 0
            contact = self.rng.choice(self.contacts_of[company]) if company in self.contacts_of else 0
            created = self.moment(self.origin, self.now - timedelta(days=1))
            resp = self.owner[company] if company else self.rng.choice(self.sales_people)
            self.ds.leads.append(
                {
                    "ID": str(lid),
                    "TITLE": f"Лид №{lid}",
                    "NAME": self.rng.choice(FIRST_NAMES),
                    "LAST_NAME": self.rng.choice(LAST_NAMES),
                    "STATUS_ID": status,
                    "STATUS_SEMANTIC_ID": semantic,
                    "SOURCE_ID": self.rng.choice(["CALL", "WEB", "EMAIL", "ADVERTISING"]),
                    "COMPANY_TITLE": company_title(
                        self.rng.choice(FORMS), self.rng.choice(COMPANY_WORDS), self.rng.choice(COMPANY_WORDS)
                    ),
                    "COMPANY_ID": str(company) if company else None,
                    "CONTACT_ID": str(contact) if contact else None,
                    "ASSIGNED_BY_ID": str(resp),
                    "OPPORTUNITY": f"{self.rng.randint(0, 400) * 500}.00",
                    "CURRENCY_ID": "RUB",
                    "PHONE": _multi(f"+79{self.rng.randint(100000000, 999999999)}"),
                    "EMAIL": [],
                    "DATE_CREATE": fmt(created),
                    "DATE_MODIFY": fmt(self.moment(created, self.now)),
                }
            )

    def activities(self, n_activities: int) -> None:
        """Activities owned by contacts and leads (OWNER_TYPE_ID 3 and 1)."""
        contact_ids = [int(c["ID"]) for c in self.ds.contacts]
        lead_ids = [int(x["ID"]) for x in self.ds.leads]
        lead_company = {int(x["ID"]): int(x["COMPANY_ID"] or 0) for x in self.ds.leads}
        aid = max((int(a["ID"]) for a in self.ds.activities), default=0)
        for _ in range(n_activities if contact_ids or lead_ids else 0):
            aid += self.rng.randint(1, 2)
            type_id, provider, provider_type, _w = self.rng.choice(self.kinds)
            on_lead = bool(lead_ids) and (not contact_ids or self.rng.random() < 0.3)
            owner_type, owner_id = ("1", self.rng.choice(lead_ids)) if on_lead else ("3", self.rng.choice(contact_ids))
            company = lead_company[owner_id] if on_lead else self.contact_company[owner_id]
            add_activity(self, aid, (owner_type, owner_id), (type_id, provider, provider_type), company)


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
    steps = _People(ds, rng, company_ids, owner, sales_people, kinds, origin, now)
    steps.contacts(n_contacts)
    steps.leads(n_leads)
    steps.activities(n_activities)
