"""Counting what a user does in a browser journey, and what each request cost the server.

A test makes every user action through an ``ActionCounter`` instead of calling the
locator itself; the counter does the action and counts it by kind:

- ``click``: a press of a button or link, or ticking a checkbox or radio button;
- ``select``: choosing an option in a select;
- ``type``: typing into one field (one action per field typed into, however long the
  text; the characters typed are totalled separately in ``characters``);
- ``key``: a lone key such as Tab or Enter, pressed to move on or to submit.

From the moment it is made, the counter also records every same-origin page load, XHR
and fetch response (redirects included) with the ``app`` duration of its
``Server-Timing`` header (``clinic.timing``): the server's side of each request.
"""

import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

from playwright.sync_api import Locator, Page, Response

KINDS = ("click", "select", "type", "key")
_TIMED = {"document", "xhr", "fetch"}
_APP_DURATION = re.compile(r"(?:^|,)\s*app;dur=([0-9.]+)")
_ID = re.compile(r"/[0-9]+(?=/|$)")


@dataclass(frozen=True)
class Timed:
    """One response: ``POST /visits/<id>/sites/ 302`` and its server milliseconds."""

    method: str
    path: str
    status: int
    server_ms: float | None


class ActionCounter:
    """Does the user's actions on ``page`` and counts them; records the server time of
    each request to ``origin`` (the live server's URL)."""

    def __init__(self, page: Page, origin: str):
        self.counts: Counter[str] = Counter(dict.fromkeys(KINDS, 0))
        self.characters = 0
        self.requests: list[Timed] = []
        self._origin = urlsplit(origin).netloc
        page.on("response", self._record)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def click(self, target: Locator) -> None:
        self.counts["click"] += 1
        target.click()

    def check(self, target: Locator) -> None:
        """Ticks a checkbox or radio button: one click."""
        self.counts["click"] += 1
        target.check()

    def select(self, target: Locator, label: str) -> None:
        self.counts["select"] += 1
        target.select_option(label=label)

    def type(self, target: Locator, text: str) -> None:
        self.counts["type"] += 1
        self.characters += len(text)
        target.fill(text)

    def press(self, target: Locator, key: str) -> None:
        self.counts["key"] += 1
        target.press(key)

    def key(self, page: Page, key: str) -> None:
        """Presses ``key`` on whatever has the focus (Tab, Space, Enter...)."""
        self.counts["key"] += 1
        page.keyboard.press(key)

    def type_keys(self, page: Page, text: str) -> None:
        """Types ``text`` into whatever has the focus: one field typed into."""
        self.counts["type"] += 1
        self.characters += len(text)
        page.keyboard.type(text)

    def _record(self, response: Response) -> None:
        request = response.request
        url = urlsplit(response.url)
        if url.netloc != self._origin or request.resource_type not in _TIMED:
            return
        match = _APP_DURATION.search(response.headers.get("server-timing", ""))
        self.requests.append(
            Timed(
                method=request.method,
                path=_ID.sub("/<id>", url.path),
                status=response.status,
                server_ms=float(match.group(1)) if match else None,
            )
        )

    def report(self) -> str:
        """The action counts by kind, then each request in order with its server time."""
        lines = ["User actions:"]
        lines += [f"  {kind:<7}{self.counts[kind]:>4}" for kind in KINDS]
        lines.append(f"  {'total':<7}{self.total:>4}   ({self.characters} characters typed)")
        lines.append("Requests (server ms, from Server-Timing):")
        for timed in self.requests:
            ms = "—" if timed.server_ms is None else f"{timed.server_ms:.1f}"
            lines.append(f"  {timed.method:<5}{timed.path:<42}{timed.status:>4}{ms:>9}")
        known = [t.server_ms for t in self.requests if t.server_ms is not None]
        lines.append(f"  {len(self.requests)} requests, {sum(known):.1f} ms on the server")
        return "\n".join(lines)
