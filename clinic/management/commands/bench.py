"""The benchmark behind `make bench` (method and figures: docs/PERFORMANCE.md; what it
measures with: clinic/site/bench.py).

Against PostgreSQL with `seed_scale` data: serves the app with gunicorn, drives each page
with wrk as the right role, and reports p50/p95/p99 latency, requests per second, SQL
queries per request, and throughput as a ratio of the stack's floor (a small template
after one indexed query). Then: 10,000 due check-ins sent by one Celery worker to a local
SMTP sink, and the bytes a phone loads for the intake step and the check-in page.
"""

import gzip
import json
import os
import re
import secrets
import shutil
import subprocess  # nosec B404
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count, F, Max
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic.celery import app
from clinic.site import bench
from intake.models import Patient
from sessions.followups import dispatch
from sessions.models import CheckinAnswer, ScheduledMessage, Visit
from sessions.tasks import send_messages

RESULTS_START = "<!-- bench:start -->"
RESULTS_END = "<!-- bench:end -->"
LIMIT = timedelta(minutes=10)  # the follow-up part gives up after this


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
        self.fixture = bench.fixture()
        results: dict[str, Any] = {
            "machine": bench.machine(),
            "date": timezone.now().isoformat(timespec="seconds"),
        }
        results["pages"] = self.pages(opts)
        results["followups"] = self.followups(opts["checkins"])
        results["weight"] = self.weight_rows  # measured while the server runs
        self.report(results, opts["write_docs"])

    # --- what the requests need -----------------------------------------------------

    # --- pages ------------------------------------------------------------------------

    def pages(self, opts) -> list[dict]:
        port = bench.free_port()
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
            bench.wait_for(self.base + "/healthz")
            script = Path(tempfile.mkstemp(suffix=".lua")[1])
            script.write_text(bench.WRK_SCRIPT)
            rows = []
            for target in bench.targets(self.fixture):
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
        opener = urllib.request.build_opener(bench.NoRedirect)
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
        sink = bench.SmtpSink()
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
            for ids, claim in dispatch.send_batches(dispatch.messages_claim_due()):
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
        table = bench.render_markdown(results)
        self.stdout.write("\n" + table)
        if write_docs:
            doc = settings.BASE_DIR / "docs" / "PERFORMANCE.md"
            text = doc.read_text()
            start, end = text.index(RESULTS_START), text.index(RESULTS_END)
            doc.write_text(text[: start + len(RESULTS_START)] + "\n" + table + "\n" + text[end:])
            self.stdout.write(f"Figures written to {doc}.")
