"""Goals: monthly targets per variable, product family and person; the sales analysis (I1–I4, ABC, categories)
and the control screen (KPIs, per-goal progress)."""

from crm.features.accounts.audit_labels import register
from crm.lib.i18n import N_

TARGETS = (
    N_("Target for January"),
    N_("Target for February"),
    N_("Target for March"),
    N_("Target for April"),
    N_("Target for May"),
    N_("Target for June"),
    N_("Target for July"),
    N_("Target for August"),
    N_("Target for September"),
    N_("Target for October"),
    N_("Target for November"),
    N_("Target for December"),
)

register(
    {
        # entities
        "goal": N_("Goal"),
        "analysis_settings": N_("Analysis settings"),
        "analysis_category": N_("Analysis category"),
        "analysis_reason": N_("Analysis reason"),
        "analysis_rule": N_("Category rule"),
        "analysis_override": N_("Client category"),
        # fields
        "variable": N_("Indicator"),
        "family": N_("Product family"),
        "responsible_id": N_("Person"),
        "year": N_("Year"),
        "abc_a": N_("ABC: A threshold"),
        "abc_b": N_("ABC: B threshold"),
        "i1": "I1",
        "i2": "I2",
        "i3": "I3",
        "i4": "I4",
        "rule": N_("Rule"),
        "category": N_("Category"),
        "reason": N_("Reason"),
        **{f"target_{m}": label for m, label in enumerate(TARGETS, start=1)},
    }
)
