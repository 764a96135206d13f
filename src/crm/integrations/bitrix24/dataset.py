"""A seedable generator of a Bitrix24 portal's records, in Bitrix24's own shapes (string values, ISO dates
with
the portal's offset). The emulator serves it; ``crm demo load`` loads it through the sync's upserts."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from crm.integrations.bitrix24.dataset_people import add_activity, people
from crm.integrations.bitrix24.dataset_vocabulary import (
    ACTIVITY_KINDS,
    COMPANY_WORDS,
    CONTRACT_FIELD,
    CONTRACT_TYPES,
    FEMALE,
    FIRST_NAMES,
    FORMS,
    INDUSTRIES,
    LAST_NAMES,
    PIPELINES,
    REFERENCES,
    REGIONS,
    SOURCES,
    STAGES,
    company_title,
    fmt,
)


@dataclass
class Dataset:
    departments: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    categories: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    companies: list[dict[str, Any]] = field(default_factory=list)
    requisites: list[dict[str, Any]] = field(default_factory=list)
    addresses: list[dict[str, Any]] = field(default_factory=list)
    deals: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)  # with COMPANY_IDS: every linked company
    leads: list[dict[str, Any]] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)


def synthetic_departments(rng: random.Random, count: int = 8) -> list[dict[str, Any]]:
    names = [
        "Головной офис",
        "Отдел продаж",
        "Отдел продаж Омск",
        "Отдел продаж Барнаул",
        "Тендерный отдел",
        "Бухгалтерия",
        "Технический отдел",
        "Отдел маркетинга",
        "Учебный центр",
        "Юристы",
    ]
    rows: list[dict[str, Any]] = [{"ID": "1", "NAME": names[0], "SORT": 500}]
    for i in range(1, min(count, len(names))):
        parent = "1" if i < 3 or i > 4 else "2"
        rows.append({"ID": str(i + 1), "NAME": names[i], "SORT": 100 * i, "PARENT": parent})
    return rows


def stage_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    categories = [
        {"id": cid, "name": name, "sort": sort, "entityTypeId": 2, "isDefault": "Y" if cid == 0 else "N"}
        for cid, name, sort in PIPELINES
    ]
    statuses: list[dict[str, Any]] = []
    n = 100
    for cid, _name, _sort in PIPELINES:
        for status_id, stage_name, sort, sem in STAGES:
            n += 1
            statuses.append(
                {
                    "ID": str(n),
                    "ENTITY_ID": "DEAL_STAGE" if cid == 0 else f"DEAL_STAGE_{cid}",
                    "STATUS_ID": status_id if cid == 0 else f"C{cid}:{status_id}",
                    "NAME": stage_name,
                    "NAME_INIT": stage_name,
                    "SORT": str(sort),
                    "SYSTEM": "Y",
                    "CATEGORY_ID": None if cid == 0 else str(cid),
                    "COLOR": "#39A8EF",
                    "SEMANTICS": sem,
                    "EXTRA": {
                        "SEMANTICS": {"S": "success", "F": "failure"}.get(sem or "", "process"),
                        "COLOR": "#39A8EF",
                    },
                }
            )
    return categories, statuses


def reference_rows(first_id: int = 1000) -> list[dict[str, Any]]:
    """The INDUSTRY, EMPLOYEES and COMPANY_TYPE lists as ``crm.status.list`` returns them."""
    rows: list[dict[str, Any]] = []
    for entity, items in REFERENCES.items():
        for i, (status_id, name) in enumerate(items, start=1):
            rows.append(
                {
                    "ID": str(first_id + len(rows)),
                    "ENTITY_ID": entity,
                    "STATUS_ID": status_id,
                    "NAME": name,
                    "NAME_INIT": name,
                    "SORT": str(i * 10),
                    "SYSTEM": "N",
                    "CATEGORY_ID": None,
                    "COLOR": None,
                    "SEMANTICS": None,
                }
            )
    return rows


def _inn(rng: random.Random) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(10))


class _Portal:
    """The state the steps of ``generate`` share, in the order they draw from one generator (a seed gives the
    same portal as before the steps were methods)."""

    def __init__(self, rng: random.Random, ds: Dataset, origin: datetime, now: datetime, seed: int) -> None:
        self.rng, self.ds, self.origin, self.now, self.seed = rng, ds, origin, now, seed
        self.sales_people: list[int] = []
        self.owner: dict[int, int] = {}
        self.company_ids: list[int] = []
        self.deal_company: dict[int, int] = {}
        self.deal_ids: list[int] = []
        self.kinds = [k for k in ACTIVITY_KINDS for _ in range(k[3])]
        self.call_activity_ids: list[tuple[int, int, int, datetime]] = []

    def moment(self, lo: datetime, hi: datetime) -> datetime:
        span = max(1, int((hi - lo).total_seconds()))
        return (lo + timedelta(seconds=self.rng.randrange(span))).replace(microsecond=0)

    def employees(self, n_employees: int) -> None:
        """Every named head, then others spread over the departments; the active ones sell."""
        dep_ids = [int(d["ID"]) for d in self.ds.departments]
        heads: dict[int, int] = {}
        for d in self.ds.departments:
            head = int(d.get("UF_HEAD") or 0)
            if head:
                heads.setdefault(head, int(d["ID"]))
        user_ids = list(heads)
        next_id = max([*user_ids, 1]) + 1
        while len(user_ids) < len(heads) + n_employees:
            user_ids.append(next_id)
            next_id += self.rng.randint(1, 7)
        user_ids.sort()
        for uid in user_ids:
            dep = heads.get(uid) or self.rng.choice(dep_ids)
            active = uid in heads or self.rng.random() > 0.06
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            if first in FEMALE:
                last += "а"
            self.ds.users.append(
                {
                    "ID": str(uid),
                    "ACTIVE": active,
                    "NAME": first,
                    "LAST_NAME": last,
                    "SECOND_NAME": "",
                    "EMAIL": f"user{uid}@portal.example",
                    "WORK_POSITION": "Руководитель" if uid in heads else "Менеджер",
                    "UF_DEPARTMENT": [dep],
                    "USER_TYPE": "employee",
                }
            )
            if active:
                self.sales_people.append(uid)
        if not self.sales_people:
            self.sales_people = user_ids

    def companies(self, count: int) -> None:
        """Companies, with requisites (92 %) and addresses (88 %)."""
        cid = 0
        req_id = 0
        for _ in range(count):
            cid += self.rng.randint(1, 3)
            self.company_ids.append(cid)
            resp = self.rng.choice(self.sales_people)
            self.owner[cid] = resp
            created = self.moment(self.origin, self.now - timedelta(days=30))
            modified = self.moment(created, self.now)
            self.ds.companies.append(
                {
                    "ID": str(cid),
                    "TITLE": company_title(
                        self.rng.choice(FORMS), self.rng.choice(COMPANY_WORDS), self.rng.choice(COMPANY_WORDS)
                    ),
                    "COMPANY_TYPE": "CUSTOMER",
                    "INDUSTRY": self.rng.choice(INDUSTRIES),
                    "EMPLOYEES": self.rng.choice(["EMPLOYEES_1", "EMPLOYEES_2", "EMPLOYEES_3", "EMPLOYEES_4"]),
                    "REVENUE": f"{self.rng.randint(0, 500) * 100000}.00",
                    "CURRENCY_ID": "RUB",
                    "ASSIGNED_BY_ID": str(resp),
                    "CREATED_BY_ID": str(resp),
                    "OPENED": "Y",
                    "IS_MY_COMPANY": "N",
                    "DATE_CREATE": fmt(created),
                    "DATE_MODIFY": fmt(modified),
                    "UF_CRM_1687188367": self.rng.choice(["", "VIP", "B2B"]),
                }
            )
            if self.rng.random() < 0.92:
                req_id += 1
                self.ds.requisites.append(
                    {
                        "ID": str(req_id),
                        "ENTITY_TYPE_ID": "4",
                        "ENTITY_ID": str(cid),
                        "PRESET_ID": "1",
                        "NAME": "Организация",
                        "RQ_INN": _inn(self.rng),
                        "RQ_KPP": str(self.rng.randint(100000000, 999999999)),
                        "RQ_COMPANY_NAME": self.ds.companies[-1]["TITLE"],
                    }
                )
            if self.rng.random() < 0.88:
                region, city = self.rng.choice(REGIONS)
                self.ds.addresses.append(
                    {
                        "TYPE_ID": "6",
                        "ENTITY_TYPE_ID": "4",
                        "ENTITY_ID": str(cid),
                        "ADDRESS_1": f"ул. Ленина, {self.rng.randint(1, 200)}",
                        "CITY": city,
                        "PROVINCE": region,
                        "COUNTRY": "Россия",
                        "POSTAL_CODE": str(self.rng.randint(600000, 660000)),
                    }
                )

    def deals(self, count: int) -> None:
        """Deals in the pipelines, most on a company and most with its manager."""
        stage_by_cat = {
            c: [(s if c == 0 else f"C{c}:{s}", sem) for s, _n, _o, sem in STAGES] for c, _n, _s in PIPELINES
        }
        did = 0
        for _ in range(count):
            did += self.rng.randint(1, 2)
            company = self.rng.choice(self.company_ids) if self.company_ids and self.rng.random() < 0.97 else 0
            cat = self.rng.choice([0, 0, 2, 4, 6])
            stage, sem = self.rng.choice(stage_by_cat[cat])
            created = self.moment(self.origin, self.now - timedelta(days=1))
            modified = self.moment(created, self.now)
            closed = sem is not None
            resp = self.owner[company] if company and self.rng.random() < 0.85 else self.rng.choice(self.sales_people)
            self.deal_company[did] = company
            self.ds.deals.append(
                {
                    "ID": str(did),
                    "TITLE": f"Сделка №{did}",
                    "TYPE_ID": "SALE",
                    "CATEGORY_ID": str(cat),
                    "STAGE_ID": stage,
                    "STAGE_SEMANTIC_ID": sem or "P",
                    "OPPORTUNITY": f"{self.rng.randint(1, 4000) * 250}.00",
                    "CURRENCY_ID": "RUB",
                    "COMPANY_ID": str(company) if company else None,
                    "CONTACT_ID": None,
                    "ASSIGNED_BY_ID": str(resp),
                    "BEGINDATE": fmt(created.replace(hour=0, minute=0, second=0)),
                    "CLOSEDATE": fmt(modified.replace(hour=0, minute=0, second=0)) if closed else "",
                    "CLOSED": "Y" if closed else "N",
                    "DATE_CREATE": fmt(created),
                    "DATE_MODIFY": fmt(modified),
                    "MOVED_TIME": fmt(modified),
                    "SOURCE_ID": "CALL",
                    "UTM_SOURCE": self.rng.choice(SOURCES) or None,
                    CONTRACT_FIELD: self.rng.choice(CONTRACT_TYPES),
                }
            )
        self.deal_ids = [int(d["ID"]) for d in self.ds.deals]

    def activities(self, count: int) -> None:
        """Activities on companies and deals; the calls among them are kept for ``calls``."""
        aid = 0
        for _ in range(count):
            aid += self.rng.randint(1, 2)
            type_id, provider, provider_type, _w = self.rng.choice(self.kinds)
            on_deal = self.deal_ids and self.rng.random() < 0.3
            owner_type, owner_id = (
                ("2", self.rng.choice(self.deal_ids))
                if on_deal
                else ("4", self.rng.choice(self.company_ids) if self.company_ids else 0)
            )
            company = self.deal_company.get(owner_id, 0) if on_deal else owner_id
            resp, start = add_activity(self, aid, (owner_type, owner_id), (type_id, provider, provider_type), company)
            if provider == "VOXIMPLANT_CALL" and company:
                self.call_activity_ids.append((aid, company, resp, start))

    def calls(self, count: int) -> None:
        """Calls (Voximplant statistics), some linked to call activities."""
        for i in range(count):
            vid = i + 1
            if i < len(self.call_activity_ids) and self.rng.random() < 0.7:
                act, company, user, start = self.call_activity_ids[i]
            else:
                act, company, user, start = (
                    0,
                    self.rng.choice(self.company_ids) if self.company_ids and self.rng.random() < 0.85 else 0,
                    self.rng.choice(self.sales_people),
                    self.moment(self.origin, self.now),
                )
            failed = self.rng.random() < 0.15
            self.ds.calls.append(
                {
                    "ID": str(vid),
                    "CALL_ID": f"call.{self.seed}.{vid}",
                    "PORTAL_USER_ID": str(user),
                    "PORTAL_NUMBER": "1",
                    "PHONE_NUMBER": f"79{self.rng.randint(100000000, 999999999)}",
                    "CALL_TYPE": self.rng.choice(["1", "1", "1", "2"]),
                    "CALL_DURATION": "0" if failed else str(self.rng.choice([5, 12, 19, 20, 35, 60, 95, 180, 420])),
                    "CALL_START_DATE": fmt(start),
                    "CALL_FAILED_CODE": "304" if failed else "200",
                    "CALL_FAILED_REASON": "",
                    "CRM_ENTITY_TYPE": "COMPANY" if company else None,
                    "CRM_ENTITY_ID": str(company) if company else None,
                    "CRM_ACTIVITY_ID": str(act) if act else None,
                    "COST": "0.0000",
                    "COST_CURRENCY": "RUB",
                }
            )


def generate(
    seed: int = 1,
    *,
    companies: int = 300,
    deals: int | None = None,
    activities: int | None = None,
    calls: int | None = None,
    contacts: int | None = None,
    leads: int | None = None,
    contact_activities: int | None = None,
    departments: list[dict[str, Any]] | None = None,
    employees: int | None = None,
    days: int = 400,
    now: datetime | None = None,
) -> Dataset:
    """A consistent portal: departments (the given tree or a synthetic one), employees in them (heads first),
    pipelines with stages, companies with requisites and addresses, deals, activities and calls; then contacts
    (some linked to several companies), leads (some converted to a company) and activities on them, drawn from a
    generator of their own so that everything before them is the same for a seed as before they existed."""
    rng = random.Random(seed)
    now = (now or datetime(2026, 11, 20, 12, 0, tzinfo=UTC)).astimezone(UTC)
    origin = now - timedelta(days=days)
    deals = deals if deals is not None else companies * 4
    activities = activities if activities is not None else companies * 7
    calls = calls if calls is not None else companies * 3
    ds = Dataset()
    ds.departments = [dict(d) for d in (departments or synthetic_departments(rng))]
    ds.categories, ds.statuses = stage_rows()
    ds.statuses += reference_rows()
    portal = _Portal(rng, ds, origin, now, seed)
    portal.employees(employees if employees is not None else max(12, companies // 40))
    portal.companies(companies)
    portal.deals(deals)
    portal.activities(activities)
    portal.calls(calls)
    people(
        ds,
        random.Random(f"contacts-and-leads:{seed}"),
        portal.company_ids,
        portal.owner,
        portal.sales_people,
        portal.kinds,
        contacts if contacts is not None else companies * 3 // 2,
        leads if leads is not None else companies // 2,
        contact_activities if contact_activities is not None else companies // 2,
        origin,
        now,
    )
    return ds
