"""seed_demo's billing: the fee schedule (with a workers' compensation rate that
changed), a taxed brace, the missed-visit policy, practitioners' registrations, a few
invoices and payments (split, partial, overpaid, unpaid and aged) and one workers'
compensation case with a course booked under it, and a visit earlier today that is
completed and signed but not yet invoiced (check-out can start at once). Idempotent:
fees, items and profiles are matched by their keys; documents are issued once (their
numbers are taken by the billing services, so a second run takes none); the visit ready
for check-out is added once a day."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from clinic import clock
from clinic.models import PractitionerProfile
from intake.models import Patient
from sessions.billing import services
from sessions.billing.documents import Invoice
from sessions.billing.models import BillableItem, BillingPolicy, Fee, PayerCase, PayerKind
from sessions.billing.payments import AllocationIn, payment_take
from sessions.billing.services import LineIn
from sessions.booking.services import course_open_or_get
from sessions.charting.models import Visit
from sessions.models import Appointment, AppointmentType, Location

D = Decimal
WCB = PayerKind.WORKERS_COMP

# item name, appointment type name (None: goods), tax name, tax rate, fees:
# (payer kind, amount, effective from)
DEMO_ITEMS = [
    (
        "Initial assessment",
        "Initial assessment + IMS",
        "",
        D(0),
        [("", D("120.00"), date(2025, 1, 1))],
    ),
    (
        "IMS treatment",
        "IMS treatment",
        "",
        D(0),
        [
            ("", D("95.00"), date(2025, 1, 1)),
            (WCB, D("85.00"), date(2025, 4, 1)),
            (WCB, D("88.50"), date(2026, 4, 1)),
        ],
    ),
    ("Knee brace", None, "GST", D("5.00"), [("", D("45.00"), date(2025, 1, 1))]),
]

# username, designation, registration number
DEMO_PROFILES = [
    ("physio", "Registered Physiotherapist (PT)", "PT-04417"),
    ("physio2", "Registered Physiotherapist (PT)", "PT-05128"),
]
REGULATOR = "Physiotherapy Alberta College + Association"


def seed_billing(*, users: dict, location: Location) -> int:
    """Seed the billing demo; ``users`` maps demo usernames to users. Returns how many
    records were new."""
    created = _fee_schedule()
    policy = BillingPolicy.get()
    policy.no_show_fee_on, policy.no_show_fee = True, D("50.00")
    policy.late_cancel_fee_on, policy.late_cancel_hours, policy.late_cancel_fee = (
        True,
        24,
        D("40.00"),
    )
    policy.save()
    for username, designation, number in DEMO_PROFILES:
        created += PractitionerProfile.objects.get_or_create(
            user=users[username],
            defaults={
                "designation": designation,
                "registration_number": number,
                "regulatory_body": REGULATOR,
            },
        )[1]
    if not Invoice.objects.exists():
        created += _documents(users=users, location=location)
        created += _wcb_case(users=users, location=location)
    return created + _ready_for_checkout(users=users, location=location)


def _earlier_today() -> datetime:
    """Where today's demo visits start: 3½ hours before now (to the quarter hour), or
    midnight when seeding earlier than that; the visit ready for check-out starts 90
    minutes later (about two hours ago)."""
    now = clock.clinic_localtime()
    quarter = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    midnight = datetime.combine(now.date(), time(0), tzinfo=clock.clinic_tz())
    return max(midnight, quarter - timedelta(hours=3, minutes=30))


def _signed_visit(
    *, patient: Patient, practitioner, location: Location, type_name: str, start: datetime
) -> Appointment:
    """A completed appointment with its signed note (a short demo chart)."""
    kind = AppointmentType.objects.get(name=type_name)
    visit = Appointment.objects.create(
        patient=patient,
        practitioner=practitioner,
        location=location,
        type=kind,
        start=start,
        end=start + kind.duration,
        course=course_open_or_get(patient=patient),
        status=Appointment.Status.COMPLETED,
    )
    Visit.objects.create(
        appointment=visit,
        author=practitioner,
        status=Visit.Status.SIGNED,
        consent_today=True,
        nprs_before=6,
        nprs_after=3,
        subjective="Demo visit: pain easing since the last treatment.",
        assessment="Demo visit: responding to treatment.",
        plan="Continue as planned.",
        aftercare_text="Heat and gentle movement today; soreness may last a day.",
        signed_at=visit.end + timedelta(minutes=10),
    )
    return visit


def _ready_for_checkout(*, users: dict, location: Location) -> int:
    """Sofia's treatment earlier today: completed, signed, not invoiced, so a front-desk
    user can check it out at once. Added when today has no such visit yet."""
    today = clock.clinic_today()
    start = _earlier_today() + timedelta(minutes=90)
    day_start = datetime.combine(today, time(0), tzinfo=clock.clinic_tz())
    waiting = Appointment.objects.filter(
        status=Appointment.Status.COMPLETED,
        start__gte=day_start,
        start__lt=day_start + timedelta(days=1),
        invoices__isnull=True,
    )
    if waiting.exists():
        return 0
    sofia = Patient.objects.get(legal_first_name="Sofia", legal_last_name="Castillo")
    _signed_visit(
        patient=sofia,
        practitioner=users["physio"],
        location=location,
        type_name="IMS treatment",
        start=start,
    )
    return 2


def _fee_schedule() -> int:
    created = 0
    for name, type_name, tax_name, tax_rate, fees in DEMO_ITEMS:
        kind = AppointmentType.objects.filter(name=type_name).first() if type_name else None
        item, is_new = BillableItem.objects.get_or_create(
            name=name,
            defaults={"appointment_type": kind, "tax_name": tax_name, "tax_rate": tax_rate},
        )
        created += is_new
        for payer_kind, amount, start in fees:
            created += Fee.objects.get_or_create(
                item=item, payer_kind=payer_kind, effective_from=start, defaults={"amount": amount}
            )[1]
    return created


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=clock.clinic_tz())


def _documents(*, users: dict, location: Location) -> int:
    """Five invoices: a split payment, a partial one, an overpayment left as credit, one
    unpaid at 40 days and one unpaid at 100 days (receivables' buckets)."""
    desk = users["frontdesk"]
    today = clock.clinic_today()
    items = {i.name: i for i in BillableItem.objects.all()}
    names = {
        "Hélène": "Tremblay",
        "Marcus": "Lee",
        "Gordon": "MacLeod",
        "Mei": "Chen",
        "Ravi": "Patel",
    }
    people = {
        p.legal_first_name: p
        for p in Patient.objects.filter(
            legal_first_name__in=names, legal_last_name__in=names.values()
        )
    }

    def issue(
        first: str, names: list[str], days_ago: int, visit: Appointment | None = None
    ) -> Invoice:
        day = today - timedelta(days=days_ago)
        return services.invoice_issue(
            patient=people[first],
            lines=[LineIn(item=items[n]) for n in names],
            location=location,
            issued_by=desk,
            service_date=day,
            practitioner=users["physio"],
            appointment=visit,
            now=_at(day, 11) if days_ago else None,
        )

    def visit_today(first: str, type_name: str, start: datetime) -> Appointment:
        return _signed_visit(
            patient=people[first],
            practitioner=users["physio"],
            location=location,
            type_name=type_name,
            start=start,
        )

    def pay(invoice: Invoice, amount: str, method: str, reference: str = "") -> None:
        payment_take(
            patient=invoice.patient,
            amount=D(amount),
            method=method,
            recorded_by=desk,
            allocations=[AllocationIn(invoice)],
            location=location,
            reference=reference,
        )

    # Today's two invoices bill real visits earlier today (signed, then checked out).
    morning = _earlier_today()
    helene = visit_today("Hélène", "Initial assessment + IMS", morning)
    gordon = visit_today("Gordon", "IMS treatment", morning + timedelta(minutes=60))
    split = issue("Hélène", ["Initial assessment"], 0, helene)
    pay(split, "70.00", "debit", "TERM-0815")
    pay(split, "50.00", "credit_card", "TERM-0816")
    partial = issue("Marcus", ["IMS treatment"], 40)
    pay(partial, "40.00", "cash")
    overpaid = issue("Gordon", ["IMS treatment", "Knee brace"], 0, gordon)  # 142.25 with GST
    pay(overpaid, "150.00", "cash")  # 7.75 left as credit
    issue("Mei", ["IMS treatment"], 100)
    issue("Ravi", ["IMS treatment"], 3)
    return 5 + 4


def _wcb_case(*, users: dict, location: Location) -> int:
    """Daniel's workers' compensation claim: 8 visits authorised, WCB pays 100% of its
    rate; two visits done and invoiced (WCB paid the first), three booked ahead."""
    today = clock.clinic_today()
    daniel = Patient.objects.get(legal_first_name="Daniel", legal_last_name="Whitehorse")
    case = PayerCase(
        patient=daniel,
        kind=WCB,
        payer_name="WCB-Alberta",
        claim_number="WCB-7730215",
        injury_date=today - timedelta(days=30),
        case_manager_name="Janet Morin",
        case_manager_phone="780-555-0190",
        opened_on=today - timedelta(days=21),
        authorised_visits=8,
        authorised_from=today - timedelta(days=21),
        authorised_until=today + timedelta(days=70),
        payer_share_percent=D("100"),
    )
    case.full_clean()
    case.save()
    treatment = AppointmentType.objects.get(name="IMS treatment")
    course = course_open_or_get(patient=daniel)
    physio2 = users["physio2"]
    done = []
    completed, booked = Appointment.Status.COMPLETED, Appointment.Status.BOOKED
    plan = [(-14, completed), (-7, completed), (7, booked), (14, booked), (21, booked)]
    for offset, status in plan:
        start = _at(today + timedelta(days=offset), 15)
        visit = Appointment.objects.create(
            patient=daniel,
            practitioner=physio2,
            location=location,
            type=treatment,
            start=start,
            end=start + treatment.duration,
            course=course,
            payer_case=case,
            status=status,
        )
        if status == Appointment.Status.COMPLETED:
            done.append(visit)
    invoices = [
        services.invoice_issue_for_appointment(
            appointment=v, issued_by=users["frontdesk"], now=v.end + timedelta(minutes=5)
        )
        for v in done
    ]
    payment_take(
        patient=daniel,
        amount=invoices[0].payer_portion,
        method="payer",
        recorded_by=users["frontdesk"],
        allocations=[AllocationIn(invoices[0])],
        location=location,
        reference="WCB remittance 55120",
        payer_case=case,
        now=invoices[0].issued_at + timedelta(days=5),
    )
    return 1 + 5 + len(invoices) + 1
