"""Keeping secrets and personal details that travel in URLs out of every log line.

Patient links (intake, check-in, aftercare, calendar feed) and password-reset links
carry their token in the path, and paths reach logs: the web server's access log,
Django's "Not Found: /i/<token>/" warnings, CSRF refusals. ``redact()`` replaces the
token part of any such path in a text; ``RedactTokens`` applies it to log records (our
handlers in settings.LOGGING, and gunicorn's own through ``GunicornLogger``).
"""

import functools
import itertools
import logging
import re

SECRET_KWARGS = {"token", "uidb64", "code"}  # code: a short link (/s/<code>)
REDACTED = "[redacted]"
_CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")
_SEGMENT = r"[^/\s?#\"']+"
# Before Django's URLs can be read (the gunicorn master), and in query strings: any path
# segment or value shaped like a signed token (Django's signing joins its parts with ":").
_FALLBACK = re.compile(r"(?<=[/=?&])[\w-]{10,}:[\w:-]+")
# Search boxes put what was typed in the query string: front desk's patient search
# (``?q=Chen``) names a patient. The values of these parameters never reach a log.
_PERSONAL_QUERY = re.compile(
    r"(?<=[?&])(q|search|name|email|phone|mobile|first_name|last_name)=[^&\s#\"']*"
)
# A path may spell its characters as %XX (`/i%2F<token>/` is served as `/i/<token>/`):
# those that can be part of a route or a token are read as themselves before matching.
# Nothing else is decoded, so no control character or newline enters a log line.
_ESCAPED = re.compile(r"%([0-9A-Fa-f]{2})")
_ROUTE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:_-.")


def _unescape_route_chars(text: str) -> str:
    def one(match: re.Match) -> str:
        char = chr(int(match[1], 16))
        return char if char in _ROUTE_CHARS else match[0]

    return _ESCAPED.sub(one, text)


def _route_regex(route: str, groups: itertools.count) -> str:
    parts, position = [], 0
    for match in _CONVERTER.finditer(route):
        parts.append(re.escape(route[position : match.start()]))
        secret = match["name"] in SECRET_KWARGS
        parts.append(f"(?P<s{next(groups)}>{_SEGMENT})" if secret else _SEGMENT)
        position = match.end()
    rest = route[position:]
    if rest.endswith("/"):  # "/i/<token>" without its slash still names the token
        parts.append(re.escape(rest[:-1]) + r"(?:/|(?=[\s?#\"']|$))")
    else:
        parts.append(re.escape(rest))
    return "/" + "".join(parts)


def _routes(patterns, prefix: str = ""):
    from django.urls import URLResolver
    from django.urls.resolvers import RoutePattern

    for pattern in patterns:
        if not isinstance(pattern.pattern, RoutePattern):
            continue  # regular-expression routes here carry no secrets
        route = prefix + str(pattern.pattern)  # RoutePattern's text is its route
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif any(f":{name}>" in route or f"<{name}>" in route for name in SECRET_KWARGS):
            yield route


@functools.cache
def _secret_paths() -> re.Pattern:
    """Every route of ours with a secret in it, as one pattern (built once)."""
    from django.urls import get_resolver

    routes = sorted(set(_routes(get_resolver().url_patterns)), key=len, reverse=True)
    groups = itertools.count()
    return re.compile("|".join(f"(?:{_route_regex(route, groups)})" for route in routes))


def _blank_secrets(match: re.Match) -> str:
    text, start = match.group(0), match.start()
    for name, value in match.groupdict().items():
        if value is not None and name.startswith("s"):
            begin, end = match.span(name)
            text = text[: begin - start] + REDACTED + text[end - start :]
            start += (end - begin) - len(REDACTED)
    return text


def redact(text: str) -> str:
    """``text`` with the secret part of any of our secret-bearing paths, and the value
    of any search parameter (``_PERSONAL_QUERY``), replaced."""
    if "%" in text:
        text = _unescape_route_chars(text)
    text = _PERSONAL_QUERY.sub(rf"\1={REDACTED}", text)
    try:
        pattern = _secret_paths()
    except Exception:  # Django not set up yet
        return _FALLBACK.sub(REDACTED, text)
    return _FALLBACK.sub(REDACTED, pattern.sub(_blank_secrets, text))


def _redact_value(value):
    return redact(value) if isinstance(value, str) else value


class RedactTokens(logging.Filter):
    """Rewrites a record's message, arguments and attached request without secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: _redact_value(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_redact_value(value) for value in record.args)
        if hasattr(record, "request"):  # django.request and django.security add it
            record.request = redact(repr(record.request))
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # gunicorn is only in the production image
    _GunicornLogger = None  # type: ignore[assignment,misc]  # tested just below

if _GunicornLogger is not None:

    class GunicornLogger(_GunicornLogger):
        """gunicorn's logger (``--logger-class clinic.logs.GunicornLogger``): access log
        atoms and error log records without the secrets in paths."""

        def setup(self, cfg):
            super().setup(cfg)
            if not any(isinstance(f, RedactTokens) for f in self.error_log.filters):
                self.error_log.addFilter(RedactTokens())

        def atoms(self, resp, req, environ, request_time):
            atoms = super().atoms(resp, req, environ, request_time)
            return {key: _redact_value(value) for key, value in atoms.items()}
