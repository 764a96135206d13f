"""Alerts models (none yet)."""
