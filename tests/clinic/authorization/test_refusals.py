"""Refusals beside the matrix: POST-only views refuse GET, staff pages wait for the
second factor, nobody sets another user's password in the admin, and forged or
tampered patient links get the plain invalid page."""

import pytest
from django.urls import reverse

from clinic.models import AuditEvent
from tests.clinic.authorization.expected import (
    ACTORS,
    ADMIN,
    ANONYMOUS,
    BAD_LINK,
    DENIED,
    EXPECTED,
    LOGIN,
    MFA,
    MFA_PAGES,
    OK,
    PATIENT,
    PHYSIO,
)
from tests.clinic.authorization.requesting import (
    LINKS,
    POST,
    assert_not_cacheable,
    link_args,
    outcome,
    send,
    sign_in,
    urls_for,
)


def test_post_only_views_refuse_get(world, client, client_for):
    """State changes never happen on GET, even for the roles that may make them."""
    for name in POST:
        cells = zip(ACTORS, EXPECTED[name], strict=True)
        # One who may use it; the chart's writes only the physio's role may, on their own.
        actor = next((a for a, cell in cells if cell not in (LOGIN, DENIED)), PHYSIO)
        signed_in = sign_in(actor, world, client, client_for)
        (url,) = urls_for(name, world, actor)
        assert signed_in.get(url).status_code == 405, f"GET {name} as {actor}"


@pytest.mark.parametrize("actor", [PHYSIO, ADMIN])
def test_staff_pages_wait_for_the_second_factor(actor, world, client, client_for):
    """Signed in with the password only: every staff page sends them to the second step."""
    signed_in = sign_in(actor, world, client, client_for, verified=False)
    for name, row in EXPECTED.items():
        if row[ACTORS.index(ANONYMOUS)] != LOGIN:
            continue  # public: login, password reset, patient links
        expected = OK if name in MFA_PAGES else MFA
        for response in send(signed_in, name, world, actor):
            assert outcome(response) == expected, f"{name} as {actor} without second factor"
            assert_not_cacheable(response, f"{name} as {actor} without second factor")


# Account administration: a clinic admin manages staff accounts but never acts as
# someone else. Django admin's own password form is refused to everyone, the clinic
# admin included, for any account.
ADMIN_PASSWORD_SET = "admin:auth_user_password_change"


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_nobody_sets_another_user_s_password_in_the_admin(actor, method, world, client, client_for):
    url = reverse(ADMIN_PASSWORD_SET, args=[world.author.pk])
    signed_in = sign_in(actor, world, client, client_for)
    password = {"password1": "taken-over-2026!", "password2": "taken-over-2026!"}
    response = getattr(signed_in, method)(url, password if method == "post" else None)
    assert outcome(response) == (LOGIN if actor in (ANONYMOUS, PATIENT) else DENIED)
    world.author.refresh_from_db()
    assert not world.author.check_password("taken-over-2026!")
    if actor not in (ANONYMOUS, PATIENT):
        event = AuditEvent.objects.filter(action="denied", user=getattr(world, actor)).latest("id")
        assert (event.object_type, event.object_id) == ("auth.user", str(world.author.pk))
    assert_not_cacheable(response, f"{ADMIN_PASSWORD_SET} as {actor}")


def test_the_admin_s_user_pages_offer_no_password_to_type(world, client_for):
    client = client_for(world.admin)
    change = client.get(reverse("admin:auth_user_change", args=[world.author.pk]))
    add = client.get(reverse("admin:auth_user_add"))
    for page in (change, add):
        assert page.status_code == 200
        html = page.content.decode()
        assert 'type="password"' not in html and "/password/" not in html


@pytest.mark.parametrize("name", sorted(LINKS))
def test_forged_and_tampered_patient_links_get_the_plain_invalid_page(name, world, client):
    own_purpose = LINKS[name][0]
    genuine = link_args(name, world)
    token = genuine["token"]
    tampered = {**genuine, "token": token[:-1] + ("A" if token[-1] != "A" else "B")}
    forged = {
        "another patient's nonce": link_args(name, world, nonce_of="other"),
        "tampered signature": tampered,
        **{
            f"purpose {purpose!r}": link_args(name, world, purpose=purpose)
            for purpose in {p for p, *_ in LINKS.values()} - {own_purpose}
        },
    }
    for how, kwargs in forged.items():
        response = client.get(reverse(name, kwargs=kwargs))
        assert outcome(response) == BAD_LINK, f"{name}, {how}"
        assert_not_cacheable(response, f"{name}, {how}")
        assert world.patient.legal_last_name not in response.content.decode(), f"{name}, {how}"
    # The genuine link still opens: the refusals above are about the token, not the row.
    assert outcome(client.get(reverse(name, kwargs=genuine))) == OK
