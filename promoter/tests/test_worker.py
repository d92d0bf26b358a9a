"""`promoter worker` runs tasks enqueued on the database queue (django-tasks-db)."""

import io

import pytest
from django.core.management import call_command
from django_tasks import task
from django_tasks.base import TaskResultStatus


@task()
def multiply(a: int, b: int) -> int:
    return a * b


@pytest.mark.django_db(transaction=True)
def test_worker_runs_an_enqueued_task():
    result = multiply.enqueue(6, 7)
    assert result.status == TaskResultStatus.READY
    call_command("worker", "--batch", "--interval", "0.1", stdout=io.StringIO())
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 42
