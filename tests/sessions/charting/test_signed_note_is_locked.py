"""A signed note never changes: the visit, the rows under it and their querysets refuse."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from clinic.roles import Role
from sessions.charting import services as charting
from sessions.charting import sites
from sessions.charting import views as chart_views
from sessions.charting.models import NotTheAuthor
from sessions.models import Addendum, NeedlingSite, NoteIsSigned, Visit
from tests.factories import UserFactory
from tests.sessions.charting.conftest import SITE, make_signable, sign

SIGNED = "This note is signed; add an addendum instead."


class TestLock:
    @pytest.fixture
    def signed(self, ready, physio, gluteus):
        sites.site_add(visit=ready, by=ready.author, muscle=gluteus, **SITE)
        make_signable(ready)
        sign(ready, physio)
        ready.refresh_from_db()
        return ready

    def test_save_is_refused(self, signed):
        signed.plan = "changed"
        with pytest.raises(NoteIsSigned):
            signed.save()

    def test_queryset_update_and_delete_are_refused(self, signed):
        with pytest.raises(NoteIsSigned):
            Visit.objects.filter(pk=signed.pk).update(plan="changed")
        with pytest.raises(NoteIsSigned):
            Visit.objects.filter(pk=signed.pk).delete()
        with pytest.raises(NoteIsSigned):
            NeedlingSite.objects.filter(visit=signed).update(depth_cm=1)

    def test_sites_under_a_signed_note_cannot_change(self, signed, gluteus):
        site = signed.sites.get()
        site.depth_cm = Decimal("1.0")
        with pytest.raises(NoteIsSigned):
            site.save()
        with pytest.raises(NoteIsSigned):
            site.delete()
        with pytest.raises(NoteIsSigned):
            sites.site_add(visit=signed, by=signed.author, muscle=gluteus, **SITE)

    def test_adding_a_site_to_a_signed_note_is_the_one_signed_refusal(self, signed, gluteus):
        with pytest.raises(NoteIsSigned) as refused:
            sites.site_add(visit=signed, by=signed.author, muscle=gluteus, **SITE)
        assert refused.value.messages == [SIGNED]

    def test_saving_a_signed_note_is_the_one_signed_refusal(self, signed):
        with pytest.raises(NoteIsSigned) as refused:
            charting.visit_note_save(visit=signed, by=signed.author, plan="changed")
        assert refused.value.messages == [SIGNED]

    def test_the_chart_refuses_a_signed_note_in_the_one_wording(self, client_for, physio, signed):
        response = client_for(physio).post(
            reverse("sessions:note-save", args=[signed.pk]), {"plan": "x"}, follow=True
        )
        assert [str(m) for m in response.context["messages"]] == [SIGNED]

    @pytest.mark.parametrize("autosave", [False, True])
    def test_a_note_signed_while_a_form_was_open_is_refused_not_a_500(
        self, client_for, physio, ready, gluteus, monkeypatch, autosave
    ):
        """Signed in another tab between the page's check and the write (the view holds
        the unsigned copy it loaded): the signed-note refusal, not an error page."""
        stale = Visit.objects.get(pk=ready.pk)
        sites.site_add(visit=ready, by=ready.author, muscle=gluteus, **SITE)
        make_signable(ready)
        sign(ready, physio)
        monkeypatch.setattr(chart_views, "visit_or_404", lambda pk: stale)
        extra = {"HTTP_X_AUTOSAVE": "1"} if autosave else {}
        response = client_for(physio).post(
            reverse("sessions:note-save", args=[ready.pk]), {"plan": "changed"}, **extra
        )
        assert response.status_code == (409 if autosave else 302)
        ready.refresh_from_db()
        assert ready.plan != "changed"

    def test_autosave_of_a_signed_note_answers_the_one_wording(self, client_for, physio, signed):
        response = client_for(physio).post(
            reverse("sessions:note-save", args=[signed.pk]), {"plan": "x"}, HTTP_X_AUTOSAVE="1"
        )
        assert response.json() == {"error": SIGNED}

    def test_forms_refuse_changes_after_signing(self, client_for, physio, signed):
        client = client_for(physio)
        response = client.post(reverse("sessions:note-save", args=[signed.pk]), {"plan": "x"})
        assert response.status_code == 302
        signed.refresh_from_db()
        assert signed.plan == ""
        autosave = client.post(
            reverse("sessions:note-save", args=[signed.pk]), {"plan": "x"}, HTTP_X_AUTOSAVE="1"
        )
        assert autosave.status_code == 409

    def test_the_admin_has_no_way_to_edit_visits(self, client_for, clinic_admin, signed):
        client = client_for(clinic_admin)
        assert client.get("/admin/treatment_sessions/visit/").status_code == 404
        assert client.get(f"/admin/treatment_sessions/visit/{signed.pk}/change/").status_code == 404

    def test_addenda_by_the_author_keep_the_original(self, signed, physio):
        addendum = charting.addendum_add(
            visit=signed, author=physio, reason="Typo", text="Depth 4 cm"
        )
        signed.refresh_from_db()
        assert signed.plan == "" and addendum.created_at is not None
        with pytest.raises(NoteIsSigned):
            addendum.save()
        with pytest.raises(NoteIsSigned):
            Addendum.objects.all().update(text="x")

    def test_addenda_by_someone_else_are_refused(self, signed):
        with pytest.raises(NotTheAuthor, match="Only the author"):
            charting.addendum_add(
                visit=signed, author=UserFactory(role=Role.PHYSIO), reason="x", text="y"
            )

    @pytest.mark.postgres
    @pytest.mark.parametrize(
        "sql",
        [
            "UPDATE treatment_sessions_visit SET plan = 'edited' WHERE id = {visit}",
            "DELETE FROM treatment_sessions_visit WHERE id = {visit}",
            "UPDATE treatment_sessions_needlingsite SET depth_cm = 1 WHERE visit_id = {visit}",
            "DELETE FROM treatment_sessions_needlingsite WHERE visit_id = {visit}",
            "INSERT INTO treatment_sessions_needlingsite (visit_id, muscle_id, side,"
            " spinal_level, depth_cm, insertions, twitch, tolerance, created_at)"
            " SELECT visit_id, muscle_id, side, '', 2, 1, 'none', 'good', now()"
            " FROM treatment_sessions_needlingsite WHERE visit_id = {visit}",
        ],
    )
    def test_postgres_refuses_changes_in_sql(self, signed, sql):
        with pytest.raises(DatabaseError, match="signed"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql.format(visit=signed.pk))
        assert Visit.objects.get(pk=signed.pk).plan == ""

    @pytest.mark.postgres
    def test_postgres_refuses_changing_an_addendum_in_sql(self, signed, physio):
        charting.addendum_add(visit=signed, author=physio, reason="Typo", text="Depth 4 cm")
        with pytest.raises(DatabaseError, match="addenda"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("UPDATE treatment_sessions_addendum SET text = 'x'")
