"""The rule that picks an operator for a contact, and the words for why (spec leads.md, "Choosing the operator").

Pure functions over figures read under lock by ``intake.py``; nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crm.lib.i18n import N_
from crm.lib.i18n import gettext as translate

# Reason codes stored with every contact.
CONTINUITY = "continuity"
WEIGHT = "weight"
ALL_FULL = "all_full"
NONE_ACTIVE = "none_active"
TAKEN = "taken"  # the operator took it from the unassigned queue by hand

_REASONS: dict[str, str] = {
    CONTINUITY: N_("The lead's own operator, who has room, keeps it (continuity)."),
    WEIGHT: N_("Chosen at random by weight: %(weight)s of %(total)s among %(candidates)s operators with room."),
    ALL_FULL: N_("Unassigned: all %(operators)s active operators of the source are at their maximum load."),
    NONE_ACTIVE: N_("Unassigned: none of the source's %(operators)s operators is active."),
    TAKEN: N_("Taken by the operator from the unassigned queue after %(waited_min)s min."),
}
_FROM_QUEUE = N_("Given out from the unassigned queue after %(minutes)s min.")

REASON_LABELS: dict[str, str] = {
    CONTINUITY: N_("continuity"),
    WEIGHT: N_("by weight"),
    ALL_FULL: N_("all full"),
    NONE_ACTIVE: N_("no active operator"),
    TAKEN: N_("taken from the queue"),
}


@dataclass(frozen=True)
class Candidate:
    """An operator with a weight > 0 for the source, with the load counted while their row is locked."""

    operator_id: int
    weight: int
    load: int
    max_load: int
    active: bool = True

    @property
    def has_room(self) -> bool:
        return self.active and self.load < self.max_load


@dataclass(frozen=True)
class Choice:
    operator_id: int | None
    code: str
    params: dict[str, Any] = field(default_factory=dict)


GOLDEN = 0.6180339887498949


def draw_for(n: int) -> float:
    """The draw in [0, 1) of the n-th contact: the fractional part of n·φ (φ the golden ratio).

    Why not ``random.random()``: a draw from this sequence picks each operator with the same probability
    weight / Σ weights, but consecutive contacts spread evenly instead of clumping, so shares match the
    weights closely even over a few contacts (the error shrinks like 1/N, not 1/√N) and nobody has a run of
    bad luck. Any three consecutive draws are less than 0.382 apart, so with two operators of equal weight
    each gets one of any three contacts while they have room — "max_load 1 and 100, three contacts" is
    always 1 and 2. ``n`` is the contact's id, taken from its sequence before the choice.
    """
    return (n * GOLDEN) % 1.0


def choose_operator(competences: Sequence[Candidate], lead_operator_id: int | None, draw: float) -> Choice:
    """Continuity first, then the draw picks among operators with room with probability weight / Σ weights."""
    active = [c for c in competences if c.active and c.weight > 0]
    if not active:
        return Choice(None, NONE_ACTIVE, {"operators": len(competences)})
    free = [c for c in active if c.load < c.max_load]
    if not free:
        return Choice(None, ALL_FULL, {"operators": len(active)})
    for candidate in free:
        if candidate.operator_id == lead_operator_id:
            return Choice(candidate.operator_id, CONTINUITY, {})
    total = sum(c.weight for c in free)
    point = draw * total
    for candidate in free:
        point -= candidate.weight
        if point < 0:
            break
    return Choice(candidate.operator_id, WEIGHT, {"weight": candidate.weight, "total": total, "candidates": len(free)})


def reason_text(code: str, params: Mapping[str, Any], *, localized: bool = False) -> str:
    """The sentence for a stored reason: English for the API, the reader's language for pages."""
    tr = translate if localized else (lambda s: s)
    template = _REASONS.get(code)
    if template is None:
        return code
    values = {"weight": 0, "total": 0, "candidates": 0, "operators": 0, "waited_min": 0, **params}
    text = tr(template) % values
    if "queued_s" in params:
        text = tr(_FROM_QUEUE) % {"minutes": max(0, round(int(params["queued_s"]) / 60))} + " " + text
    return text


def reason_label(code: str) -> str:
    return translate(REASON_LABELS.get(code, code))
