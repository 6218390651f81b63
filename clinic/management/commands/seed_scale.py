"""Clinic-chain data at scale for the benchmark: patients, intakes, years of visits with
needling sites, follow-ups, and an invoice per visit with its payment. Fast: PostgreSQL
COPY for the big tables.

Default size: 100,000 patients, 1,000,000 visits (with ~3 sites each), 40 practitioners,
5 locations. Adds to what is there; `make bench` seeds once. The rows are made in
clinic/site/scale_people.py, scale_visits.py and scale_billing.py, and written by
clinic/site/bulk.py.
"""

import random
import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from clinic.site import bulk, scale_billing, scale_people, scale_visits
from intake.models import Intake, Patient
from sessions.billing.documents import Invoice, InvoiceLine, Payment, PaymentAllocation
from sessions.models import Appointment, Course, NeedlingSite, ScheduledMessage, Visit


class Command(BaseCommand):
    help = "Create clinic-chain scale data quickly (for the benchmark)."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=100_000)
        parser.add_argument("--visits", type=int, default=1_000_000)
        parser.add_argument("--practitioners", type=int, default=40)
        parser.add_argument("--locations", type=int, default=5)
        parser.add_argument("--sites", type=int, default=3, help="needling sites per visit")
        parser.add_argument("--pending-checkins", type=int, default=2_000)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **opts):
        started = time.monotonic()
        rng = random.Random(opts["seed"])
        self.now = timezone.now()
        with transaction.atomic():
            staff, locations = scale_people.staff_and_locations(
                opts["practitioners"], opts["locations"]
            )
            self.stdout.write(f"  {len(staff)} practitioners, {len(locations)} locations")
            patients = scale_people.patients(rng, opts["patients"], self.now)
            self.stdout.write(f"  {len(patients)} patients")
            scale_people.intakes(patients, self.now)
            self.stdout.write(f"  {len(patients)} submitted intakes")
            first_appointment = bulk.next_id(Appointment)
            visits, checkins = scale_visits.visits(
                rng,
                patients,
                staff,
                locations,
                opts["visits"],
                opts["sites"],
                opts["pending_checkins"],
                self.now,
            )
            self.stdout.write(
                f"  {visits} visits, {visits * opts['sites']} needling sites, {checkins} check-ins"
            )
            invoiced = scale_billing.invoices(rng, first_appointment, self.now)
            self.stdout.write(f"  {invoiced} invoices with their lines, most paid")
        bulk.reset_sequences(
            [
                *(Patient, Intake, Course, Appointment, Visit, NeedlingSite, ScheduledMessage),
                *(Invoice, InvoiceLine, Payment, PaymentAllocation),
            ]
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(f"seed_scale done in {time.monotonic() - started:.0f} s.")
