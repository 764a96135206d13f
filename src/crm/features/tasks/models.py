"""Tasks and strategies models."""
