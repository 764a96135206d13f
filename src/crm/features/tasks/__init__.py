"""Strategies and tasks: strategies from insights, tasks on a kanban, a calendar and a list, recurring series
created exactly once by the worker, and field visits from a phone ("my day")."""
