"""Demo strategies and tasks: three strategies of the head, about forty tasks of the managers and the head across
statuses (some recurring, some overdue), today's visits in Moscow with addresses and coordinates. Running it twice
adds nothing."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.sales.models import ErpClient
from crm.features.tasks.models import Comment, Mention, Strategy, Task, Visit, strategy_clients
from crm.lib.i18n import local_today, local_tz

MARK = "Возврат ушедших клиентов"

VISITS = [  # time, title, address, lat, lon
    (time(10, 0), "Визит: ООО «Альфа-Трейд»", "Москва, ул. Тверская, 7", 55.7601, 37.6087),
    (time(11, 30), "Визит: АО «Северсталь-Снаб»", "Москва, ул. Новый Арбат, 15", 55.7526, 37.5908),
    (time(13, 0), "Визит: ИП Кузнецов", "Москва, Ленинградский пр-т, 39", 55.7897, 37.5447),
    (time(15, 0), "Визит: ООО «Вектор»", "Москва, ул. Большая Ордынка, 21", 55.7390, 37.6244),
    (time(17, 0), "Визит: ТД «Лютик»", "Москва, Кутузовский пр-т, 32", 55.7418, 37.5369),
]
TITLES = [
    "Позвонить по продлению договора",
    "Отправить коммерческое предложение",
    "Согласовать скидку с руководителем",
    "Подготовить презентацию для клиента",
    "Выставить счёт",
    "Уточнить объём поставки на квартал",
    "Проверить дебиторскую задолженность",
    "Собрать обратную связь по отгрузке",
    "Назначить встречу с закупщиком",
    "Обновить карточку клиента",
]
STATUSES = ["todo", "todo", "in_progress", "done", "todo", "cancelled", "in_progress", "done"]
PRIORITIES = ["medium", "high", "low", "medium", "high"]


def _at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(local_today() + timedelta(days=day_offset), time(hour, minute), tzinfo=local_tz())


async def load(session: AsyncSession, scale: str = "small") -> list[str]:
    if await session.scalar(select(Strategy.id).where(Strategy.name == MARK)):
        return ["Tasks: demo strategies and tasks are already there."]
    people = {u.email: u for u in (await session.scalars(select(User).where(User.email.like("%@example.com")))).all()}
    head, m1, m2 = (people.get(e) for e in ("head@example.com", "manager@example.com", "manager2@example.com"))
    if not (head and m1 and m2):
        return ["Tasks: demo users are missing; no demo tasks."]
    clients = list((await session.scalars(select(ErpClient.id).order_by(ErpClient.id).limit(6))).all())
    back, regions = await _strategies(session, head, clients)
    tasks = [
        *_todays_visits(m1, head, back, clients),
        *_spread_tasks([m1, m2, head], head, back, regions, clients),
    ]
    recurring = _recurring_tasks(m1, m2, head)
    tasks += recurring
    session.add_all(tasks)
    await session.flush()
    for task in recurring:
        task.series_id, task.occurrence = task.id, 1
    await _visit_and_comments(session, tasks, m1, head, back)
    return [f"Tasks: 3 strategies, {len(tasks)} tasks ({len(VISITS)} visits today for manager@example.com)."]


async def _strategies(session: AsyncSession, head: User, clients: list[int]) -> tuple[Strategy, Strategy]:
    """The head's three strategies (in progress with three clients, planned, paused); returns the first and the
    paused one, which tasks link to."""
    today = local_today()
    back = Strategy(
        name=MARK,
        description="Вернуть клиентов, не покупавших три месяца: звонки, визиты, персональные условия.",
        state="in_progress",
        owner_id=head.id,
        created_by_id=head.id,
        starts_on=today.replace(day=1) - timedelta(days=60),
        ends_on=today + timedelta(days=60),
        cost=Decimal("150000.00"),
        expected_result=Decimal("400000.00"),
        actual_result=Decimal("210000.00"),
    )
    expo = Strategy(
        name="Выставка «Продэкспо»",
        state="planned",
        owner_id=head.id,
        created_by_id=head.id,
        starts_on=today + timedelta(days=30),
        cost=Decimal("90000.00"),
    )
    regions = Strategy(
        name="Рост продаж в регионах",
        state="paused",
        owner_id=head.id,
        created_by_id=head.id,
        starts_on=today - timedelta(days=90),
    )
    session.add_all([back, expo, regions])
    await session.flush()
    if clients:
        await session.execute(insert(strategy_clients), [{"strategy_id": back.id, "client_id": c} for c in clients[:3]])
    return back, regions


def _todays_visits(m1: User, head: User, back: Strategy, clients: list[int]) -> list[Task]:
    """The manager's visits today, at Moscow addresses with coordinates."""
    today = local_today()
    return [
        Task(
            title=title,
            assignee_id=m1.id,
            creator_id=head.id,
            priority="high" if i == 1 else "medium",
            due_at=datetime.combine(today, at, tzinfo=local_tz()),
            address=address,
            lat=lat,
            lon=lon,
            strategy_id=back.id if i < 2 else None,
            client_id=clients[i] if i < len(clients) else None,
            status="in_progress" if i == 0 else "todo",
        )
        for i, (at, title, address, lat, lon) in enumerate(VISITS)
    ]


def _spread_tasks(owners: list[User], head: User, back: Strategy, regions: Strategy, clients: list[int]) -> list[Task]:
    """32 tasks of the managers and the head across statuses and priorities, due from ten days ago to in twenty."""
    tasks = []
    for i in range(32):
        owner = owners[i % 3]
        status = STATUSES[i % len(STATUSES)]
        offset = (i * 7) % 30 - 10
        tasks.append(
            Task(
                title=TITLES[i % len(TITLES)],
                assignee_id=owner.id,
                creator_id=head.id if i % 4 == 0 else owner.id,
                status=status,
                priority=PRIORITIES[i % len(PRIORITIES)],
                due_at=_at(offset, 9 + i % 9, (i % 2) * 30),
                strategy_id=back.id if i % 5 == 0 else regions.id if i % 7 == 0 else None,
                client_id=clients[i % len(clients)] if clients and i % 3 == 0 else None,
                completed_at=_at(offset, 18) if status in ("done", "cancelled") else None,
            )
        )
    return tasks


def _recurring_tasks(m1: User, m2: User, head: User) -> list[Task]:
    """A weekly, a monthly (on the 31st: the month's last day) and a daily series, each its own first occurrence."""
    weekly = Task(
        title="Еженедельный обзор воронки",
        assignee_id=m1.id,
        creator_id=m1.id,
        due_at=_at(1, 10),
        recurrence={"freq": "weekly", "interval": 1, "weekdays": [0], "skip_days_off": True},
    )
    monthly = Task(
        title="Отчёт по дебиторке",
        assignee_id=m2.id,
        creator_id=head.id,
        due_at=_at(5, 12),
        recurrence={"freq": "monthly", "interval": 1, "month_day": 31, "skip_days_off": True},
    )
    daily = Task(
        title="Планёрка отдела",
        assignee_id=head.id,
        creator_id=head.id,
        due_at=_at(0, 9, 30),
        recurrence={"freq": "daily", "interval": 1, "skip_days_off": True, "count": 60},
    )
    return [weekly, monthly, daily]


async def _visit_and_comments(session: AsyncSession, tasks: list[Task], m1: User, head: User, back: Strategy) -> None:
    """The first visit already checked in; a comment mentioning the head on the second, one on the strategy."""
    session.add(
        Visit(
            task_id=tasks[0].id,
            user_id=m1.id,
            checked_in_at=datetime.combine(local_today(), time(10, 5), tzinfo=local_tz()),
            in_lat=55.7603,
            in_lon=37.6091,
            in_accuracy=18,
            in_distance_m=35,
        )
    )
    note = Comment(task_id=tasks[1].id, author_id=m1.id, text="Клиент просит скидку 7 %, @head@example.com согласуете?")
    session.add_all([note, Comment(strategy_id=back.id, author_id=head.id, text="Первые два клиента вернулись.")])
    await session.flush()
    session.add(Mention(comment_id=note.id, user_id=head.id))
