"""Shared by the security tests: signing a staff member in with their password."""

from django.urls import reverse

from tests.factories import PASSWORD


def sign_in(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})
