"""Staff accounts administered by a clinic admin (issue 13, fault 8): the admin manages
accounts but can never act as someone else, and every change is in the audit chain."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from clinic.models import AuditEvent
from clinic.roles import Role
from tests.factories import UserFactory

SITE_PATH = re.compile(r"https?://[^/]+(/accounts/password/reset/\S+/)")


def staff_events(user) -> list[tuple[str, str]]:
    return list(
        AuditEvent.objects.filter(object_type="auth.user", object_id=str(user.pk))
        .order_by("id")
        .values_list("action", "detail")
    )


def choose_password(message, password: str) -> None:
    """The person follows the link in their mail and chooses their own password."""
    browser = Client()
    form_url = browser.get(SITE_PATH.search(message.body).group(1)).url
    response = browser.post(form_url, {"new_password1": password, "new_password2": password})
    assert response.url == reverse("password_reset_complete")


def assert_chain_intact() -> None:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "intact" in out.getvalue()


def test_a_new_account_gets_a_link_and_no_password_anyone_typed(
    client_for, clinic_admin, run_tasks
):
    physio_group = Group.objects.get(name=Role.PHYSIO.value)
    with run_tasks():
        response = client_for(clinic_admin).post(
            reverse("admin:auth_user_add"),
            {
                "username": "newphysio",
                "first_name": "Nia",
                "last_name": "Okoye",
                "email": "nia@clinic.example.com",
                "groups": [physio_group.pk],
            },
        )
    assert response.status_code == 302, response.content.decode()[-3000:]
    user = get_user_model().objects.get(username="newphysio")
    assert not user.has_usable_password()
    assert staff_events(user) == [
        ("create", "staff account newphysio: created in the admin, roles ['Physiotherapist']")
    ]
    (message,) = mail.outbox
    assert message.to == ["nia@clinic.example.com"] and "choose your password" in message.subject
    choose_password(message, "nias-own-passphrase-2026")
    user.refresh_from_db()
    assert user.check_password("nias-own-passphrase-2026")
    assert staff_events(user)[-1] == (
        "update",
        "staff account newphysio: password chosen from a mailed link",
    )
    assert_chain_intact()


def test_an_account_without_a_password_yet_can_ask_for_a_new_link(client, db, run_tasks):
    """The first link expired unused: the public reset page still serves them."""
    user = UserFactory(username="newcomer")
    user.set_unusable_password()
    user.save()
    with run_tasks():
        client.post(reverse("password_reset"), {"email": user.email})
    assert len(mail.outbox) == 1


def test_an_admin_sends_a_reset_link_and_the_person_chooses(client_for, clinic_admin, run_tasks):
    colleague = UserFactory(username="colleague", role=Role.PHYSIO)
    with run_tasks():
        response = client_for(clinic_admin).post(
            reverse("staff-password-link", args=[colleague.pk])
        )
    assert response.url == reverse("staff-access")
    (message,) = mail.outbox
    assert message.to == [colleague.email]
    assert staff_events(colleague) == [
        ("update", "staff account colleague: password-reset link sent")
    ]
    event = AuditEvent.objects.get(object_id=str(colleague.pk))
    assert event.user == clinic_admin
    choose_password(message, "colleagues-own-passphrase-1")


def test_the_admin_action_sends_reset_links(client_for, clinic_admin, run_tasks):
    colleague = UserFactory(username="colleague", role=Role.FRONT_DESK)
    with run_tasks():
        client_for(clinic_admin).post(
            reverse("admin:auth_user_changelist"),
            {"action": "send_password_links", "_selected_action": [colleague.pk]},
        )
    assert [m.to for m in mail.outbox] == [[colleague.email]]
    assert staff_events(colleague) == [
        ("update", "staff account colleague: password-reset link sent")
    ]


def change(client, user, **fields):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "groups": list(user.groups.values_list("pk", flat=True)),
        **fields,
    }
    return client.post(reverse("admin:auth_user_change", args=[user.pk]), data)


def test_deactivation_and_reactivation_are_audited(client_for, clinic_admin):
    colleague = UserFactory(username="colleague", role=Role.PHYSIO)
    client = client_for(clinic_admin)
    assert change(client, colleague, is_active="").status_code == 302
    colleague.refresh_from_db()
    assert not colleague.is_active
    assert change(client, colleague, is_active="on").status_code == 302
    assert staff_events(colleague) == [
        ("update", "staff account colleague: is_active True -> False"),
        ("update", "staff account colleague: is_active False -> True"),
    ]
    assert_chain_intact()


def test_the_email_of_an_account_in_use_is_not_the_admin_s_to_redirect(client_for, clinic_admin):
    """Otherwise an admin could point a physio's reset links at their own mailbox."""
    colleague = UserFactory(username="colleague", role=Role.PHYSIO)
    colleague.last_login = colleague.date_joined
    colleague.save()
    change(client_for(clinic_admin), colleague, email="admin@evil.example.com")
    colleague.refresh_from_db()
    assert colleague.email == "colleague@clinic.example.com"


def test_a_second_factor_reset_is_in_the_audit_chain(client_for, clinic_admin, physio):
    client_for(clinic_admin).post(reverse("mfa-reset", args=[physio.pk]))
    assert staff_events(physio) == [("update", "staff account physio: second factor reset")]
    assert_chain_intact()


def test_create_clinic_admin_types_no_password_and_mails_a_link(db, run_tasks):
    out = StringIO()
    with run_tasks():
        call_command("create_clinic_admin", "amara", "amara@clinic.example.com", stdout=out)
    user = get_user_model().objects.get(username="amara")
    assert not user.has_usable_password()
    assert set(user.groups.values_list("name", flat=True)) == {Role.ADMIN.value}
    assert "link to choose the password was sent" in out.getvalue()
    (message,) = mail.outbox
    assert message.to == ["amara@clinic.example.com"]
    assert staff_events(user) == [
        ("create", "staff account amara: created by create_clinic_admin, roles ['Clinic admin']")
    ]
    choose_password(message, "amaras-own-passphrase-9")


def test_create_clinic_admin_refuses_a_bad_email(db):
    with pytest.raises(CommandError):
        call_command("create_clinic_admin", "amara", "not-an-email", stdout=StringIO())
    assert not get_user_model().objects.filter(username="amara").exists()


def test_changing_one_s_own_password_is_audited(client_for, physio):
    new = "physios-new-passphrase-5"
    client_for(physio).post(
        reverse("password_change"),
        {"old_password": "a-long-test-password", "new_password1": new, "new_password2": new},
    )
    assert staff_events(physio) == [("update", "staff account physio: password changed")]
