"""The feature slices, in the order their routes are registered. A slice is a package with ``routes.py``
(``ROUTES``: every handler of the slice) and ``models.py``; optionally ``jobs.py`` (``TASKS``, ``CRON``: its worker
jobs and schedule), ``alerts.py`` (see ``alerts.registry``), ``cli.py`` and ``demo.py``. Adding a slice is adding its
name here."""

SLICES = (
    "system",
    "accounts",
    "calendar",
    "tariffs",
    "leads",
    "clients",
    "reports",
    "plans",
    "sales",
    "goals",
    "alerts",
    "tasks",
)
