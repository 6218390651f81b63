"""The patient page: the intake record (registry, intakes and their links, the screening
verdict) and the patient's visits and course, so it reads both apps.

Served as ``intake:patient-detail`` at ``patients/<id>/``: clinic/urls.py adds it to the
intake app's URL namespace (docs/ARCHITECTURE.md says why it lives here).
"""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from clinic import audit, clock
from clinic.access import require_roles
from clinic.roles import Role, has_role
from intake import services
from intake.forms import EligibilityForm
from intake.models import Channel, Intake, IntakeInvitation, MessagePurpose, Patient
from intake.views import REGISTRY
from sessions.billing.selectors import patient_account
from sessions.booking.selectors import course_active
from sessions.documents import selectors as documents
from sessions.models import Appointment
from sessions.outcomes.staff_pages import patient_section as questionnaire_section


@require_roles(*REGISTRY)
def patient_detail(request, pk: int):
    invitations = IntakeInvitation.objects.order_by("-created_at", "-id")
    patient = get_object_or_404(
        Patient.objects.prefetch_related(
            Prefetch(
                "intakes",
                queryset=Intake.objects.order_by("-number").prefetch_related(
                    Prefetch("invitations", queryset=invitations)
                ),
            )
        ),
        pk=pk,
    )
    is_physio = has_role(request.user, Role.PHYSIO)
    eligibility = EligibilityForm(request.GET or None)
    day = eligibility.cleaned_data["day"] if eligibility.is_valid() else clock.clinic_today()
    intakes = list(patient.intakes.all())  # newest first, invitations prefetched
    verdict, screened_intake = services.patient_verdict(patient, day, intakes=intakes)
    audit.record(
        request,
        audit.Action.VIEW,
        obj=patient,
        detail="screening verdict" if is_physio else "eligibility answer",
    )
    appointments = list(
        Appointment.objects.filter(patient=patient)
        .select_related("practitioner", "location", "type", "course")
        .with_visit_number()
        .order_by("-start")[:50]
    )
    course = course_active(patient=patient)
    show_billing = has_role(request.user, Role.FRONT_DESK, Role.ADMIN)
    account = patient_account(patient=patient) if show_billing else None
    messaging = [
        {
            "purpose": purpose.label,
            "chosen": patient.channel_for(purpose).label,
            "sends": sorted(Channel(c).label for c in services.channels_for(patient, purpose)),
            "no_sms": (
                services.sms_refusal(patient, purpose)
                if patient.channel_for(purpose) != Channel.EMAIL
                else ""
            ),
        }
        for purpose in MessagePurpose
    ]
    for intake in intakes:
        intake.latest_invitation = next(  # type: ignore[attr-defined]  # for the template
            iter(intake.invitations.all()), None
        )
    return render(
        request,
        "intake/patient_detail.html",
        {
            "patient": patient,
            "intakes": intakes,
            "verdict": verdict,
            "screened_intake": screened_intake,
            "eligibility": eligibility,
            "day": day,
            "show_clinical": is_physio,
            "show_billing": show_billing,
            "account": account,
            "appointments": appointments,
            "course": course,
            "messaging": messaging,
            "documents": documents.patient_documents(patient, request.user, documents.RECENT),
            **questionnaire_section(patient, request.user, timezone.now()),
        },
    )
