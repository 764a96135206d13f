"""Lead desk: intake API, de-duplication of leads and weighted distribution of contacts among operators."""

from __future__ import annotations

from typing import Any

from crm.features.accounts.audit_labels import register
from crm.lib.i18n import N_


async def _operator_names(session: Any, ids: set[str]) -> dict[str, str]:
    """The weights entries name operators by id: their users' names (or emails), in one query."""
    from sqlalchemy import select

    from crm.features.accounts.models import User
    from crm.features.leads.models import LeadOperator

    numbers = [int(i) for i in ids if i.isdigit()]
    if not numbers:
        return {}
    rows = await session.execute(
        select(LeadOperator.id, User.name, User.email).join(User, User.id == LeadOperator.user_id)
        .where(LeadOperator.id.in_(numbers))
    )  # fmt: skip
    return {str(op_id): name or email for op_id, name, email in rows.all()}


register(
    {
        # entities
        "lead_source": N_("Lead source"),
        "lead_operator": N_("Lead desk operator"),
        "lead_contact": N_("Lead contact"),
        # actions
        "weights": N_("weights changed"),
        "rotate_key": N_("intake key replaced"),
        "take": N_("taken from the queue"),
        "close": N_("closed"),
        "reopen": N_("reopened"),
        # fields
        "max_load": N_("Maximum load"),
        "user": N_("User"),
        "outcome": N_("Outcome"),
        "close_comment": N_("Comment"),
        "operator": N_("Operator"),
    },
    values={
        "outcome": {
            "reached": N_("Reached"),
            "not_reached": N_("Not reached"),
            "wrong_number": N_("Wrong number"),
            "duplicate": N_("Duplicate"),
            "other": N_("Other"),
        }
    },
    resolvers={("lead_source", "weights"): _operator_names},
)
