import pytest
from django.contrib.auth.models import Group
from django.http import HttpResponse
from django.urls import path, reverse

from clinic import urls as project_urls
from clinic.access import public, require_roles
from clinic.models import AuditEvent
from clinic.roles import Role, RoleModelBackend, primary_role, user_roles
from tests.factories import UserFactory


def undeclared_view(request):
    return HttpResponse("should never be served")


@public
def public_view(request):
    return HttpResponse("public")


@require_roles(Role.PHYSIO)
def physio_view(request):
    return HttpResponse("clinical")


urlpatterns = [
    path("undeclared/", undeclared_view, name="undeclared"),
    path("public/", public_view, name="public"),
    path("physio-only/", physio_view, name="physio-only"),
    *project_urls.urlpatterns,
]


@pytest.mark.parametrize(
    "role, heading",
    [
        (Role.ADMIN, "Clinic administration"),
        (Role.PHYSIO, "Today"),
        (Role.FRONT_DESK, "Front desk"),
    ],
)
def test_each_role_gets_its_home_page(client_for, db, role, heading):
    user = UserFactory(role=role)
    response = client_for(user).get(reverse("home"))
    assert response.status_code == 200
    assert f'<h1 class="h3 mb-3">{heading}</h1>' in response.content.decode()


def test_anonymous_visitor_is_sent_to_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/"


def test_user_without_a_role_is_refused_and_audited(client_for, db):
    user = UserFactory()
    response = client_for(user).get(reverse("home"))
    assert response.status_code == 403
    event = AuditEvent.objects.get(action="denied")
    assert (event.user, event.url_name) == (user, "home")


def test_front_desk_is_refused_on_the_admin_site(client_for, front_desk):
    response = client_for(front_desk).get("/admin/")
    assert response.status_code == 403
    assert AuditEvent.objects.filter(user=front_desk, action="denied").exists()


def test_physio_is_refused_on_the_admin_site(client_for, physio):
    assert client_for(physio).get("/admin/intake/consenttext/").status_code == 403


def test_anonymous_visitor_on_admin_is_sent_to_the_app_login(client, db):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_clinic_admin_can_use_the_admin_site(client_for, clinic_admin):
    client = client_for(clinic_admin)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/intake/consenttext/").status_code == 200


def test_inactive_user_has_no_roles(db):
    user = UserFactory(role=Role.PHYSIO, is_active=False)
    assert user_roles(user) == frozenset()


def test_the_backend_loads_the_user_with_their_roles_in_one_query(db, django_assert_num_queries):
    user = UserFactory(role=Role.FRONT_DESK)
    user.groups.add(*UserFactory(role=Role.ADMIN).groups.all())
    user.groups.create(name="Book club")  # not a role
    with django_assert_num_queries(1):
        loaded = RoleModelBackend().get_user(user.pk)
        assert user_roles(loaded) == {Role.FRONT_DESK, Role.ADMIN}
    assert user_roles(RoleModelBackend().get_user(UserFactory().pk)) == frozenset()
    user.is_active = False
    user.save()
    assert RoleModelBackend().get_user(user.pk) is None


def test_a_role_taken_away_is_gone_on_the_next_request(client_for, physio):
    client = client_for(physio)
    assert client.get(reverse("sessions:adverse-events")).status_code == 200
    physio.groups.clear()
    assert client.get(reverse("sessions:adverse-events")).status_code == 403


def test_primary_role_prefers_admin(db):
    user = UserFactory(role=Role.FRONT_DESK)
    user.groups.add(*UserFactory(role=Role.ADMIN).groups.all())
    assert primary_role(user) == Role.ADMIN


@pytest.mark.urls("tests.clinic.test_roles")
class TestDenyByDefault:
    def test_a_view_without_roles_is_refused_even_for_admins(self, client_for, clinic_admin):
        assert client_for(clinic_admin).get("/undeclared/").status_code == 403

    def test_a_view_without_roles_sends_anonymous_to_login(self, client, db):
        assert client.get("/undeclared/").status_code == 302

    def test_a_public_view_is_served_to_anyone(self, client, db):
        assert client.get("/public/").content == b"public"

    def test_role_view_refuses_other_roles(self, client_for, front_desk):
        assert client_for(front_desk).get("/physio-only/").status_code == 403

    def test_role_view_serves_its_role(self, client_for, physio):
        assert client_for(physio).get("/physio-only/").content == b"clinical"


def test_groups_exist_with_admin_permissions(db):
    names = set(Group.objects.values_list("name", flat=True))
    assert {r.value for r in Role} <= names
    admin = Group.objects.get(name=Role.ADMIN.value)
    assert admin.permissions.filter(codename="view_auditevent").exists()
    front_desk = Group.objects.get(name=Role.FRONT_DESK.value)
    assert not front_desk.permissions.filter(codename="view_auditevent").exists()


def test_signed_in_admin_on_admin_login_page_goes_to_the_admin(client_for, clinic_admin):
    response = client_for(clinic_admin).get("/admin/login/?next=//evil.example.com/")
    assert response.status_code == 302
    assert response.url == "/"


class TestUserAdmin:
    def change_url(self, user):
        return f"/admin/auth/user/{user.pk}/change/"

    def post(self, client, user, groups):
        return client.post(
            self.change_url(user),
            {
                "username": user.username,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email": user.email,
                "is_active": "on",
                "is_superuser": "on",
                "groups": [Group.objects.get(name=g.value).pk for g in groups],
                "date_joined_0": "2026-01-01",
                "date_joined_1": "00:00:00",
            },
        )

    def test_a_clinic_admin_cannot_grant_themselves_a_role(self, client_for, clinic_admin):
        client = client_for(clinic_admin)
        self.post(client, clinic_admin, [Role.ADMIN, Role.PHYSIO])
        clinic_admin.refresh_from_db()
        assert set(clinic_admin.groups.values_list("name", flat=True)) == {Role.ADMIN.value}
        assert not clinic_admin.is_superuser

    def test_role_changes_of_others_are_audited_and_never_make_superusers(
        self, client_for, clinic_admin
    ):
        colleague = UserFactory(username="newphysio", role=Role.FRONT_DESK)
        response = self.post(client_for(clinic_admin), colleague, [Role.PHYSIO])
        assert response.status_code == 302
        colleague.refresh_from_db()
        assert set(colleague.groups.values_list("name", flat=True)) == {Role.PHYSIO.value}
        assert not colleague.is_superuser
        assert AuditEvent.objects.filter(
            detail="staff account newphysio: roles ['Front desk'] -> ['Physiotherapist']"
        ).exists()


def test_a_refusal_for_a_record_that_does_not_exist_is_audited_without_failing(
    client_for, front_desk
):
    response = client_for(front_desk).get(reverse("intake:intake-summary", args=[987654]))
    assert response.status_code == 403
    event = AuditEvent.objects.filter(action="denied").latest("id")
    assert "intake.intake 987654 (no such record)" in event.detail and event.patient is None
