"""A seedable generator of a Bitrix24 portal's records, in Bitrix24's own shapes (string values, ISO dates
with
the portal's offset). The emulator serves it; ``crm demo load`` loads it through the sync's upserts."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

PORTAL_TZ = timezone(timedelta(hours=3))

FIRST_NAMES = [
    "Анна",
    "Иван",
    "Мария",
    "Олег",
    "Светлана",
    "Дмитрий",
    "Елена",
    "Павел",
    "Ольга",
    "Сергей",
    "Наталья",
    "Алексей",
    "Татьяна",
    "Никита",
    "Юлия",
    "Артём",
    "Ксения",
    "Максим",
]
FEMALE = {"Анна", "Мария", "Светлана", "Елена", "Ольга", "Наталья", "Татьяна", "Юлия", "Ксения"}
LAST_NAMES = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
]
COMPANY_WORDS = [
    "Сибирь",
    "Альфа",
    "Техно",
    "Строй",
    "Энерго",
    "Агро",
    "Транс",
    "Мед",
    "Про",
    "Вектор",
    "Омега",
    "Гранит",
    "Север",
    "Старт",
    "Профи",
    "Лидер",
    "Инвест",
    "Ресурс",
    "Фарм",
    "Логистик",
]
FORMS = ["ООО", "АО", "ИП", "ПАО", "ЗАО"]


def company_title(form: str, first: str, second: str) -> str:
    """A name a Russian company could have: «ЭнергоРесурс», «СеверСтрой»; never one word twice; a sole trader
    (ИП) is named after a person, as in the register."""
    if first == second:
        second = COMPANY_WORDS[(COMPANY_WORDS.index(second) + 7) % len(COMPANY_WORDS)]
    if form == "ИП":
        surname = LAST_NAMES[(COMPANY_WORDS.index(first) * 7 + COMPANY_WORDS.index(second)) % len(LAST_NAMES)]
        initials = FIRST_NAMES[COMPANY_WORDS.index(second) % len(FIRST_NAMES)][0]
        return f"ИП {surname} {initials}. {second[0]}."
    return f"{form} «{first}{second}»"


INDUSTRIES = [
    "IT",
    "MANUFACTURING",
    "CONSTRUCTION",
    "RETAIL",
    "ENERGY",
    "AGRICULTURE",
    "HEALTHCARE",
    "TRANSPORT",
]
REGIONS = [
    ("Омская область", "Омск"),
    ("Алтайский край", "Барнаул"),
    ("Новосибирская область", "Новосибирск"),
    ("Томская область", "Томск"),
    ("Кемеровская область", "Кемерово"),
    ("Москва", "Москва"),
]
SOURCES = ["google", "yandex", "fb", "vk", "partner", ""]
CONTRACT_TYPES = ["A", "B", "C"]
CONTRACT_FIELD = "UF_CRM_1721244482250"
PIPELINES = [
    (0, "Общее направление", 300),
    (2, "Охрана труда", 200),
    (4, "Экология", 400),
    (6, "Обучение", 500),
]
STAGES = [  # status id, name, sort, semantics (None = in progress)
    ("NEW", "Новая", 10, None),
    ("PREPARATION", "Подготовка документов", 20, None),
    ("PREPAYMENT_INVOICE", "Счёт на предоплату", 30, None),
    ("EXECUTING", "В работе", 40, None),
    ("WON", "Сделка успешна", 60, "S"),
    ("LOSE", "Сделка провалена", 70, "F"),
    ("APOLOGY", "Анализ причины", 80, "F"),
]
# the portal's reference lists (crm.status.list): Bitrix24's standard items plus the portal's own industries
REFERENCES: dict[str, list[tuple[str, str]]] = {
    "INDUSTRY": [
        ("IT", "Информационные технологии"),
        ("TELECOM", "Телекоммуникации и связь"),
        ("MANUFACTURING", "Производство"),
        ("BANKING", "Банковские услуги"),
        ("CONSULTING", "Консалтинг"),
        ("FINANCE", "Финансы"),
        ("GOVERNMENT", "Правительство"),
        ("DELIVERY", "Доставка"),
        ("ENTERTAINMENT", "Развлечения"),
        ("NOTPROFIT", "Не для получения прибыли"),
        ("CONSTRUCTION", "Строительство"),
        ("RETAIL", "Розничная торговля"),
        ("ENERGY", "Энергетика"),
        ("AGRICULTURE", "Сельское хозяйство"),
        ("HEALTHCARE", "Здравоохранение"),
        ("TRANSPORT", "Транспорт и логистика"),
        ("OTHER", "Другое"),
    ],
    "EMPLOYEES": [
        ("EMPLOYEES_1", "менее 50"),
        ("EMPLOYEES_2", "50-250"),
        ("EMPLOYEES_3", "250-500"),
        ("EMPLOYEES_4", "более 500"),
    ],
    "COMPANY_TYPE": [
        ("CUSTOMER", "Клиент"),
        ("SUPPLIER", "Поставщик"),
        ("COMPETITOR", "Конкурент"),
        ("PARTNER", "Партнер"),
        ("OTHER", "Другое"),
    ],
}
SUBJECTS = {  # PROVIDER_TYPE_ID → how people title such activities
    "CALL": ["Звонок клиенту", "Входящий звонок", "Уточнить условия договора"],
    "MEETING": ["Встреча в офисе клиента", "Презентация услуг"],
    "EMAIL": ["Коммерческое предложение", "Ответ на запрос", "Счёт на оплату"],
    "CRM_TODO": ["Подготовить договор", "Перезвонить", "Отправить документы"],
    "TASK": ["Проверить оплату", "Собрать пакет документов"],
}
ACTIVITY_KINDS = [  # TYPE_ID, PROVIDER_ID, PROVIDER_TYPE_ID, weight
    ("2", "VOXIMPLANT_CALL", "CALL", 45),
    ("1", "CRM_MEETING", "MEETING", 15),
    ("4", "CRM_EMAIL", "EMAIL", 20),
    ("6", "CRM_TODO", "CRM_TODO", 12),
    ("6", "CRM_TASKS_TASK", "TASK", 5),
    ("3", "TASKS", "TASK", 3),
]


def fmt(moment: datetime) -> str:
    return moment.astimezone(PORTAL_TZ).isoformat(timespec="seconds")


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


def _activity_row(
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


def _pick(options: list[str], n: int) -> str:
    return options[n % len(options)]  # not from the generator: the rest of the dataset stays as it was


def _inn(rng: random.Random) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(10))


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

    # employees: every named head, then others spread over the departments
    dep_ids = [int(d["ID"]) for d in ds.departments]
    heads: dict[int, int] = {}
    for d in ds.departments:
        head = int(d.get("UF_HEAD") or 0)
        if head:
            heads.setdefault(head, int(d["ID"]))
    n_employees = employees if employees is not None else max(12, companies // 40)
    user_ids = list(heads)
    next_id = max([*user_ids, 1]) + 1
    while len(user_ids) < len(heads) + n_employees:
        user_ids.append(next_id)
        next_id += rng.randint(1, 7)
    user_ids.sort()
    sales_people: list[int] = []
    for uid in user_ids:
        dep = heads.get(uid) or rng.choice(dep_ids)
        active = uid in heads or rng.random() > 0.06
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if first in FEMALE:
            last += "а"
        ds.users.append(
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
            sales_people.append(uid)
    if not sales_people:
        sales_people = user_ids

    def moment(lo: datetime, hi: datetime) -> datetime:
        span = max(1, int((hi - lo).total_seconds()))
        return (lo + timedelta(seconds=rng.randrange(span))).replace(microsecond=0)

    # companies, requisites, addresses
    company_ids: list[int] = []
    owner: dict[int, int] = {}
    cid = 0
    req_id = 0
    for _ in range(companies):
        cid += rng.randint(1, 3)
        company_ids.append(cid)
        resp = rng.choice(sales_people)
        owner[cid] = resp
        created = moment(origin, now - timedelta(days=30))
        modified = moment(created, now)
        ds.companies.append(
            {
                "ID": str(cid),
                "TITLE": company_title(rng.choice(FORMS), rng.choice(COMPANY_WORDS), rng.choice(COMPANY_WORDS)),
                "COMPANY_TYPE": "CUSTOMER",
                "INDUSTRY": rng.choice(INDUSTRIES),
                "EMPLOYEES": rng.choice(["EMPLOYEES_1", "EMPLOYEES_2", "EMPLOYEES_3", "EMPLOYEES_4"]),
                "REVENUE": f"{rng.randint(0, 500) * 100000}.00",
                "CURRENCY_ID": "RUB",
                "ASSIGNED_BY_ID": str(resp),
                "CREATED_BY_ID": str(resp),
                "OPENED": "Y",
                "IS_MY_COMPANY": "N",
                "DATE_CREATE": fmt(created),
                "DATE_MODIFY": fmt(modified),
                "UF_CRM_1687188367": rng.choice(["", "VIP", "B2B"]),
            }
        )
        if rng.random() < 0.92:
            req_id += 1
            ds.requisites.append(
                {
                    "ID": str(req_id),
                    "ENTITY_TYPE_ID": "4",
                    "ENTITY_ID": str(cid),
                    "PRESET_ID": "1",
                    "NAME": "Организация",
                    "RQ_INN": _inn(rng),
                    "RQ_KPP": str(rng.randint(100000000, 999999999)),
                    "RQ_COMPANY_NAME": ds.companies[-1]["TITLE"],
                }
            )
        if rng.random() < 0.88:
            region, city = rng.choice(REGIONS)
            ds.addresses.append(
                {
                    "TYPE_ID": "6",
                    "ENTITY_TYPE_ID": "4",
                    "ENTITY_ID": str(cid),
                    "ADDRESS_1": f"ул. Ленина, {rng.randint(1, 200)}",
                    "CITY": city,
                    "PROVINCE": region,
                    "COUNTRY": "Россия",
                    "POSTAL_CODE": str(rng.randint(600000, 660000)),
                }
            )

    # deals
    stage_by_cat = {c: [(s if c == 0 else f"C{c}:{s}", sem) for s, _n, _o, sem in STAGES] for c, _n, _s in PIPELINES}
    deal_company: dict[int, int] = {}
    did = 0
    for _ in range(deals):
        did += rng.randint(1, 2)
        company = rng.choice(company_ids) if company_ids and rng.random() < 0.97 else 0
        cat = rng.choice([0, 0, 2, 4, 6])
        stage, sem = rng.choice(stage_by_cat[cat])
        created = moment(origin, now - timedelta(days=1))
        modified = moment(created, now)
        closed = sem is not None
        resp = owner[company] if company and rng.random() < 0.85 else rng.choice(sales_people)
        deal_company[did] = company
        ds.deals.append(
            {
                "ID": str(did),
                "TITLE": f"Сделка №{did}",
                "TYPE_ID": "SALE",
                "CATEGORY_ID": str(cat),
                "STAGE_ID": stage,
                "STAGE_SEMANTIC_ID": sem or "P",
                "OPPORTUNITY": f"{rng.randint(1, 4000) * 250}.00",
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
                "UTM_SOURCE": rng.choice(SOURCES) or None,
                CONTRACT_FIELD: rng.choice(CONTRACT_TYPES),
            }
        )
    deal_ids = [int(d["ID"]) for d in ds.deals]

    # activities
    kinds = [k for k in ACTIVITY_KINDS for _ in range(k[3])]
    aid = 0
    call_activity_ids: list[tuple[int, int, int, datetime]] = []
    for _ in range(activities):
        aid += rng.randint(1, 2)
        type_id, provider, provider_type, _w = rng.choice(kinds)
        on_deal = deal_ids and rng.random() < 0.3
        owner_type, owner_id = (
            ("2", rng.choice(deal_ids)) if on_deal else ("4", rng.choice(company_ids) if company_ids else 0)
        )
        company = deal_company.get(owner_id, 0) if on_deal else owner_id
        resp = owner[company] if company and rng.random() < 0.8 else rng.choice(sales_people)
        start = moment(origin, now)
        end = start + timedelta(minutes=rng.choice([5, 15, 30, 60, 90]))
        completed = start < now - timedelta(hours=2) and rng.random() < 0.9
        direction = rng.choice(["1", "2", "2"]) if type_id in {"2", "4"} else "0"
        updated = moment(start, max(now, start + timedelta(seconds=1)))
        ds.activities.append(
            _activity_row(aid, (owner_type, owner_id), (type_id, provider, provider_type), direction, resp,
                          (start, end, updated), completed)
        )  # fmt: skip
        if provider == "VOXIMPLANT_CALL" and company:
            call_activity_ids.append((aid, company, resp, start))

    # calls (voximplant statistics), some linked to call activities
    for i in range(calls):
        vid = i + 1
        if i < len(call_activity_ids) and rng.random() < 0.7:
            act, company, user, start = call_activity_ids[i]
        else:
            act, company, user, start = (
                0,
                rng.choice(company_ids) if company_ids and rng.random() < 0.85 else 0,
                rng.choice(sales_people),
                moment(origin, now),
            )
        failed = rng.random() < 0.15
        ds.calls.append(
            {
                "ID": str(vid),
                "CALL_ID": f"call.{seed}.{vid}",
                "PORTAL_USER_ID": str(user),
                "PORTAL_NUMBER": "1",
                "PHONE_NUMBER": f"79{rng.randint(100000000, 999999999)}",
                "CALL_TYPE": rng.choice(["1", "1", "1", "2"]),
                "CALL_DURATION": "0" if failed else str(rng.choice([5, 12, 19, 20, 35, 60, 95, 180, 420])),
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
    _people(
        ds,
        random.Random(f"contacts-and-leads:{seed}"),
        company_ids,
        owner,
        sales_people,
        kinds,
        contacts if contacts is not None else companies * 3 // 2,
        leads if leads is not None else companies // 2,
        contact_activities if contact_activities is not None else companies // 2,
        origin,
        now,
    )
    return ds


LEAD_STATUSES = [("NEW", "P"), ("IN_PROCESS", "P"), ("PROCESSED", "P"), ("CONVERTED", "S"), ("JUNK", "F")]


def _multi(value: str) -> list[dict[str, str]]:
    return [{"ID": "1", "VALUE": value, "VALUE_TYPE": "WORK", "TYPE_ID": "PHONE" if value[0] == "+" else "EMAIL"}]


def _people(
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
            _activity_row(aid, (owner_type, owner_id), (type_id, provider, provider_type), direction, resp,
                          (start, end, updated), completed)
        )  # fmt: skip
