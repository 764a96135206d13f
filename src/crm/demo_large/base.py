"""What the generators of the large demo share: sizes by scale factor, people's names, UUIDv7 ids, COPY with the
models' constant defaults, the distributions (a few big clients and many small ones, seasonality) and progress."""

from __future__ import annotations

import bisect
import itertools
import random
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

# What one unit of progress is: a row written. ``progress(n)`` is called after each COPY batch.
Progress = Callable[[int], None]
BATCH = 100_000


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


MALE_FIRST = _words(
    """
    Александр Алексей Андрей Антон Артём Борис Вадим Валерий Василий Виктор Виталий Владимир Владислав
    Геннадий Георгий Григорий Денис Дмитрий Евгений Егор Иван Игорь Илья Кирилл Константин Леонид Максим
    Михаил Никита Николай Олег Павел Пётр Роман Руслан Сергей Станислав Степан Тимур Фёдор Юрий Ярослав
    """
)
FEMALE_FIRST = _words(
    """
    Александра Алина Алёна Алла Анастасия Анна Валентина Валерия Вера Вероника Виктория Галина Дарья
    Диана Евгения Екатерина Елена Елизавета Жанна Зоя Инна Ирина Карина Кристина Ксения Лариса Любовь
    Людмила Маргарита Марина Мария Надежда Наталья Оксана Ольга Полина Светлана София Татьяна Юлия Яна
    """
)
# Male forms; female forms are derived (Иванов → Иванова, Ковальский → Ковальская, Шевченко stays).
SURNAMES = _words(
    """
    Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов Волков
    Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров Никитин
    Захаров Зайцев Соловьёв Борисов Яковлев Григорьев Романов Воробьёв Сергеев Кузьмин Фролов
    Александров Дмитриев Королёв Гусев Киселёв Ильин Максимов Поляков Сорокин Виноградов Ковалёв Белов
    Медведев Антонов Тарасов Жуков Баранов Филиппов Комаров Давыдов Беляев Герасимов Богданов Осипов
    Сидоров Матвеев Титов Марков Миронов Крылов Куликов Карпов Власов Мельников Денисов Гаврилов Тихонов
    Казаков Афанасьев Данилов Савельев Тимофеев Фомин Чернов Абрамов Мартынов Ефимов Федотов Щербаков
    Назаров Калинин Исаев Чернышёв Быков Маслов Родионов Коновалов Лазарев Воронин Климов Филатов
    Пономарёв Голубев Кудрявцев Прохоров Наумов Потапов Журавлёв Овчинников Трофимов Леонов Соболев
    Ермаков Колесников Гончаров Емельянов Никифоров Грачёв Котов Гришин Ефремов Архипов Громов Кириллов
    Малышев Панов Моисеев Румянцев Акимов Кондратьев Бирюков Горбунов Анисимов Еремин Тихомиров Галкин
    Лукьянов Михеев Скворцов Юдин Белоусов Нестеров Симонов Прокофьев Харитонов Князев Цветков Левин
    Митрофанов Воронов Аксёнов Софронов Мальцев Логинов Горшков Савин Краснов Майоров Демидов Елисеев
    Рыбаков Сафонов Плотников Дёмин Хохлов Жданов Руденко Шевченко Бондаренко Ткаченко Коваленко
    Кравченко Савченко Ковальский Островский Вишневский Покровский Троицкий Толстой Луговой Ким Пак Цой
    Гарипов Хабибуллин Сафин Мухаметов Шарипов Галиев Алиев Мамедов Гасанов Оганесян Саркисян Беридзе
    """
)

_CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
_LATIN = _words("a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya")
_TRANSLIT = {c: "" if lat == "-" else lat for c, lat in zip(_CYRILLIC, _LATIN, strict=True)}


def translit(text: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())


def female_surname(surname: str) -> str:
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    if surname.endswith(("ский", "цкий", "ой", "ый")):
        return surname[:-2] + "ая"
    return surname


def person_name(rng: random.Random) -> tuple[str, str]:
    """First and last name of one person, gender-consistent."""
    surname = rng.choice(SURNAMES)
    if rng.random() < 0.5:
        return rng.choice(MALE_FIRST), surname
    return rng.choice(FEMALE_FIRST), female_surname(surname)


def unique_email(first: str, last: str, taken: set[str], domain: str = "example.com") -> str:
    base = f"{translit(first)}.{translit(last)}"
    email, n = f"{base}@{domain}", 1
    while email in taken:
        n += 1
        email = f"{base}{n}@{domain}"
    taken.add(email)
    return email


def uuid7_at(moment: datetime, rng: random.Random) -> uuid.UUID:
    """A UUIDv7 whose time part is ``moment`` (ids sort like creation times, as the app's do)."""
    ms = int(moment.timestamp() * 1000) & ((1 << 48) - 1)
    value = ms << 80 | 0x7 << 76 | rng.getrandbits(12) << 64 | 0b10 << 62 | rng.getrandbits(62)
    return uuid.UUID(int=value)


# --------------------------------------------------------------------------- COPY


def model_defaults(table: str, columns: Sequence[str]) -> tuple[list[str], list[Any]]:
    """NOT NULL columns of ``table`` not in ``columns`` whose model default is a constant (``mapped_column(
    default=...)``, which the database does not know), with those constants."""
    from crm import models

    names: list[str] = []
    values: list[Any] = []
    for column in models.metadata.tables[table].columns:
        default = column.default
        if column.name in columns or column.nullable or column.server_default is not None or default is None:
            continue
        if getattr(default, "is_scalar", False):
            names.append(column.name)
            values.append(default.arg)  # type: ignore[attr-defined]
    return names, values


async def copy_records(
    conn: Any,
    table: str,
    columns: Sequence[str],
    records: Iterable[tuple[Any, ...]],
    progress: Progress | None = None,
    batch: int = BATCH,
) -> int:
    """COPY ``records`` (any iterable, consumed in batches) into ``table`` on an asyncpg connection; NOT NULL columns
    left out get their models' constant defaults, so a column a slice adds later does not break the generators."""
    extra_names, extra_values = model_defaults(table, columns)
    names = [*columns, *extra_names]
    extra = tuple(extra_values)
    written = 0
    iterator = iter(records)
    while chunk := list(itertools.islice(iterator, batch)):
        rows = [(*r, *extra) for r in chunk] if extra else chunk
        await conn.copy_records_to_table(table, records=rows, columns=names)
        written += len(rows)
        if progress is not None:
            progress(len(rows))
    return written


async def next_id(conn: Any, table: str) -> int:
    """The first free id of ``table`` (the generators write their ids and then move the sequence past them)."""
    return int(await conn.fetchval(f"SELECT coalesce(max(id), 0) + 1 FROM {table}"))  # noqa: S608 (our names)


async def set_sequence(conn: Any, table: str) -> None:
    """The table's id sequence after the largest id written, so the app's next insert takes the next one: an
    identity column's, or the ``<table>_id_seq`` the models name (not owned by the column, so looked up by name)."""
    seq = await conn.fetchval(
        "SELECT coalesce(pg_get_serial_sequence($1, 'id'), CASE WHEN to_regclass($1 || '_id_seq') IS NOT NULL "
        "THEN $1 || '_id_seq' END)",
        table,
    )
    if seq:
        top = await conn.fetchval(f"SELECT max(id) FROM {table}")  # noqa: S608 (our names)
        if top:
            await conn.execute("SELECT setval($1::regclass, $2)", seq, top)


async def drop_indexes(conn: Any, tables: Sequence[str]) -> list[str]:
    """Drop the secondary indexes of ``tables`` (not those behind a primary key or unique constraint) and return
    their definitions: building an index once over millions of copied rows is several times faster than keeping
    it up to date row by row. Inside the load's transaction, so they are back whatever happens."""
    rows = await conn.fetch(
        "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition "
        "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
        "WHERE t.relname = ANY($1::text[]) AND t.relnamespace = current_schema()::regnamespace "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
        list(tables),
    )
    for row in rows:
        await conn.execute(f"DROP INDEX {row['name']}")
    return [row["definition"] for row in rows]


async def create_indexes(conn: Any, definitions: Sequence[str]) -> None:
    for definition in definitions:
        await conn.execute(definition)


# --------------------------------------------------------------------------- distributions


class Weighted:
    """Draws items by weight in O(log n) (``random.choices`` rebuilds the cumulative weights on every call)."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]

    def draw(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


def pareto_weights(n: int, rng: random.Random, alpha: float = 1.16) -> list[float]:
    """A few big and many small (the 80/20 rule at alpha ≈ 1.16), capped so one item is not everything."""
    return [min(rng.paretovariate(alpha), 500.0) for _ in range(n)]


# Month weights of B2B sales activity: a slow January and May holidays, August holidays, a busy December.
SEASON = (0.7, 0.95, 1.05, 1.05, 0.85, 1.0, 0.95, 0.8, 1.05, 1.1, 1.15, 1.3)


class Days:
    """Days of a period drawn with the seasonality above; weekends get a tenth of a working day's weight."""

    def __init__(self, first: date, last: date) -> None:
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        self._weighted = Weighted(days, [SEASON[d.month - 1] * (1.0 if d.weekday() < 5 else 0.1) for d in days])

    def day(self, rng: random.Random) -> date:
        return self._weighted.draw(rng)

    def moment(self, rng: random.Random, zone: Any = UTC) -> datetime:
        """A moment of a drawn day in office hours (9:00–19:00 local), as an aware datetime."""
        start = datetime.combine(self.day(rng), time(9), tzinfo=zone)
        return start + timedelta(seconds=rng.randrange(10 * 3600))


@dataclass(frozen=True)
class Sizes:
    """How many of each record at a scale factor (1.0: the spec's "large" organisation)."""

    factor: float = 1.0

    def n(self, full: int, least: int = 1) -> int:
        return max(least, round(full * self.factor))

    @property
    def managers(self) -> int:
        return self.n(200, 4)

    @property
    def companies(self) -> int:
        return self.n(100_000, 20)

    @property
    def deals(self) -> int:
        return self.n(1_000_000, 50)

    @property
    def activities(self) -> int:
        return self.n(3_000_000, 100)

    @property
    def calls(self) -> int:
        return self.n(2_000_000, 100)

    @property
    def contacts(self) -> int:
        return self.n(200_000, 20)

    @property
    def crm_leads(self) -> int:
        return self.n(100_000, 10)

    @property
    def lead_contacts(self) -> int:
        return self.n(1_000_000, 50)

    @property
    def erp_clients(self) -> int:
        return self.n(20_000, 20)

    @property
    def sales_lines(self) -> int:
        return self.n(1_000_000, 100)

    @property
    def telegrams(self) -> int:
        return self.n(100_000, 40)

    @property
    def tasks(self) -> int:
        return self.n(200_000, 40)

    @property
    def audit(self) -> int:
        return self.n(50_000, 10)
