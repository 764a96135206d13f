"""Demo strategies and tasks: three strategies of the head, about forty tasks of the managers and the head across
statuses (some recurring, some overdue), today's visits in Moscow with addresses and coordinates. Running it twice
adds nothing."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

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
    tasks: list[Task] = []

    def add(**values: Any) -> Task:
        task = Task(**values)
        tasks.append(task)
        return task

    for i, (at, title, address, lat, lon) in enumerate(VISITS):
        add(
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
    owners = [m1, m2, head]
    for i in range(32):
        owner = owners[i % 3]
        status = STATUSES[i % len(STATUSES)]
        offset = (i * 7) % 30 - 10
        add(
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
    weekly = add(
        title="Еженедельный обзор воронки",
        assignee_id=m1.id,
        creator_id=m1.id,
        due_at=_at(1, 10),
        recurrence={"freq": "weekly", "interval": 1, "weekdays": [0], "skip_days_off": True},
    )
    monthly = add(
        title="Отчёт по дебиторке",
        assignee_id=m2.id,
        creator_id=head.id,
        due_at=_at(5, 12),
        recurrence={"freq": "monthly", "interval": 1, "month_day": 31, "skip_days_off": True},
    )
    daily = add(
        title="Планёрка отдела",
        assignee_id=head.id,
        creator_id=head.id,
        due_at=_at(0, 9, 30),
        recurrence={"freq": "daily", "interval": 1, "skip_days_off": True, "count": 60},
    )
    session.add_all(tasks)
    await session.flush()
    for task in (weekly, monthly, daily):
        task.series_id, task.occurrence = task.id, 1
    session.add(
        Visit(
            task_id=tasks[0].id,
            user_id=m1.id,
            checked_in_at=datetime.combine(today, time(10, 5), tzinfo=local_tz()),
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
    return [f"Tasks: 3 strategies, {len(tasks)} tasks ({len(VISITS)} visits today for manager@example.com)."]
