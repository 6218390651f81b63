"""Carrying a follow-up forward: "Repeat last visit's sites" copies the last needling
visit's sites into the draft in one press, under the same hard stops as a single site,
and a site of the draft can be edited in place."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinic.models import AuditEvent
from sessions.charting import selectors, sites
from sessions.charting import services as charting
from sessions.models import Muscle, NeedlingSite, Visit
from tests.factories import AppointmentFactory
from tests.sessions.charting.conftest import SITE, check, make_signable, shown, sign
from tests.sessions.conftest import local

EARLIER = [
    # muscle, side, level, depth, insertions, twitch, tolerance
    ("Lumbar multifidus", "right", "L4-L5", "4.5", 3, "strong", "fair"),
    ("Gluteus medius", "left", "", "5.0", 2, "weak", "good"),
    ("Piriformis", "left", "", "7.5", 1, "strong", "poor"),
]


def muscle(name: str) -> Muscle:
    return Muscle.objects.get_or_create(
        name=name,
        defaults={"region": "hip", "nerve_roots": "L5-S2", "is_paraspinal": "multifidus" in name},
    )[0]


@pytest.fixture
def last_visit(physio, patient, location, treatment, authorised):
    """A signed visit a week earlier with three sites and its needles recorded."""
    appointment = AppointmentFactory(
        patient=patient,
        practitioner=physio,
        location=location,
        type=treatment,
        start=local(2026, 11, 13, 9, 30),
    )
    visit = charting.visit_start(visit=charting.visit_for(appointment=appointment, author=physio))
    check(visit, physio)
    charting.visit_acknowledge(visit=visit, by=physio)
    visit.refresh_from_db()
    for name, side, level, depth, insertions, twitch, tolerance in EARLIER:
        sites.site_add(
            visit=visit,
            by=visit.author,
            muscle=muscle(name),
            side=side,
            spinal_level=level,
            depth_cm=Decimal(depth),
            insertions=insertions,
            twitch=twitch,
            tolerance=tolerance,
        )
    make_signable(visit, sites=3)
    Visit.objects.filter(pk=visit.pk).update(needle_lot="SJ-4471")
    visit.refresh_from_db()
    return sign(visit, physio)


def where(site: NeedlingSite) -> tuple:
    return (site.muscle.name, site.side, site.spinal_level, site.depth_cm, site.insertions)


class TestRepeatLastVisit:
    def test_copies_where_and_how_with_todays_response_as_defaults(self, ready, physio, last_visit):
        copies = sites.sites_repeat_last(visit=ready, by=ready.author)

        assert [where(s) for s in ready.sites.order_by("id")] == [
            where(s) for s in last_visit.sites.order_by("id")
        ]
        assert len(copies) == 3
        assert {(s.twitch, s.tolerance) for s in ready.sites.all()} == {("none", "good")}

    def test_the_needles_of_the_last_visit_fill_an_empty_draft(self, ready, physio, last_visit):
        ready.needle_product = "Dongbang"
        ready.save()
        sites.sites_repeat_last(visit=ready, by=ready.author)
        ready.refresh_from_db()
        assert (ready.needle_product, ready.needle_size, ready.needle_lot) == (
            "Dongbang",  # the draft's own stays
            "0.30 × 50 mm",
            "SJ-4471",
        )

    def test_a_second_press_copies_nothing_more(self, ready, physio, last_visit):
        sites.sites_repeat_last(visit=ready, by=ready.author)
        again = sites.sites_repeat_last(visit=ready, by=ready.author)
        assert again == []
        assert ready.sites.count() == 3

    def test_the_last_visit_is_the_last_signed_one_with_sites(
        self, ready, physio, last_visit, patient, location, treatment
    ):
        talk_only = AppointmentFactory(
            patient=patient,
            practitioner=physio,
            location=location,
            type=treatment,
            start=local(2026, 11, 17, 9, 30),
        )
        quiet = charting.visit_start(visit=charting.visit_for(appointment=talk_only, author=physio))
        Visit.objects.filter(pk=quiet.pk).update(nprs_before=4, status=Visit.Status.SIGNED)
        found = selectors.last_needling_visit(ready)
        assert found is not None and found.pk == last_visit.pk and found.site_count == 3

    def test_refused_without_an_earlier_visit_with_sites(self, ready, physio):
        with pytest.raises(ValidationError, match="no earlier signed visit with needling sites"):
            sites.sites_repeat_last(visit=ready, by=ready.author)

    @pytest.mark.parametrize(
        "stop",
        ["no safety check", "no consent", "no authorisation", "contraindicated", "precaution"],
    )
    def test_blocked_with_the_message_a_single_site_gets(
        self, stop, visit, physio, authorised, last_visit, gluteus
    ):
        if stop == "no consent":
            check(visit, physio, consent_today=False)
        elif stop == "no authorisation":
            authorised.valid_until = date(2026, 11, 19)
            authorised.save()
            check(visit, physio)
            charting.visit_acknowledge(visit=visit, by=physio)
        elif stop == "contraindicated":
            check(visit, physio, surgery_date=date(2026, 11, 1), surgery_description="Hernia")
            charting.visit_acknowledge(visit=visit, by=physio)
        elif stop == "precaution":
            check(visit, physio, anticoagulants=True)
        visit.refresh_from_db()
        with pytest.raises(ValidationError) as single:
            sites.site_add(visit=visit, by=visit.author, muscle=gluteus, **SITE)
        with pytest.raises(ValidationError) as repeated:
            sites.sites_repeat_last(visit=visit, by=visit.author)
        assert repeated.value.messages == single.value.messages
        assert not visit.sites.exists()

    def test_refused_on_a_signed_note(self, physio, last_visit):
        with pytest.raises(ValidationError, match="This note is signed"):
            sites.sites_repeat_last(visit=last_visit, by=last_visit.author)


class TestRepeatOverHttp:
    def url(self, visit):
        return reverse("sessions:sites-repeat", args=[visit.pk])

    def test_the_button_copies_and_says_what_to_check(self, client_for, physio, ready, last_visit):
        client = client_for(physio)
        chart = client.get(reverse("sessions:chart", args=[ready.appointment_id])).content
        assert "Repeat last visit's sites (3)" in chart.decode()
        response = client.post(self.url(ready), {"version": ready.version}, follow=True)
        assert ready.sites.count() == 3
        page = response.content.decode()
        assert "Sites repeated from the last visit: Lumbar multifidus (Right)" in page
        assert "Twitch is set to None and tolerance to Good" in page
        assert AuditEvent.objects.filter(
            action="create", detail__startswith="sites repeated: "
        ).exists()

    def test_a_double_press_with_one_form_token_copies_once(
        self, client_for, physio, ready, last_visit
    ):
        client = client_for(physio)
        data = {"version": ready.version, "form_token": "a" * 32}
        first = client.post(self.url(ready), data)
        second = client.post(self.url(ready), data, follow=True)
        assert first.status_code == 302
        assert "This form was already sent and saved" in second.content.decode()
        assert ready.sites.count() == 3

    def test_a_double_press_without_a_token_copies_once(
        self, client_for, physio, ready, last_visit
    ):
        client = client_for(physio)
        client.post(self.url(ready), shown(ready))
        response = client.post(self.url(ready), shown(ready) | {}, follow=True)
        assert "The last visit&#x27;s sites are in this draft already." in response.content.decode()
        assert ready.sites.count() == 3

    def test_a_hard_stop_refuses_with_its_message(
        self, client_for, physio, visit, authorised, last_visit
    ):
        check(visit, physio, anticoagulants=True)
        response = client_for(physio).post(self.url(visit), follow=True)
        assert "Acknowledge the precautions first: Blood thinners" in response.content.decode()
        assert not visit.sites.exists()

    def test_signed_note_refused(self, client_for, physio, last_visit):
        response = client_for(physio).post(self.url(last_visit), follow=True)
        assert "This note is signed; add an addendum instead." in response.content.decode()

    def test_front_desk_is_refused(self, client_for, front_desk, ready, last_visit):
        assert client_for(front_desk).post(self.url(ready)).status_code == 403
        assert not ready.sites.exists()

    def test_an_unknown_visit_is_not_found(self, client_for, physio):
        response = client_for(physio).post(reverse("sessions:sites-repeat", args=[999999]))
        assert response.status_code == 404

    def test_the_repeat_stays_within_its_queries(
        self,
        client_for,
        physio,
        ready,
        patient,
        location,
        treatment,
        gluteus,
        django_assert_max_num_queries,
    ):
        """Twelve sites cost what three would: one insert for all the copies."""
        appointment = AppointmentFactory(
            patient=patient,
            practitioner=physio,
            location=location,
            type=treatment,
            start=local(2026, 11, 16, 9, 30),
        )
        busy = charting.visit_start(
            visit=charting.visit_for(appointment=appointment, author=physio)
        )
        NeedlingSite.objects.bulk_create(
            NeedlingSite(visit=busy, muscle=gluteus, side="left", depth_cm=n, twitch="weak")
            for n in range(1, 13)
        )
        Visit.objects.filter(pk=busy.pk).update(status=Visit.Status.SIGNED)
        client = client_for(physio)
        with django_assert_max_num_queries(24):
            response = client.post(self.url(ready), {"version": ready.version})
        assert response.status_code == 302 and ready.sites.count() == 12


class TestSiteEdit:
    def url(self, site):
        return reverse("sessions:site-edit", args=[site.pk])

    def test_the_form_is_filled_with_the_row(self, client_for, physio, ready, gluteus):
        site = sites.site_add(visit=ready, by=ready.author, muscle=gluteus, **SITE)
        page = client_for(physio).get(self.url(site)).content.decode()
        assert f'<option value="{gluteus.pk}" selected' in page
        assert 'name="depth_cm" value="4.5"' in page

    def test_one_change_saves_the_row_in_place(self, client_for, physio, ready, gluteus):
        site = sites.site_add(visit=ready, by=ready.author, muscle=gluteus, **SITE)
        ready.refresh_from_db()
        data = {"muscle": gluteus.pk, **SITE, "depth_cm": "6", "version": ready.version}
        response = client_for(physio).post(self.url(site), data, follow=True)
        assert "Site changed: Gluteus medius (Left)." in response.content.decode()
        site.refresh_from_db()
        assert site.depth_cm == Decimal("6.0") and ready.sites.count() == 1
        assert AuditEvent.objects.filter(action="update", object_id=str(site.pk)).exists()

    def test_an_invalid_change_is_shown_again(self, client_for, physio, ready, gluteus):
        site = sites.site_add(visit=ready, by=ready.author, muscle=gluteus, **SITE)
        data = {"muscle": gluteus.pk, **SITE, "depth_cm": "40"}
        response = client_for(physio).post(self.url(site), data)
        assert response.status_code == 200
        assert 'value="40"' in response.content.decode()
        site.refresh_from_db()
        assert site.depth_cm == Decimal("4.5")

    def test_the_hard_stops_apply(self, client_for, physio, ready, gluteus):
        site = sites.site_add(visit=ready, by=ready.author, muscle=gluteus, **SITE)
        check(ready, physio, anticoagulants=True)
        data = {"muscle": gluteus.pk, **SITE, "depth_cm": "6"}
        response = client_for(physio).post(self.url(site), data)
        assert "Acknowledge the precautions first" in response.content.decode()
        site.refresh_from_db()
        assert site.depth_cm == Decimal("4.5")

    def test_refused_on_a_signed_note(self, client_for, physio, last_visit):
        site = last_visit.sites.first()
        client = client_for(physio)
        for response in (
            client.get(self.url(site), follow=True),
            client.post(self.url(site), {"depth_cm": "6"}, follow=True),
        ):
            assert "This note is signed; add an addendum instead." in response.content.decode()
        assert site.depth_cm == NeedlingSite.objects.get(pk=site.pk).depth_cm

    def test_front_desk_is_refused(self, client_for, front_desk, ready, gluteus):
        site = sites.site_add(visit=ready, by=ready.author, muscle=gluteus, **SITE)
        assert client_for(front_desk).get(self.url(site)).status_code == 403

    def test_an_unknown_site_is_not_found(self, client_for, physio):
        response = client_for(physio).get(reverse("sessions:site-edit", args=[999999]))
        assert response.status_code == 404

    def test_each_row_of_a_draft_links_to_its_edit(self, client_for, physio, ready, gluteus):
        site = sites.site_add(visit=ready, by=ready.author, muscle=gluteus, **SITE)
        page = client_for(physio).get(reverse("sessions:chart", args=[ready.appointment_id]))
        assert f'href="{self.url(site)}"' in page.content.decode()


def test_the_last_needles_stay_the_defaults_once_a_site_is_added_by_hand(
    client_for, physio, ready, gluteus, last_visit
):
    sites.site_add(visit=ready, by=physio, muscle=gluteus, **SITE)
    page = client_for(physio).get(reverse("sessions:chart", args=[ready.appointment_id]))
    note = page.content.decode().split('id="note-form"')[1].split("</form>")[0]
    assert 'value="SJ-4471"' in note
    assert "Repeat last visit's sites" not in page.content.decode()
