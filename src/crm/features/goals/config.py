"""The analysis settings: ABC thresholds, index formulas, and per variable the editable lists of categories and
reasons and the condition rules that assign a category. The first read creates the defaults."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.services import record
from crm.features.goals.models import (
    VARIABLES,
    AnalysisCategory,
    AnalysisReason,
    AnalysisRule,
    AnalysisSettings,
)
from crm.lib.i18n import N_, gettext
from crm.lib.web import FormErrors

if TYPE_CHECKING:
    from crm.features.goals.forms import AnalysisSettingsForm, RuleForm

METRICS = ("revenue", "i1", "i2", "i3", "i4")
OPS = ("<", "<=", ">", ">=", "=")
FORMULA_LABELS = {
    "mom": N_("month vs previous month"),
    "avg3": N_("month vs average of the previous 3 months"),
    "avg6": N_("month vs average of the previous 6 months"),
    "avg12": N_("month vs average of the previous 12 months"),
    "yoy": N_("month vs the same month a year before"),
    "ytd": N_("year to date vs the same months a year before"),
}
VARIABLE_LABELS = {
    "revenue": N_("Revenue"),
    "client_count": N_("Client count"),
    "new_clients": N_("New clients"),
    "non_retained_clients": N_("Non-retained clients"),
}

DEFAULT_CATEGORIES = {
    "revenue": ["Growing", "Stable", "Falling"],
    "client_count": ["Growing", "Stable", "Falling"],
    "new_clients": ["Promising", "One-off"],
    "non_retained_clients": ["No retained", "With issues", "Retained"],
}
DEFAULT_REASONS = ["Price", "Competitor", "Seasonal demand", "Closed business", "Other"]
# variable → (metric, op, value, category)
DEFAULT_RULES = {
    "revenue": [("i3", ">=", 10, "Growing"), ("i3", "<", -30, "Falling")],
    "client_count": [("i3", ">=", 10, "Growing"), ("i3", "<", -30, "Falling")],
    "non_retained_clients": [("i3", "<", -30, "With issues")],
}
MAX_NAME = 80
# The default names are stored as typed here and shown translated (a name a person types is shown as typed).
DEFAULT_NAMES = (
    N_("Growing"),
    N_("Stable"),
    N_("Falling"),
    N_("Promising"),
    N_("One-off"),
    N_("No retained"),
    N_("With issues"),
    N_("Retained"),
    N_("Price"),
    N_("Competitor"),
    N_("Seasonal demand"),
    N_("Closed business"),
    N_("Other"),
)


@dataclass(frozen=True)
class Rule:
    metric: str
    op: str
    value: Decimal
    category: str


@dataclass(frozen=True)
class Config:
    abc_a: Decimal
    abc_b: Decimal
    formulas: dict[str, str]  # i1..i4 → formula key
    rules: dict[str, list[Rule]]  # variable → rules in order


async def settings_row(session: AsyncSession) -> AnalysisSettings:
    row = await session.get(AnalysisSettings, 1)
    if row is not None:
        return row
    await session.execute(select(func.pg_advisory_xact_lock(7_141_014)))
    row = await session.get(AnalysisSettings, 1, populate_existing=True)
    if row is not None:
        return row
    row = AnalysisSettings(id=1, abc_a=Decimal(80), abc_b=Decimal(95), i1="mom", i2="avg3", i3="yoy", i4="ytd")
    session.add(row)
    for variable in VARIABLES:
        cats = {}
        for pos, name in enumerate(DEFAULT_CATEGORIES[variable]):
            cats[name] = AnalysisCategory(variable=variable, name=name, position=pos)
            session.add(cats[name])
        for pos, name in enumerate(DEFAULT_REASONS):
            session.add(AnalysisReason(variable=variable, name=name, position=pos))
        await session.flush()
        for pos, (metric, op, value, cat) in enumerate(DEFAULT_RULES.get(variable, [])):
            session.add(
                AnalysisRule(
                    variable=variable,
                    metric=metric,
                    op=op,
                    value=Decimal(value),
                    category_id=cats[cat].id,
                    position=pos,
                )
            )
    await session.flush()
    return row


async def load(session: AsyncSession) -> Config:
    row = await settings_row(session)
    stmt = (
        select(AnalysisRule, AnalysisCategory.name)
        .join(AnalysisCategory, AnalysisCategory.id == AnalysisRule.category_id)
        .order_by(AnalysisRule.variable, AnalysisRule.position, AnalysisRule.id)
    )
    rules: dict[str, list[Rule]] = {v: [] for v in VARIABLES}
    for rule, name in (await session.execute(stmt)).all():
        rules.setdefault(rule.variable, []).append(Rule(rule.metric, rule.op, rule.value, name))
    formulas = {"i1": row.i1, "i2": row.i2, "i3": row.i3, "i4": row.i4}
    return Config(abc_a=row.abc_a, abc_b=row.abc_b, formulas=formulas, rules=rules)


async def categories(session: AsyncSession, variable: str) -> list[AnalysisCategory]:
    await settings_row(session)
    stmt = select(AnalysisCategory).where(AnalysisCategory.variable == variable)
    return list((await session.scalars(stmt.order_by(AnalysisCategory.position, AnalysisCategory.id))).all())


async def reasons(session: AsyncSession, variable: str) -> list[AnalysisReason]:
    await settings_row(session)
    stmt = select(AnalysisReason).where(AnalysisReason.variable == variable)
    return list((await session.scalars(stmt.order_by(AnalysisReason.position, AnalysisReason.id))).all())


async def rules_of(session: AsyncSession, variable: str) -> list[AnalysisRule]:
    stmt = select(AnalysisRule).where(AnalysisRule.variable == variable)
    return list((await session.scalars(stmt.order_by(AnalysisRule.position, AnalysisRule.id))).all())


def parse_decimal(raw: Any) -> Decimal | None:
    text = str(raw if raw is not None else "").strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not text or len(text) > 24:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


async def save_settings(session: AsyncSession, actor: Any, form: AnalysisSettingsForm) -> FormErrors:
    """ABC thresholds and formulas of a parsed form; its messages when there are any (nothing saved then)."""
    if not form.ok or form.abc_a is None or form.abc_b is None:
        return form.errors
    a, b = form.abc_a, form.abc_b
    formulas = {k: form.values[k] for k in ("i1", "i2", "i3", "i4")}
    row = await settings_row(session)
    before = {"abc_a": row.abc_a, "abc_b": row.abc_b, **{k: getattr(row, k) for k in formulas}}
    row.abc_a, row.abc_b = a, b
    for key, value in formulas.items():
        setattr(row, key, value)
    after = {"abc_a": a, "abc_b": b, **formulas}
    changes = {k: [before[k], after[k]] for k in after if str(before[k]) != str(after[k])}
    if changes:
        await record(session, actor, "analysis_settings", "1", "update", changes)
    return form.errors


def clean_name(raw: Any) -> str:
    return " ".join(str(raw or "").split())[:MAX_NAME]


async def add_item(session: AsyncSession, actor: Any, kind: str, variable: str, name: str) -> str | None:
    """Add a category or a reason; a message when it cannot be added."""
    model = AnalysisCategory if kind == "category" else AnalysisReason
    name = clean_name(name)
    if not name:
        return N_("Type a name.")
    if variable not in VARIABLES:
        return N_("Unknown variable.")
    exists = await session.scalar(select(model.id).where(model.variable == variable, model.name == name))
    if exists:
        return N_("This name is already in the list.")
    last = select(func.coalesce(func.max(model.position), -1) + 1).where(model.variable == variable)
    position = await session.scalar(last)
    session.add(model(variable=variable, name=name, position=position or 0))
    await session.flush()
    await record(session, actor, f"analysis_{kind}", variable, "create", {"name": [None, name]})
    return None


async def remove_item(session: AsyncSession, actor: Any, kind: str, item_id: int) -> bool:
    model = AnalysisCategory if kind == "category" else AnalysisReason
    item: Any = await session.get(model, item_id)
    if item is None:
        return False
    await record(session, actor, f"analysis_{kind}", item.variable, "delete", {"name": [item.name, None]})
    await session.delete(item)
    await session.flush()
    return True


async def add_rule(session: AsyncSession, actor: Any, form: RuleForm) -> FormErrors:
    """Add a parsed form's rule at the end of its variable's list; the form's messages (and one for a category
    of another variable) when there are any."""
    variable, metric, op, value = form.variable, form.metric, form.op, form.value
    for name, problem in (
        ("metric", N_("Choose a figure from the list.")),
        ("op", N_("Choose a comparison from the list.")),
        ("value", N_("A number, e.g. -30 or 12.5.")),
    ):
        if form.values[name] in (None, ""):
            form.errors.add(name, gettext(problem))
    category = await session.get(AnalysisCategory, form.category_id) if form.category_id else None
    if category is None or category.variable != variable:
        form.errors.add("category_id", gettext("Choose a category from the list."))
    if not form.ok or category is None or value is None:
        return form.errors
    position = await session.scalar(
        select(func.coalesce(func.max(AnalysisRule.position), -1) + 1).where(AnalysisRule.variable == variable)
    )
    session.add(
        AnalysisRule(
            variable=variable,
            metric=metric,
            op=op,
            value=value,
            category_id=category.id,
            position=position or 0,
        )
    )
    await session.flush()
    summary = f"{metric} {op} {value} → {category.name}"
    await record(session, actor, "analysis_rule", variable, "create", {"rule": [None, summary]})
    return form.errors


async def remove_rule(session: AsyncSession, actor: Any, rule_id: int) -> bool:
    rule = await session.get(AnalysisRule, rule_id)
    if rule is None:
        return False
    summary = f"{rule.metric} {rule.op} {rule.value}"
    await record(session, actor, "analysis_rule", rule.variable, "delete", {"rule": [summary, None]})
    await session.execute(delete(AnalysisRule).where(AnalysisRule.id == rule_id))
    return True
