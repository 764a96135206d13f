"""Goals: monthly targets per variable, product family and person; the sales analysis (I1–I4, ABC, categories)
and the control screen (KPIs, per-goal progress)."""
