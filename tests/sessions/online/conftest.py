"""Online booking's tests: a task queued (after commit) runs at once, in the test, as
the worker would run it; mail sent from a task lands in ``mail.outbox``."""

import pytest
from celery.app.task import Task


@pytest.fixture(autouse=True)
def tasks_run_at_once(monkeypatch):
    monkeypatch.setattr(
        Task,
        "apply_async",
        lambda self, args=None, kwargs=None, **options: self.apply(args, kwargs),
    )
