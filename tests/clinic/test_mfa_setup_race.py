"""Opening second-factor enrolment twice at once makes one pending authenticator."""

import threading

import pytest
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_tabs_opening_enrolment_at_once_make_one_pending_device(physio):
    clients = []
    for _ in range(4):
        client = Client()
        client.force_login(physio)
        clients.append(client)
    barrier = threading.Barrier(len(clients))
    statuses: list = []

    def open_setup(client):
        close_old_connections()
        try:
            barrier.wait()
            statuses.append(client.get(reverse("mfa-setup")).status_code)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            statuses.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=open_setup, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert statuses == [200] * len(clients)
    assert TOTPDevice.objects.filter(user=physio, confirmed=False).count() == 1
    assert clients[0].get(reverse("mfa-setup")).status_code == 200
