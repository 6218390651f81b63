"""Run the development stack: web server, Celery worker and Celery beat.

Used by `make run`. Stops all three on Ctrl-C, or when any one of them exits.
"""

import os
import signal
import socket

# Starts our own web server, worker and beat (fixed argument lists, no shell).
import subprocess  # nosec B404
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from clinic.management.commands.seed_demo import DEMO_PASSWORD, DEMO_STAFF
from clinic.site.demo_documents import sample_folder


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def booking_url(site_url: str) -> str:
    """The public booking address patients start from."""
    return site_url.rstrip("/") + reverse("sessions:online-start")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Start the web server, a Celery worker and Celery beat together (development)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args, host: str, port: int, **options):
        if not port_is_free(host, port):
            raise CommandError(
                f"Port {port} on {host} is in use. Stop what uses it, or run `make run PORT=8001`."
            )
        celery = [sys.executable, "-m", "celery", "-A", "clinic"]
        commands = {
            "web": [sys.executable, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
            "worker": [*celery, "worker", "--loglevel=INFO", "--pool=solo"],
            "beat": [
                *celery,
                "beat",
                "--loglevel=INFO",
                f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}",
            ],
        }
        # Links in mails point at this server unless SITE_URL says otherwise.
        env = {**os.environ, "SITE_URL": os.environ.get("SITE_URL", f"http://{host}:{port}")}
        # Fixed argument lists of our own interpreter, no shell.
        procs = {name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()}
        self.print_banner(host, port, site_url=env["SITE_URL"])
        # Ctrl-C reaches the whole process group; SIGTERM takes the same path.
        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)
        exit_code = 0
        try:
            while True:
                for name, proc in procs.items():
                    if proc.poll() is not None:
                        if proc.returncode not in (0, -signal.SIGINT, -signal.SIGTERM):
                            self.stderr.write(f"{name} failed (exit code {proc.returncode}).")
                            exit_code = proc.returncode
                        raise KeyboardInterrupt
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop(procs)
        if exit_code:
            raise CommandError("The development stack stopped because a part of it failed.")

    def stop(self, procs: dict[str, subprocess.Popen]) -> None:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 10
        for proc in procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        self.stdout.write("Stopped web server, worker and beat.")

    def print_banner(self, host: str, port: int, site_url: str = "") -> None:
        logins = "\n".join(
            f"    {role.value:<16} {username:<10} password: {DEMO_PASSWORD}"
            for username, _first, _last, role in DEMO_STAFF
        )
        mail = getattr(settings, "EMAIL_FILE_PATH", None) or f"SMTP at {settings.EMAIL_HOST}"
        texts = (
            settings.SMS_FILE_PATH
            if settings.SMS_BACKEND.endswith("filebased.SmsBackend")
            else settings.SMS_BACKEND.rsplit(".", 2)[-2]
        )
        self.stdout.write(
            "\n"
            f"  {settings.CLINIC_NAME} is starting at  http://{host}:{port}/\n"
            f"  Demo logins:\n{logins}\n"
            f"  Patients book online at:  {booking_url(site_url or f'http://{host}:{port}')}\n"
            "    returning patients (sign in by email): mei.chen@example.com (cleared for\n"
            "    needling), d.whitehorse@example.com (refused needling online: call back)\n"
            "  Physiotherapists and the admin confirm sign-in with a code; print it with\n"
            "    .venv/bin/python manage.py demo_totp physio   (or admin, physio2)\n"
            f"  Sample files to upload as documents:  {sample_folder()}\n"
            "    (a referral letter PDF, an insurance-card photo with a GPS position)\n"
            f"  Outgoing mail is written to:  {mail}\n"
            f"  Text messages are written to: {texts}\n"
            "    (replies: README, 'Text messages: replies and the webhook')\n"
            f"  Celery worker and beat run alongside (broker: {settings.CELERY_BROKER_URL}).\n"
            "  Press Ctrl-C to stop everything.\n"
        )
