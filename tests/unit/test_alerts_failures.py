"""Which job failures raise an admins' notice, and what counts as a failure for good."""

from __future__ import annotations

import pytest

from crm.features.alerts.failures import kind_of, short_error
from crm.features.alerts.operations import outcome


@pytest.mark.parametrize(
    ("job", "kind"),
    [
        ("bitrix24_incremental", "sync"),
        ("bitrix24_run", "sync"),
        ("sales_import_run", "import"),
        ("tariffs_import_journal", "import"),
        ("sales_mailbox_check", "mailbox"),
        ("report_schedules_tick", "scheduled_report"),
        ("tariffs_send_detail", "detail_sheet"),
        ("send_password_reset", None),
        ("give_out_lead_queue", None),
    ],
)
def test_the_kind_of_a_failure_is_read_from_the_jobs_name(job: str, kind: str | None) -> None:
    assert kind_of(job) == kind


def test_a_job_that_answers_failed_or_error_has_failed_and_one_to_be_retried_has_not() -> None:
    assert outcome("complete", "failed") == "failed"  # the sync and the detail sheets record their own errors
    assert outcome("complete", "error: 0 attachments") == "failed"  # the mailbox check
    assert outcome("complete", "ok: 2 attachments") == "complete"
    assert outcome("failed", None) == "failed"
    assert outcome("aborted", None) == "aborted"
    assert outcome("queued", None) == "retried"


def test_the_error_kept_is_the_last_line_of_the_traceback_without_secrets() -> None:
    trace = 'Traceback (most recent call last):\n  File "x.py", line 1\n'
    trace += "MailError: login as erp password=Imap-2026 refused"
    assert short_error(trace) == "MailError: login as erp password=*** refused"
    assert short_error(None) == ""
