"""Jobs of the goals slice: the functions the worker runs and their cron schedule."""

from __future__ import annotations

from litestar_saq import CronJob

TASKS: list[str] = []
CRON: list[CronJob] = []
