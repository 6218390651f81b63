import re

from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD


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


def test_password_reset_by_email_lets_the_user_choose_a_new_password(client, physio):
    client.post(reverse("password_reset"), {"email": physio.email})
    (message,) = mail.outbox
    path = re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", message.body).group(1)
    form_url = client.get(path).url  # Django swaps the token for a session-bound URL
    new = "a-brand-new-passphrase-2026"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response.url == reverse("password_reset_complete")
    response = client.post(reverse("login"), {"username": "physio", "password": new})
    assert response.status_code == 302 and not response.url.startswith(reverse("login"))


def test_password_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []


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
