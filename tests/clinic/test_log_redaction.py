"""The signed tokens of patient and password-reset links never reach a log line (issue 13,
fault 10): not through django.request, gunicorn's access and error logs, any log
handler, nor spelt with escaped slashes or in a query string."""

import io
import logging
import os
import re
import subprocess
import sys
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from gunicorn.config import Config

from clinic.logs import GunicornLogger, redact
from tests.clinic.authorization.requesting import LINKS, link_args, url_patterns
from tests.clinic.authorization.world import build_world
from tests.clinic.conftest import record_texts


@pytest.fixture
def log_lines(all_logs):
    """What the app's own handlers (settings.LOGGING: the console, the development
    server's request log) write during the test, as text."""
    out = io.StringIO()
    handlers = {
        handler
        for logger in [logging.root, *logging.root.manager.loggerDict.values()]
        if isinstance(logger, logging.Logger | logging.RootLogger)
        for handler in logger.handlers
        if handler.name in ("console", "django.server")
    }
    assert {h.name for h in handlers} == {"console", "django.server"}
    previous = {handler: handler.setStream(out) for handler in handlers}
    yield out
    for handler, stream in previous.items():
        handler.setStream(stream)


def tokens_of(world) -> dict[str, str]:
    """Each patient link's genuine token and a near miss (its last character changed)."""

    tokens = {}
    for name in LINKS:
        token = link_args(name, world)["token"]
        tokens[name] = token
        tokens[f"{name} (tampered)"] = token[:-1] + ("A" if token[-1] != "A" else "B")
    return tokens


def test_patient_link_and_reset_tokens_never_reach_a_log_line(log_lines, all_logs, settings, db):
    settings.BAD_LINK_LIMIT = 1_000_000
    world = build_world()
    tokens = tokens_of(world)
    browser = Client()
    strict = Client(enforce_csrf_checks=True)
    # A revoked aftercare link: its genuine token now gets "Not Found" too.
    world.delivery.nonce = "revoked"
    world.delivery.save()
    for name, (_, _, _, extra) in LINKS.items():
        for token in (tokens[name], tokens[f"{name} (tampered)"]):
            path = reverse(name, kwargs={"token": token, **extra})
            browser.get(path)  # opened, or 404 "Not Found: <path>"
            browser.get(path.rstrip("/"))  # no trailing slash: a 404 too
            strict.post(path, {"soreness": "3"})  # 403 "Forbidden (CSRF ...): <path>"
    reset_token = default_token_generator.make_token(world.physio)
    uidb64 = urlsafe_base64_encode(force_bytes(world.physio.pk))
    reset = reverse("password_reset_confirm", kwargs={"uidb64": uidb64, "token": reset_token})
    strict.post(reset, {"new_password1": "x", "new_password2": "x"})  # 403, CSRF

    written = log_lines.getvalue()
    assert "Not Found" in written and "Forbidden" in written
    secrets = {**tokens, "password reset": reset_token}
    found = [what for what, secret in secrets.items() if secret in written]
    assert found == [], f"tokens in the log: {found}\n{written[:3000]}"
    found = [
        what
        for what, secret in secrets.items()
        if secret in " ".join(record_texts(all_logs.records))
    ]
    assert found == [], f"tokens in log records: {found}"


def test_gunicorn_access_and_error_logs_drop_tokens(tmp_path, db):
    token = "WzEsIlNFQ1JFVG5vbmNlIl0:1tXyZq:SeCrEtSiGnAtUrE"
    cfg = Config()
    for key, value in {
        "accesslog": str(tmp_path / "access.log"),
        "errorlog": str(tmp_path / "error.log"),
        "access_log_format": '%(h)s %(t)s "%(r)s" "%(m)s %(U)s %(H)s" %(s)s %(f)s',
    }.items():
        cfg.set(key, value)
    logger = GunicornLogger(cfg)
    for path in (f"/i/{token}/visit/", f"/c/{token}/", f"/a/{token}/", f"/calendar/feed/{token}/"):
        environ = {
            "REQUEST_METHOD": "GET",
            "RAW_URI": path,
            "PATH_INFO": path,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "203.0.113.9",
            "HTTP_REFERER": f"https://clinic.example.com{path}",
        }
        response = SimpleNamespace(status="200 OK", sent=10, headers=[])
        request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
        logger.access(response, request, environ, timedelta(milliseconds=5))
        logger.error("Error handling request %s", path)
    for handler in [*logger.access_log.handlers, *logger.error_log.handlers]:
        handler.flush()
    access = (tmp_path / "access.log").read_text()
    error = (tmp_path / "error.log").read_text()
    assert access.count("GET /") == 8 and "/c/[redacted]/" in access
    assert "Error handling request /i/[redacted]/visit/" in error
    assert "SeCrEt" not in access + error


def test_every_route_with_a_token_is_redacted():
    """A new link route is covered without anyone remembering to list it."""

    with_token = {name: route for name, route in url_patterns().items() if "token>" in route}
    assert len(with_token) >= 6
    for route in with_token.values():
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: f"SeCrEt{m[1]}", route)
        line = f'"GET {path} HTTP/1.1" 404 and {path.rstrip("/")}?x=1'
        assert "SeCrEttoken" not in redact(line), route


UNREDACTED_HANDLERS = """
import logging, django
django.setup()
from clinic.logs import RedactTokens
loggers = [logging.getLogger()] + [
    logger for logger in logging.Logger.manager.loggerDict.values()
    if isinstance(logger, logging.Logger)
]
print(sorted(
    f"{logger.name}: {type(handler).__name__}"
    for logger in loggers
    for handler in logger.handlers
    if not isinstance(handler, logging.NullHandler)
    and not any(isinstance(f, RedactTokens) for f in handler.filters)
))
"""


def test_every_log_handler_redacts_tokens():
    """Django's own console handler printed "Not Found: /i/<token>/..." a second time,
    unredacted, beside ours (with DEBUG on, as in `make run`). Every handler that logging
    is configured with, in a process started as `make run` starts one, redacts."""
    env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "clinic.settings"}
    out = subprocess.run(
        [sys.executable, "-c", UNREDACTED_HANDLERS],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    ).stdout
    assert out.strip() == "[]", out


@pytest.mark.parametrize(
    "line",
    [
        '"GET /i%2F{t}/ HTTP/1.1" 200',
        '"GET /i%2f{t}%2Fhealth%2F HTTP/1.1" 200',
        '"GET /a%2F{t}/ HTTP/1.1" 200',
        '"GET /calendar%2Ffeed%2F{t}%2F HTTP/1.1" 200',
        '"GET /accounts/login/?next=%2Fc%2F{t}%2F HTTP/1.1" 302',
        '"GET /healthz?t={t} HTTP/1.1" 200',
        '"GET /x?{t} HTTP/1.1" 404',
    ],
)
def test_a_token_spelt_with_escaped_slashes_or_in_a_query_string_is_redacted(line):
    """`/i%2F<token>/` is served as `/i/<token>/` and was logged whole."""

    token = signing.dumps([1, "Kz9xNonce"], salt="test")
    assert token not in redact(line.format(t=token))


def test_decoding_for_redaction_lets_no_control_character_into_a_log_line():
    assert redact("GET /patients/?page=a%0Ab%00c%27") == "GET /patients/?page=a%0Ab%00c%27"


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ('"GET /patients/?q=Imposter%20Person&page=2 HTTP/1.1" 200', "page=2"),
        ('"GET /appointments/new/?practitioner=3&q=Chen HTTP/1.1" 200', "practitioner=3"),
        ('"GET /patients/?email=mei.chen%40example.com HTTP/1.1" 200', "GET /patients/"),
    ],
)
def test_what_was_typed_into_a_search_box_never_reaches_a_log(line, kept):
    """Front desk's patient search names a patient in its query string."""
    logged = redact(line)
    assert kept in logged
    assert not any(name in logged for name in ("Imposter", "Chen", "mei.chen"))


def test_a_short_link_code_never_reaches_a_log_line(log_lines, settings, db):
    """A text's short link (/s/<code>) opens the visit as a token does."""
    from django.utils import timezone

    from clinic.links import short_link

    settings.BAD_LINK_LIMIT = 1_000_000
    link = short_link(
        settings.SITE_URL + "/somewhere/", expires_at=timezone.now() + timedelta(days=1)
    )
    code = link.rsplit("/", 1)[1]
    Client().get(f"/s/{code}")
    Client().get(f"/s/{code}/")  # a 404 "Not Found: /s/<code>/"
    Client().get("/s/guessguess12")
    written = log_lines.getvalue()
    assert "Not Found" in written
    assert code not in written and "guessguess12" not in written
