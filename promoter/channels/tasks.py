"""Background work of e-mail surveys (thin: they take ids, reload, and call one service)."""

from __future__ import annotations

from django_tasks import task

from promoter.channels.services import invitations_send_due
from promoter.integrations.tasks import worker_name


@task()
def invitation_send(invitation_id: int) -> int:
    """Send invitation ``invitation_id`` if it is due (else it waits for the sweep)."""
    return invitations_send_due(worker=worker_name(), ids=[invitation_id]).total
