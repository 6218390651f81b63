"""A local stand-in for Twilio's REST interface, for tests of the Twilio SMS backend.

``FakeTwilio`` is a small threaded HTTP server (standard library only) that answers
``POST /2010-04-01/Accounts/<sid>/Messages.json`` as Twilio does: HTTP basic auth with
the account SID and auth token, form-encoded fields (To, From or MessagingServiceSid,
Body, StatusCallback), a 201 with a Twilio-shaped message (``sid``, ``status``
"queued"...), and Twilio's error shape (``code``, ``message``, ``more_info``,
``status``) for a refusal. It records what it received (``messages``; ``requests`` for
every request, refused ones too), can be told to fail the next requests with a given
HTTP status and Twilio error code (``fail``), to answer slowly (``delay``) or to take
the N-th message and then hold its answer until released (``hold``: a sender killed
between the provider taking a text and hearing so), and plays
Twilio's side of the status callbacks: ``send_status`` POSTs a message's new status to
the StatusCallback URL it was given, and ``send_reply`` a patient's text to an
incoming-message URL, signed with the auth token the way Twilio signs
(X-Twilio-Signature, through the library's RequestValidator).

``GET .../Messages.json`` lists the messages taken, newest first, filtered by ``To``
(and ``From``), ``PageSize`` at a time (default 50, at most 1000), in Twilio's page
shape (``messages``, ``next_page_uri``, ``page``, ``page_size``, ``uri``...): one page;
the fake keeps no more than a test sends. ``date_created`` is RFC 2822, to the second,
as Twilio gives it.

    with FakeTwilio() as provider:
        settings.TWILIO_API_BASE = provider.base_url
        ...
"""

import base64
import json
import re
import secrets
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from twilio.request_validator import RequestValidator

from clinic.sms.segments import segments

API_VERSION = "2010-04-01"
MESSAGES_PATH = re.compile(rf"^/{API_VERSION}/Accounts/(?P<sid>AC[0-9a-f]{{32}})/Messages\.json$")
MESSAGE_STATUSES = {"queued", "sending", "sent", "delivered", "undelivered", "failed", "read"}


@dataclass
class Failure:
    status: int
    code: int | None
    message: str


@dataclass
class Received:
    """One HTTP request the provider got."""

    method: str
    path: str
    authorized: bool
    form: dict[str, str]
    answered: int = 0


@dataclass
class FakeMessage:
    sid: str
    to: str
    from_: str
    body: str
    messaging_service_sid: str | None
    status_callback: str | None
    status: str = "queued"
    callbacks: list[tuple[str, int]] = field(default_factory=list)
    # When the fake took it (aware, UTC); a test may move it back to age the message.
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


class FakeTwilio:
    def __init__(self, *, account_sid: str | None = None, auth_token: str | None = None):
        self.account_sid = account_sid or new_sid("AC")
        self.auth_token = auth_token or secrets.token_hex(16)
        self.messages: list[FakeMessage] = []
        self.requests: list[Received] = []
        self._failures: list[Failure] = []
        self._delay = 0.0
        self._hold_at: int | None = None
        self._hold_before_taking = False
        self._taking = 0  # message requests that got as far as being taken
        self.held = threading.Event()  # set when the held request is being held
        self.held_to: str | None = None  # the held request's To
        self.held_message: FakeMessage | None = None
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- running ---------------------------------------------------------------------
    def start(self) -> "FakeTwilio":
        server = _Server(("127.0.0.1", 0), _Handler)
        server.provider = self  # type: ignore[attr-defined]  # read by _Handler
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()  # a held answer must not keep its thread waiting
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeTwilio":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the provider first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- what the test tells it --------------------------------------------------------
    def fail(self, status: int, code: int | None = None, *, times: int = 1, message: str = ""):
        """Answer the next ``times`` message requests with HTTP ``status`` and Twilio error
        ``code`` (None: a body without a code, as a proxy's 502 page would be)."""
        with self._lock:
            self._failures.extend(
                Failure(status, code, message or f"Fake failure {code or status}")
                for _ in range(times)
            )

    def delay(self, seconds: float) -> None:
        """Wait this long before answering each request (for timeouts)."""
        self._delay = seconds

    def hold(self, nth: int, *, before_taking: bool = False) -> None:
        """Take the ``nth`` message (1-based, counting valid message requests) as usual,
        then hold its answer: ``held`` is set and the answer waits for ``release()`` (at
        most 60 s). The sender has had its text taken but does not know it.

        ``before_taking``: hold the request before the message is taken (Twilio still
        working on it: it is not in the list yet), and take it on ``release()`` whether
        or not the sender is still there to hear the answer."""
        with self._lock:
            self._hold_at = nth
            self._hold_before_taking = before_taking
            self.held_to = None
            self.held_message = None
            self.held.clear()
            self._released.clear()

    def release(self) -> None:
        """Let the held answer go (to a sender that may no longer be there)."""
        self._released.set()

    def message(self, sid: str) -> FakeMessage:
        return next(m for m in self.messages if m.sid == sid)

    # -- Twilio's side of the webhooks -----------------------------------------------------
    def sign(self, url: str, params: dict[str, str]) -> str:
        """The X-Twilio-Signature Twilio would send for POSTing ``params`` to ``url``."""
        return RequestValidator(self.auth_token).compute_signature(url, params)

    def post_signed(self, url: str, params: dict[str, str], *, signature: str | None = None) -> int:
        """POST ``params`` form-encoded to ``url`` as Twilio does (signed, unless another
        ``signature`` is given); the HTTP status the receiver answered."""
        data = urllib.parse.urlencode(params).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "TwilioProxy/1.1",
            "X-Twilio-Signature": self.sign(url, params) if signature is None else signature,
        }
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def status_params(
        self, message: FakeMessage, status: str, error_code: int | None = None
    ) -> dict[str, str]:
        """The fields of Twilio's status callback for ``message`` now being ``status``."""
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "From": message.from_,
            "MessageSid": message.sid,
            "MessageStatus": status,
            "SmsSid": message.sid,
            "SmsStatus": status,
            "To": message.to,
        }
        if message.messaging_service_sid:
            params["MessagingServiceSid"] = message.messaging_service_sid
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        return params

    def send_status(
        self, sid: str, status: str, *, error_code: int | None = None, signature: str | None = None
    ) -> int:
        """Tell the message's StatusCallback URL it is now ``status`` ("sent",
        "delivered", "undelivered", "failed"); the HTTP status the receiver answered."""
        assert status in MESSAGE_STATUSES, status
        message = self.message(sid)
        assert message.status_callback, "the message was sent without a StatusCallback"
        message.status = status
        params = self.status_params(message, status, error_code)
        answered = self.post_signed(message.status_callback, params, signature=signature)
        message.callbacks.append((status, answered))
        return answered

    def reply_params(self, *, from_: str, to: str, body: str) -> dict[str, str]:
        """The fields of Twilio's incoming-message webhook for a text ``from_`` a patient
        ``to`` the clinic's number."""
        sid = new_sid("SM")
        return {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "Body": body,
            "From": from_,
            "MessageSid": sid,
            "NumMedia": "0",
            "NumSegments": str(segments(body)),
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "SmsStatus": "received",
            "To": to,
        }

    def send_reply(
        self, url: str, *, from_: str, to: str, body: str, signature: str | None = None
    ) -> int:
        """A patient's text, POSTed to the clinic's incoming-message ``url`` as Twilio
        does; the HTTP status the receiver answered."""
        params = self.reply_params(from_=from_, to=to, body=body)
        return self.post_signed(url, params, signature=signature)

    # -- the REST interface --------------------------------------------------------------
    def _authorized(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return secrets.compare_digest(header.encode(), f"Basic {expected}".encode())

    def handle(self, method: str, path: str, auth: str, form: dict[str, str]) -> tuple[int, dict]:
        """Answer one request: ``form`` is the POSTed fields, or a GET's query."""
        authorized = self._authorized(auth)
        received = Received(method, path, authorized, form)
        with self._lock:
            self.requests.append(received)
        if self._delay:
            time.sleep(self._delay)
        status, payload = self._answer(method, path, authorized, form)
        received.answered = status
        return status, payload

    def _answer(self, method: str, path: str, authorized: bool, form: dict[str, str]):
        match = MESSAGES_PATH.match(path)
        if not authorized:
            return _error(401, 20003, "Authenticate")
        if match is None or match["sid"] != self.account_sid:
            return _error(404, 20404, "The requested resource was not found")
        if method not in ("GET", "POST"):
            return _error(405, 20004, "Method not allowed")
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            return _error(failure.status, failure.code, failure.message)
        if method == "GET":
            return 200, self._page(path, form)
        if not form.get("To"):
            return _error(400, 21604, "A 'To' phone number is required.")
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return _error(400, 21603, "A 'From' phone number is required.")
        if not form.get("Body"):
            return _error(400, 21602, "Message body is required.")
        with self._lock:
            self._taking += 1
            hold_this = self._taking == self._hold_at
        if hold_this:
            self.held_to = form["To"]
        if hold_this and self._hold_before_taking:
            self.held.set()
            self._released.wait(timeout=60)
        message = FakeMessage(
            sid=new_sid("SM"),
            to=form["To"],
            from_=form.get("From", ""),
            body=form["Body"],
            messaging_service_sid=form.get("MessagingServiceSid"),
            status_callback=form.get("StatusCallback"),
        )
        with self._lock:
            self.messages.append(message)
        if hold_this:
            self.held_message = message
            if not self._hold_before_taking:
                self.held.set()
                self._released.wait(timeout=60)
        return 201, self._resource(message)

    def _page(self, path: str, query: dict[str, str]) -> dict:
        """The first page of Twilio's message list for ``query`` (To, From, PageSize)."""
        try:
            size = min(max(int(query.get("PageSize", "50")), 1), 1000)
        except ValueError:
            size = 50
        with self._lock:
            taken = list(self.messages)
        found = [
            m
            for m in reversed(taken)  # newest first, as Twilio lists them
            if m.to == query.get("To", m.to) and m.from_ == query.get("From", m.from_)
        ][:size]
        asked = {k: query[k] for k in ("To", "From") if k in query}
        uri = f"{path}?{urllib.parse.urlencode({**asked, 'PageSize': size, 'Page': 0})}"
        return {
            "end": max(len(found) - 1, 0),
            "first_page_uri": uri,
            "messages": [self._resource(m) for m in found],
            "next_page_uri": None,
            "page": 0,
            "page_size": size,
            "previous_page_uri": None,
            "start": 0,
            "uri": uri,
        }

    def _resource(self, message: FakeMessage) -> dict:
        now = format_datetime(message.created_at.replace(microsecond=0), usegmt=True)
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{message.sid}.json"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": message.body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": message.from_ or None,
            "messaging_service_sid": message.messaging_service_sid,
            "num_media": "0",
            "num_segments": str(segments(message.body)),
            "price": None,
            "price_unit": "USD",
            "sid": message.sid,
            "status": message.status,
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": message.to,
            "uri": uri,
        }


def _error(status: int, code: int | None, message: str) -> tuple[int, dict]:
    payload: dict = {"message": message, "status": status}
    if code is not None:
        payload |= {"code": code, "more_info": f"https://www.twilio.com/docs/errors/{code}"}
    return status, payload


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client that gave up waiting (the timeout test) is no error of ours
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Twilio: a connection sends a batch
    # Headers and body leave in two writes; with Nagle's algorithm the second waits for
    # the client's delayed ACK (40 ms a message on a kept-alive connection).
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        url = urllib.parse.urlsplit(self.path)
        form = dict(urllib.parse.parse_qsl(raw or url.query, keep_blank_values=True))
        path = url.path
        provider: FakeTwilio = self.server.provider  # type: ignore[attr-defined]
        status, payload = provider.handle(
            self.command, path, self.headers.get("Authorization", ""), form
        )
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Twilio-Request-Id", new_sid("RQ"))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _serve

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the test says what went wrong
