"""Calls & meetings statistics per manager, daily call plans with forced completion, day comments (spec/plans.md)."""
