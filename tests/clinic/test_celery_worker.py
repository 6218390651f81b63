import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker

from clinic.celery import app
from clinic.tasks import send_test_email


@pytest.mark.celery_worker
def test_a_real_worker_takes_a_task_from_the_broker_and_sends_mail(mailoutbox):
    queue = f"test-{uuid.uuid4().hex}"  # keeps a developer's running worker out of it
    with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue]):
        send_test_email.apply_async(["someone@example.com"], queue=queue)
        deadline = time.monotonic() + 15
        while not mailoutbox and time.monotonic() < deadline:
            time.sleep(0.1)
    assert [m.to for m in mailoutbox] == [["someone@example.com"]]
