"""What `manage.py bench` measures with: its fixture (staff sessions, a busy day, a
patient with a long record, patient links), the pages it requests, a local SMTP sink,
the wrk script, and the results as a Markdown table. The command
(clinic/management/commands/bench.py) runs the servers and the measurements.
"""

import asyncio
import os
import secrets
import socket
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import TypeVar

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import CommandError
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import clock
from clinic.roles import Role
from clinic.security import LOGIN_AT, SEEN_AT
from intake import services as intake_services
from intake.models import Patient
from sessions.followups.services import checkin_link
from sessions.models import (
    Appointment,
    AppointmentType,
    Location,
    OnlineBookingPolicy,
    ScheduledMessage,
    Visit,
    WorkingHours,
)

WRK_SCRIPT = r"""
local body = os.getenv("BENCH_BODY")
if body and #body > 0 then
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE") or ""
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %f, "errors": %d, "p50": %f, "p95": %f, "p99": %f}\n',
    summary.requests, summary.duration / 1e6, errors,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


T = TypeVar("T")


def found(row: T | None, what: str) -> T:
    """``row``; an error naming what is missing when the scale data lacks it."""
    if row is None:
        raise CommandError(f"No {what} in the database: run `manage.py seed_scale` first.")
    return row


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fixture() -> dict:
    """The users, sessions, patient, visit and links the benchmark's requests use,
    picked from (or added to) ``seed_scale`` data."""
    User = get_user_model()
    desk, _ = User.objects.get_or_create(username="bench-frontdesk")
    desk.groups.add(Group.objects.get(name=Role.FRONT_DESK.value))
    physio = found(User.objects.filter(username="scale-physio-1").first(), "scale-physio-1")
    busiest = found(
        Appointment.objects.filter(practitioner=physio)
        .order_by("-start")
        .values_list("start", "location_id")
        .first(),
        "appointment of scale-physio-1",
    )
    patient = found(
        Patient.objects.annotate(n=Count("appointments")).filter(n__gte=8).order_by("-n").first()
        or Patient.objects.first(),
        "patient",
    )
    visit = found(
        Visit.objects.filter(appointment__patient=patient).order_by("-id").first(),
        "visit of the busiest patient",
    )
    invitation = intake_services.intake_invite(
        patient=found(Patient.objects.last(), "patient"), sent_by=desk
    )
    message = found(
        ScheduledMessage.objects.filter(status="sent", key__startswith="scale:")
        .order_by("-id")
        .first(),
        "sent scale check-in",
    )
    message.sent_at = timezone.now()
    message.save(update_fields=["sent_at"])
    csrf = secrets.token_hex(16)
    online_type = online_booking_on(location_id=busiest[1])
    return {
        "desk": session_cookie(desk, csrf, otp=False),
        "physio": session_cookie(physio, csrf, otp=True),
        "anon": f"csrftoken={csrf}",
        "csrf": csrf,
        "day": clock.clinic_day(busiest[0]).isoformat(),
        "location": busiest[1],
        "patient": patient.pk,
        "visit_appointment": visit.appointment_id,
        # Check-out's page: an uninvoiced completed visit if the data has one (seed_scale
        # invoices every visit, so else the patient's last visit, shown as invoiced).
        "checkout": (
            Appointment.objects.filter(status="completed", invoices__isnull=True)
            .values_list("pk", flat=True)
            .first()
            or visit.appointment_id
        ),
        "search": patient.legal_last_name[:5],
        "intake": intake_services.invitation_link(invitation).split("/i/")[1].strip("/"),
        "checkin": checkin_link(message).split("/c/")[1].strip("/"),
        "online_slots": reverse(
            "sessions:online-slots", kwargs={"location_pk": busiest[1], "type_pk": online_type}
        )
        + "?practitioner=any",
    }


def online_booking_on(*, location_id: int) -> int:
    """Online booking switched on for the busiest location, every practitioner working
    there and the needling treatment (open to new patients, so the anonymous slot page
    lists slots); returns the type's id. The scale practitioners hold needling
    authorisations, so the page's authorisation filter keeps them all."""
    Location.objects.filter(pk=location_id).update(books_online=True)
    kind = found(AppointmentType.objects.filter(name="IMS treatment").first(), "IMS treatment type")
    AppointmentType.objects.filter(pk=kind.pk).update(bookable_online=True, for_new_patients=True)
    working = WorkingHours.objects.filter(location_id=location_id).values_list(
        "practitioner_id", flat=True
    )
    OnlineBookingPolicy.get().practitioners.add(*set(working))
    return kind.pk


def session_cookie(user, csrf: str, otp: bool) -> str:
    """A signed-in session for ``user`` (second factor done if ``otp``), as a Cookie header."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "clinic.roles.RoleModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[LOGIN_AT] = session[SEEN_AT] = int(time.time())
    if otp:
        device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", confirmed=True)
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.create()
    return f"sessionid={session.session_key}; csrftoken={csrf}"


def targets(f: dict) -> list[dict]:
    """The pages measured, each with the cookie of the role that uses it (and a form to
    post, for the two patient submissions)."""
    visit_form = (
        f"csrfmiddlewaretoken={f['csrf']}&reason=Back+pain&pain_areas=low_back"
        "&onset_date=2025-01-10&onset=gradual&pain_now=5&pain_best=2&pain_worst=8"
    )
    checkin_form = f"csrfmiddlewaretoken={f['csrf']}&soreness=3&compared=expected"
    return [
        {"name": "Floor (reference)", "path": "/bench/floor/?id=1", "cookie": f["anon"]},
        {"name": "Login page", "path": "/accounts/login/", "cookie": f["anon"]},
        {"name": "Patient search", "path": f"/patients/?q={f['search']}", "cookie": f["desk"]},
        {"name": "Patient page", "path": f"/patients/{f['patient']}/", "cookie": f["physio"]},
        {
            "name": "Day calendar",
            "path": f"/calendar/?date={f['day']}&location={f['location']}",
            "cookie": f["desk"],
        },
        {
            "name": "Visit chart",
            "path": f"/appointments/{f['visit_appointment']}/chart/",
            "cookie": f["physio"],
        },
        {
            "name": "Patient timeline",
            "path": f"/patients/{f['patient']}/timeline/",
            "cookie": f["physio"],
        },
        {
            "name": "Day sheet",
            "path": f"{reverse('sessions:day-sheet')}?location={f['location']}&day={f['day']}",
            "cookie": f["desk"],
        },
        {"name": "Receivables", "path": reverse("sessions:receivables"), "cookie": f["desk"]},
        *_desk_targets(f),
        {
            "name": "Online slots (first available, 7 days)",
            "path": f["online_slots"],
            "cookie": f["anon"],
        },
        {
            "name": "Intake step submit",
            "path": f"/i/{f['intake']}/visit/",
            "cookie": f["anon"],
            "body": visit_form,
        },
        {
            "name": "Check-in submit",
            "path": f"/c/{f['checkin']}/",
            "cookie": f["anon"],
            "body": checkin_form,
        },
    ]


def _desk_targets(f: dict) -> list[dict]:
    """Check-out of a completed visit and a patient's account, as the front desk."""
    return [
        {
            "name": "Check-out",
            "path": reverse("sessions:checkout", kwargs={"pk": f["checkout"]}),
            "cookie": f["desk"],
        },
        {
            "name": "Patient account",
            "path": reverse("sessions:account", kwargs={"patient_pk": f["patient"]}),
            "cookie": f["desk"],
        },
    ]


class SmtpSink:
    """A local SMTP server that accepts and counts messages (the 'mail sink')."""

    def __init__(self):
        self.port = free_port()
        self.count = 0
        self.connections = 0
        self.writers = []
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(
            asyncio.start_server(self._session, "127.0.0.1", self.port)
        )
        self.loop.run_forever()

    def drop_connections(self):
        """Close every open connection, as a server's idle timeout would."""
        for writer in self.writers:
            self.loop.call_soon_threadsafe(writer.close)
        self.writers = []

    async def _session(self, reader, writer):
        self.connections += 1
        self.writers.append(writer)
        writer.write(b"220 sink\r\n")
        data = False
        while line := await reader.readline():
            if data:
                if line in (b".\r\n", b".\n"):
                    data = False
                    self.count += 1
                    writer.write(b"250 ok\r\n")
                continue
            command = line[:4].upper()
            if command in (b"EHLO", b"HELO"):
                writer.write(b"250 sink\r\n")
            elif command == b"DATA":
                data = True
                writer.write(b"354 go on\r\n")
            elif command == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

    def http_error_302(self, req, fp, code, msg, headers):
        return fp


def wait_for(url: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # nosec B310 (localhost)
            return
        except OSError:
            time.sleep(0.3)
    raise CommandError(f"The server did not answer at {url}.")


def machine() -> str:
    cpu = "unknown CPU"
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores ({cpu}), Python {sys.version.split()[0]}"


def render_markdown(results: dict) -> str:
    lines = [
        f"Run {results['date']} on {results['machine']}.",
        "",
        "| Page | p50 ms | p95 ms | p99 ms | req/s | × floor | SQL queries |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in results["pages"]:
        lines.append(
            f"| {row['name']} | {row['p50']:.1f} | {row['p95']:.1f} | {row['p99']:.1f} | "
            f"{row['rps']:.0f} | {row['ratio']:.2f} | {row['queries']} |"
        )
    f = results["followups"]
    lines += [
        "",
        "Follow-ups: "
        + (
            f"{f['sent']} of {f['messages']} check-ins sent by one worker in {f['seconds']} s "
            f"({f['received_by_sink']} reached the SMTP sink); "
            f"worst lateness {f['worst_lateness_seconds']} s."
            if "seconds" in f
            else f["skipped"]
        ),
    ]
    lines += ["", "| Page (phone, gzip) | Bytes | Files |", "| --- | ---: | ---: |"]
    for row in results["weight"]:
        lines.append(f"| {row['name']} | {row['bytes']:,} | {row['files']} |")
    return "\n".join(lines)
