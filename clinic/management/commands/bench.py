"""The benchmark behind `make bench` (method and figures: docs/PERFORMANCE.md).

Against PostgreSQL with `seed_scale` data: serves the app with gunicorn, drives each page
with wrk as the right role, and reports p50/p95/p99 latency, requests per second, SQL
queries per request, and throughput as a ratio of the stack's floor (a small template
after one indexed query). Then: 10,000 due check-ins sent by one Celery worker to a local
SMTP sink, and the bytes a phone loads for the intake step and the check-in page.
"""

import asyncio
import gzip
import json
import os
import re
import secrets
import shutil
import socket
import subprocess  # nosec B404
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count, F, Max
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.celery import app
from clinic.roles import Role
from clinic.security import LOGIN_AT, SEEN_AT
from intake import services as intake_services
from intake.models import Patient
from sessions import followups
from sessions.models import Appointment, CheckinAnswer, ScheduledMessage, Visit
from sessions.tasks import send_messages

RESULTS_START = "<!-- bench:start -->"
RESULTS_END = "<!-- bench:end -->"
LIMIT = timedelta(minutes=10)  # the follow-up part gives up after this
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


class Command(BaseCommand):
    help = "Benchmark the pages users wait on, follow-up throughput and page weight."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=int, default=10, help="wrk run per page")
        parser.add_argument("--connections", type=int, default=8)
        parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
        parser.add_argument("--patients", type=int, default=100_000)
        parser.add_argument("--visits", type=int, default=1_000_000)
        parser.add_argument("--checkins", type=int, default=10_000)
        parser.add_argument("--write-docs", action="store_true", help="update docs/PERFORMANCE.md")

    def handle(self, *args, **opts):
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark runs against PostgreSQL: set DATABASE_URL.")
        if not shutil.which("wrk"):
            raise CommandError("wrk is not installed (Debian: apt-get install -y wrk).")
        if Patient.objects.count() < opts["patients"]:
            self.stdout.write("Seeding scale data (once)...")
            call_command("seed_scale", patients=opts["patients"], visits=opts["visits"])
        self.fixture = self.prepare()
        results: dict[str, Any] = {
            "machine": machine(),
            "date": timezone.now().isoformat(timespec="seconds"),
        }
        results["pages"] = self.pages(opts)
        results["followups"] = self.followups(opts["checkins"])
        results["weight"] = self.weight_rows  # measured while the server runs
        self.report(results, opts["write_docs"])

    # --- what the requests need -----------------------------------------------------

    def prepare(self) -> dict:
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
            Patient.objects.annotate(n=Count("appointments"))
            .filter(n__gte=8)
            .order_by("-n")
            .first()
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
        return {
            "desk": self.cookie(desk, csrf, otp=False),
            "physio": self.cookie(physio, csrf, otp=True),
            "anon": f"csrftoken={csrf}",
            "csrf": csrf,
            "day": timezone.localtime(busiest[0]).date().isoformat(),
            "location": busiest[1],
            "patient": patient.pk,
            "visit_appointment": visit.appointment_id,
            "search": patient.legal_last_name[:5],
            "intake": intake_services.invitation_link(invitation).split("/i/")[1].strip("/"),
            "checkin": followups.checkin_link(message).split("/c/")[1].strip("/"),
        }

    def cookie(self, user, csrf: str, otp: bool) -> str:
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

    def targets(self) -> list[dict]:
        f = self.fixture
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

    # --- pages ------------------------------------------------------------------------

    def pages(self, opts) -> list[dict]:
        port = free_port()
        static = Path(tempfile.mkdtemp(prefix="bench-static-"))
        env = {
            **os.environ,
            "DEBUG": "0",
            "HTTPS": "0",
            "BENCH": "1",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECRET_KEY": settings.SECRET_KEY,
            "STATIC_ROOT": str(static),
            "LOG_LEVEL": "WARNING",
            "BAD_LINK_LIMIT": "1000000",
            "SESSION_IDLE_SECONDS": "86400",
        }
        subprocess.run(  # nosec B603
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            env=env,
            cwd=settings.BASE_DIR,
            check=True,
        )
        server = subprocess.Popen(  # nosec B603
            [
                sys.executable,
                "-m",
                "gunicorn",
                "clinic.wsgi",
                "-w",
                str(opts["workers"]),
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=settings.BASE_DIR,
        )
        self.base = f"http://127.0.0.1:{port}"
        try:
            wait_for(self.base + "/healthz")
            script = Path(tempfile.mkstemp(suffix=".lua")[1])
            script.write_text(WRK_SCRIPT)
            rows = []
            for target in self.targets():
                self.check_status(target)
                self.wrk(target, script, opts, warmup=True)
                figures = self.wrk(target, script, opts)
                figures.update(name=target["name"], queries=self.queries(target))
                rows.append(figures)
                self.stdout.write(
                    "  {name:<20} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  p99 {p99:6.1f} ms"
                    "  {rps:7.1f} req/s  {queries} queries".format(**figures)
                )
            self.weight_base = self.base
            self.weight_rows = self.weight_pages()
        finally:
            server.terminate()
            server.wait(timeout=30)
        floor = rows[0]["rps"]
        for row in rows:
            row["ratio"] = row["rps"] / floor if floor else 0
        return rows

    def check_status(self, target):
        request = urllib.request.Request(
            self.base + target["path"],
            data=target.get("body", "").encode() or None,
            headers={
                "Cookie": target["cookie"],
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        opener = urllib.request.build_opener(NoRedirect)
        status = opener.open(request, timeout=30).status
        if status >= 400:
            raise CommandError(f"{target['name']}: HTTP {status} before the run; fix the setup.")

    def wrk(self, target, script, opts, warmup=False) -> dict:
        seconds = 2 if warmup else opts["seconds"]
        env = {**os.environ, "BENCH_COOKIE": target["cookie"], "BENCH_BODY": target.get("body", "")}
        out = subprocess.run(  # nosec B603
            [
                "wrk",
                "-t2",
                f"-c{opts['connections']}",
                f"-d{seconds}s",
                "-s",
                str(script),
                self.base + target["path"],
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        match = re.search(r"BENCH (\{.*\})", out)
        if match is None:
            raise CommandError(f"wrk printed no BENCH line:\n{out}")
        data = json.loads(match.group(1))
        data["rps"] = data["requests"] / data["seconds"]
        if data["errors"]:
            raise CommandError(f"{target['name']}: {data['errors']} failed requests\n{out}")
        return data

    def queries(self, target) -> int:
        """SQL queries for one request, measured in-process with the same session."""
        client = Client(HTTP_HOST="127.0.0.1")
        for part in target["cookie"].split("; "):
            name, value = part.split("=", 1)
            client.cookies[name] = value
        with CaptureQueriesContext(connection) as captured:
            if target.get("body"):
                client.post(
                    target["path"], target["body"], content_type="application/x-www-form-urlencoded"
                )
            else:
                client.get(target["path"])
        control = ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK")
        return len([q for q in captured.captured_queries if not q["sql"].startswith(control)])

    # --- follow-ups ---------------------------------------------------------------------

    def followups(self, count: int) -> dict:
        broker = settings.CELERY_BROKER_URL
        if not broker.startswith("redis"):
            return {"skipped": "needs CELERY_BROKER_URL=redis://..."}
        sink = SmtpSink()
        # Earlier runs' messages would be claimed too and skew the figure.
        CheckinAnswer.objects.filter(message__key__startswith="bench:").delete()
        ScheduledMessage.objects.filter(key__startswith="bench:").delete()
        now = timezone.now()
        # Check-ins as the app makes them: of signed notes of visits that took place
        # (others are skipped at send time and would never count as sent).
        visits = list(
            Visit.objects.filter(messages__isnull=True, status="signed")
            .exclude(appointment__status__in=["cancelled", "no_show"])
            .values_list("id", "appointment_id", "appointment__patient_id")[:count]
        )
        ScheduledMessage.objects.bulk_create(
            ScheduledMessage(
                key=f"bench:{now.timestamp()}:{v}",
                kind="checkin",
                patient_id=p,
                appointment_id=a,
                visit_id=v,
                hours_after=24,
                due_at=now + timedelta(days=1),  # due once the worker is up
                nonce=secrets.token_urlsafe(16),
            )
            for v, a, p in visits
        )
        Patient.objects.filter(pk__in=[p for _, _, p in visits]).update(email_reminders=True)
        env = {
            **os.environ,
            "DEBUG": "0",  # as in production (DEBUG keeps every query in memory)
            "SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1",
            "HTTPS": "0",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(sink.port),
            "EMAIL_USE_TLS": "0",
            "QUIET_HOURS_START": "00:00",
            "QUIET_HOURS_END": "00:00",
            "LOG_LEVEL": "WARNING",
        }
        worker = subprocess.Popen(  # nosec B603
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "clinic",
                "worker",
                "--loglevel=WARNING",
                "-Q",
                "bench-followups",
                # As docker-compose runs it: the prefork pool, CELERY_WORKER_CONCURRENCY.
                "--concurrency",
                os.environ.get("CELERY_WORKER_CONCURRENCY", "2"),
            ],
            env=env,
            cwd=settings.BASE_DIR,
        )
        try:
            # A running worker, as in production: the clock starts when they fall due.
            deadline = time.monotonic() + 120
            while not app.control.ping(timeout=1) and time.monotonic() < deadline:
                pass
            ours = ScheduledMessage.objects.filter(key__startswith=f"bench:{now.timestamp()}:")
            due = timezone.now()
            ours.update(due_at=due)
            for ids, claim in followups.send_batches(followups.messages_claim_due()):
                send_messages.apply_async((ids, claim), queue="bench-followups")
            # Polled gently (the poll competes for the same CPUs); the time taken is
            # read from the rows afterwards.
            while ours.exclude(status="sent").exists() and timezone.now() - due < LIMIT:
                time.sleep(2)
        finally:
            worker.terminate()
            worker.wait(timeout=60)
        sent = ours.filter(status="sent").aggregate(
            n=Count("id"), last=Max("sent_at"), worst=Max(F("sent_at") - F("due_at"))
        )
        return {
            "messages": len(visits),
            "sent": sent["n"],
            "received_by_sink": sink.count,
            "seconds": round((sent["last"] - due).total_seconds(), 1) if sent["n"] else None,
            "worst_lateness_seconds": round(sent["worst"].total_seconds(), 1)
            if sent["n"]
            else None,
        }

    # --- page weight ------------------------------------------------------------------

    def weight_pages(self) -> list[dict]:
        f = self.fixture
        return [
            self.page_bytes("Intake step", f"/i/{f['intake']}/visit/"),
            self.page_bytes("Check-in form", f"/c/{f['checkin']}/"),
        ]

    def page_bytes(self, name: str, path: str) -> dict:
        """Bytes over the wire with gzip, as a phone's browser would fetch: HTML + CSS + JS."""
        html, total = self.fetch(path)
        assets = re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html)
        for asset in assets:
            total += self.fetch(asset)[1]
        return {"name": name, "bytes": total, "files": 1 + len(assets)}

    def fetch(self, path: str) -> tuple[str, int]:
        request = urllib.request.Request(
            self.weight_base + path,
            headers={"Accept-Encoding": "gzip", "Cookie": self.fixture["anon"]},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # nosec B310 (localhost)
            raw = response.read()
            text = ""
            if response.headers.get("Content-Encoding") == "gzip":
                text = gzip.decompress(raw).decode(errors="replace")
            else:
                text = raw.decode(errors="replace")
        return text, len(raw) + len(str(response.headers))

    # --- report ------------------------------------------------------------------------

    def report(self, results: dict, write_docs: bool):
        out = Path(settings.VAR_DIR) / "bench"
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.json").write_text(json.dumps(results, indent=2))
        table = render_markdown(results)
        self.stdout.write("\n" + table)
        if write_docs:
            doc = settings.BASE_DIR / "docs" / "PERFORMANCE.md"
            text = doc.read_text()
            start, end = text.index(RESULTS_START), text.index(RESULTS_END)
            doc.write_text(text[: start + len(RESULTS_START)] + "\n" + table + "\n" + text[end:])
            self.stdout.write(f"Figures written to {doc}.")


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
