import re

from celery.app.task import Task
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory


def test_front_desk_signs_in_with_a_password_and_lands_on_home(client, front_desk):
    response = client.post(
        reverse("login"), {"username": "frontdesk", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.context["user"] == front_desk


def test_wrong_password_stays_on_the_form_with_a_message(client, physio):
    response = client.post(reverse("login"), {"username": "physio", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_logout_is_a_post_and_ends_the_session(client_for, physio):
    client = client_for(physio)
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_password_reset_by_email_lets_the_user_choose_a_new_password(client, physio, run_tasks):
    with run_tasks():
        client.post(reverse("password_reset"), {"email": physio.email})
    (message,) = mail.outbox
    path = re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", message.body).group(1)
    form_url = client.get(path).url  # Django swaps the token for a session-bound URL
    new = "a-brand-new-passphrase-2026"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response.url == reverse("password_reset_complete")
    response = client.post(reverse("login"), {"username": "physio", "password": new})
    assert response.status_code == 302 and not response.url.startswith(reverse("login"))


def test_password_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(
    client, db, run_tasks
):
    with run_tasks():
        response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []


def queued_sends(monkeypatch) -> list:
    """Every Celery task queued, as (name, args); nothing runs."""

    queued = []
    monkeypatch.setattr(
        Task,
        "apply_async",
        lambda self, args=None, kwargs=None, **options: queued.append((self.name, args)),
    )
    return queued


def test_password_reset_mail_leaves_from_the_queue_after_the_request_for_any_address(
    client, physio, monkeypatch, django_capture_on_commit_callbacks
):
    """Known and unknown addresses cost the request the same: one task, after commit."""
    queued = queued_sends(monkeypatch)
    answers = []
    for email in (physio.email, "nobody@example.com"):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            answers.append(client.post(reverse("password_reset"), {"email": email}))
        assert mail.outbox == []
        assert len(callbacks) == 1
        for callback in callbacks:
            callback()
    assert [name for name, _ in queued] == ["clinic.tasks.send_password_links"] * 2
    assert [args for _, args in queued] == [([physio.pk], False), ([], False)]
    assert answers[0].url == answers[1].url == reverse("password_reset_done")
    assert answers[0].content == answers[1].content


def test_password_resets_are_limited_per_account(client, physio, run_tasks, settings):
    cache.clear()
    settings.PASSWORD_RESET_ACCOUNT_LIMIT = 2
    for n in range(4):
        with run_tasks():
            response = Client(REMOTE_ADDR=f"198.51.100.{n}").post(
                reverse("password_reset"), {"email": physio.email}
            )
        assert response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 2
    cache.clear()


def test_password_resets_are_limited_per_address(client, db, run_tasks, settings):
    cache.clear()
    settings.PASSWORD_RESET_ADDRESS_LIMIT = 3
    staff = [UserFactory(username=f"staff{n}", email=f"staff{n}@example.com") for n in range(5)]
    for user in staff:
        with run_tasks():
            response = client.post(reverse("password_reset"), {"email": user.email})
        assert response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 3
    # Someone elsewhere is not affected by that address.
    with run_tasks():
        Client(REMOTE_ADDR="203.0.113.5").post(reverse("password_reset"), {"email": staff[4].email})
    assert len(mail.outbox) == 4
    cache.clear()


def test_password_change_needs_the_old_password(client_for, physio):
    client = client_for(physio)
    new = "another-long-passphrase-77"
    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": new, "new_password2": new},
    )
    assert "Your old password was entered incorrectly" in response.content.decode()
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.url == reverse("password_change_done")
