"""The words of the generated portal: names, company words, industries, regions, pipelines and stages, reference
lists, activity kinds, and the portal's time zone and date format."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

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


LEAD_STATUSES = [("NEW", "P"), ("IN_PROCESS", "P"), ("PROCESSED", "P"), ("CONVERTED", "S"), ("JUNK", "F")]
