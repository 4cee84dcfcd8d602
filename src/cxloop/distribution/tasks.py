"""Background work of the distribution app: sending invitations and reminders.

Every task is idempotent (see sending.py: invitations are claimed before a message goes
out), so a task run twice, retried or run by two workers at once sends nothing twice.
Timeouts: every SMTP and SMS call has a socket timeout (EMAIL_TIMEOUT, the SMS adapters'),
and the looping tasks stop after a time budget and queue their own continuation.
"""

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from cxloop.distribution.sending import (
    due_invitations_send,
    invitations_send,
    reminders_send,
)

# Ids per send task: small enough that a task ends within seconds, large enough that the
# per-task overhead does not matter.
SEND_TASK_CHUNK = 500
DISPATCH_TIME_BUDGET = 60.0


@task()
def send_invitations(invitation_ids: list[int]) -> dict[str, Any]:
    """Send these invitations if they are due; the others are left to later runs."""
    return invitations_send(invitation_ids=invitation_ids).as_dict()


@task()
def send_due_invitations() -> dict[str, Any]:
    """Send whatever is due (delayed sends, retries, claims of dead workers)."""
    report, more = due_invitations_send(now=timezone.now, time_budget=DISPATCH_TIME_BUDGET)
    if more:
        transaction.on_commit(send_due_invitations.enqueue)
    return report.as_dict()


@task()
def send_due_reminders() -> dict[str, Any]:
    return reminders_send(now=timezone.now()).as_dict()


def enqueue_sends_on_commit(invitation_ids: Sequence[int]) -> None:
    """Queue the sending of these invitations once the current transaction commits."""
    ids = list(invitation_ids)
    if not ids:
        return

    def enqueue() -> None:
        for start in range(0, len(ids), SEND_TASK_CHUNK):
            send_invitations.enqueue(ids[start : start + SEND_TASK_CHUNK])

    transaction.on_commit(enqueue)
