"""Licensed wording: a free instrument's own wording, a licensed one's loaded wording
or a refusal to send it (WordingMissing), loading checked item by item and answer by
answer, and the clinic admin's page for it (only theirs, audited)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.models import AuditEvent
from sessions.outcomes.instruments import LEFS, NDI, ODI, PSFS, QUICKDASH
from sessions.outcomes.models import InstrumentWording
from sessions.outcomes.wording import (
    WordingMissing,
    can_send,
    option_field,
    text_field,
    wording_for,
    wording_load,
)

pytestmark = pytest.mark.django_db


def full_items(instrument, text="Question about {key}"):
    return {
        item.key: {
            "text": text.format(key=item.key),
            "options": {str(o.value): f"Answer {o.value} to {item.key}" for o in item.options},
        }
        for item in instrument.items
    }


def as_post(instrument, items, reference="Mapi licence 2026-0042, until 2027-12-31"):
    data = {"licence_reference": reference}
    for key, given in items.items():
        data[text_field(key)] = given["text"]
        for value, label in given["options"].items():
            data[option_field(key, int(value))] = label
    return data


# --- wording_for and can_send ------------------------------------------------------------


def test_a_free_instrument_ships_its_own_wording():
    worded = wording_for(PSFS)
    assert [w.item.key for w in worded] == [i.key for i in PSFS.items]
    assert worded[0].text == PSFS.items[0].text
    assert worded[0].options[0] == (0, PSFS.items[0].options[0].label)
    assert can_send(PSFS)


def test_a_licensed_instrument_without_loaded_wording_cannot_be_sent():
    with pytest.raises(WordingMissing, match="NDI is licensed"):
        wording_for(NDI)
    assert not can_send(NDI)


def test_loaded_wording_is_what_patients_see(clinic_admin):
    wording_load(
        instrument=NDI, items=full_items(NDI), licence_reference="Mapi 42", by=clinic_admin
    )
    worded = wording_for(NDI)
    assert worded[0].text == "Question about pain_intensity"
    assert worded[0].options == [(v, f"Answer {v} to pain_intensity") for v in range(6)]
    assert can_send(NDI)
    assert not can_send(QUICKDASH)  # loading one licensed instrument loads no other


def test_a_second_load_replaces_the_first(clinic_admin, physio):
    wording_load(instrument=NDI, items=full_items(NDI), licence_reference="Old", by=physio)
    wording_load(
        instrument=NDI,
        items=full_items(NDI, text="Newer {key}"),
        licence_reference=" New licence ",
        by=clinic_admin,
    )
    saved = InstrumentWording.objects.get()
    assert (saved.licence_reference, saved.loaded_by) == ("New licence", clinic_admin)
    assert wording_for(NDI)[0].text == "Newer pain_intensity"


def test_wording_that_no_longer_fits_the_items_is_not_used(clinic_admin):
    items = full_items(NDI)
    del items["recreation"]
    InstrumentWording.objects.create(
        instrument="ndi", items=items, licence_reference="Mapi", loaded_by=clinic_admin
    )
    with pytest.raises(WordingMissing, match="no longer fits"):
        wording_for(NDI)
    assert not can_send(NDI)


# --- wording_load's checks ---------------------------------------------------------------


def errors_of(instrument, items, reference="Mapi 42", by=None):
    with pytest.raises(ValidationError) as caught:
        wording_load(instrument=instrument, items=items, licence_reference=reference, by=by)
    assert not InstrumentWording.objects.exists()
    return caught.value.message_dict


def test_a_missing_item_is_refused_on_that_item(clinic_admin):
    items = full_items(NDI)
    del items["driving"]
    assert set(errors_of(NDI, items, by=clinic_admin)) == {text_field("driving")}


def test_an_empty_text_or_label_is_refused_on_its_field(clinic_admin):
    items = full_items(QUICKDASH)
    items["knife"]["text"] = "   "
    items["open_jar"]["options"]["5"] = ""
    del items["sleeping"]["options"]["1"]
    assert set(errors_of(QUICKDASH, items, by=clinic_admin)) == {
        text_field("knife"),
        option_field("open_jar", 5),
        option_field("sleeping", 1),
    }


def test_keys_the_instrument_lacks_are_refused(clinic_admin):
    items = full_items(NDI)
    items["sex_life"] = {"text": "Not an NDI section", "options": {}}
    items["pain_intensity"]["options"]["6"] = "No such answer"
    errors = errors_of(NDI, items, by=clinic_admin)
    assert errors["items"] == ["NDI has no item sex_life."]
    assert errors[text_field("pain_intensity")] == ["No answer is worth 6 in this item."]


def test_a_licence_reference_is_required(clinic_admin):
    assert set(errors_of(NDI, full_items(NDI), reference=" ", by=clinic_admin)) == {
        "licence_reference"
    }


def test_a_free_instrument_has_no_wording_to_load(clinic_admin):
    with pytest.raises(ValueError, match="ships its own wording"):
        wording_load(instrument=PSFS, items={}, licence_reference="x", by=clinic_admin)


# --- The clinic admin's page -------------------------------------------------------------


@pytest.mark.parametrize("role", ["physio", "front_desk"])
def test_only_the_clinic_admin_may_open_or_load(role, request, client_for):
    client = client_for(request.getfixturevalue(role))
    url = reverse("sessions:outcome-wording", args=["ndi"])
    assert client.get(reverse("sessions:outcome-instruments")).status_code == 403
    assert client.get(url).status_code == 403
    assert client.post(url, as_post(NDI, full_items(NDI))).status_code == 403
    assert not InstrumentWording.objects.exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED).count() == 3


def test_the_list_shows_which_licensed_instruments_cannot_be_sent(clinic_admin, client_for):
    wording_load(
        instrument=NDI, items=full_items(NDI), licence_reference="Mapi 42", by=clinic_admin
    )
    page = client_for(clinic_admin).get(reverse("sessions:outcome-instruments")).content.decode()
    assert page.count("Not loaded: cannot be sent") == 3  # ODI, LEFS, QuickDASH
    assert "licence: Mapi 42" in page
    assert reverse("sessions:outcome-wording", args=["odi"]) in page


def test_the_list_asks_the_same_queries_however_many_are_loaded(
    clinic_admin, physio, client_for, django_assert_num_queries
):
    client = client_for(clinic_admin)
    url = reverse("sessions:outcome-instruments")
    wording_load(instrument=NDI, items=full_items(NDI), licence_reference="a", by=clinic_admin)
    with CaptureQueriesContext(connection) as one_loaded:
        client.get(url)
    for instrument in (ODI, LEFS, QUICKDASH):  # each loaded by another user
        wording_load(
            instrument=instrument, items=full_items(instrument), licence_reference="b", by=physio
        )
    with django_assert_num_queries(len(one_loaded)):
        response = client.get(url)
    assert "Not loaded" not in response.content.decode()


@pytest.mark.parametrize("code", ["psfs", "sf36"])
def test_no_wording_page_for_a_free_or_unknown_instrument(code, clinic_admin, client_for):
    url = reverse("sessions:outcome-wording", args=[code])
    assert client_for(clinic_admin).get(url).status_code == 404


def test_a_refused_load_keeps_what_was_typed(clinic_admin, client_for):
    items = full_items(NDI)
    items["headaches"]["options"]["3"] = ""
    response = client_for(clinic_admin).post(
        reverse("sessions:outcome-wording", args=["ndi"]), as_post(NDI, items)
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {option_field("headaches", 3): ["Type this answer's label."]}
    page = response.content.decode()
    assert "Question about reading" in page
    assert "Mapi licence 2026-0042, until 2027-12-31" in page
    assert not InstrumentWording.objects.exists()
    assert not AuditEvent.objects.filter(object_type="treatment_sessions.instrumentwording")


def test_loading_saves_the_wording_and_audits_it(clinic_admin, client_for):
    client = client_for(clinic_admin)
    url = reverse("sessions:outcome-wording", args=["quickdash"])
    response = client.post(url, as_post(QUICKDASH, full_items(QUICKDASH), "IWH Category B #7"))
    assert response.status_code == 302
    assert response["Location"] == reverse("sessions:outcome-instruments")
    saved = InstrumentWording.objects.get(instrument="quickdash")
    assert (saved.loaded_by, saved.licence_reference) == (clinic_admin, "IWH Category B #7")
    assert can_send(QUICKDASH)
    event = AuditEvent.objects.get(object_type="treatment_sessions.instrumentwording")
    assert (event.action, event.user, event.object_id) == (
        AuditEvent.Action.CREATE,
        clinic_admin,
        str(saved.pk),
    )
    assert event.url_name == "sessions:outcome-wording"
    assert "QuickDASH" in event.detail and "IWH Category B #7" in event.detail
    # Opening it again shows the loaded wording, ready to change.
    page = client.get(url).content.decode()
    assert "Question about open_jar" in page and "Answer 5 to sleeping" in page
    client.post(url, as_post(QUICKDASH, full_items(QUICKDASH, "Changed {key}"), "IWH #8"))
    assert wording_for(QUICKDASH)[0].text == "Changed open_jar"
    assert AuditEvent.objects.filter(
        object_type="treatment_sessions.instrumentwording", action=AuditEvent.Action.UPDATE
    ).exists()
