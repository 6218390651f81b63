"""Typed readers of environment variables for settings.py: each returns the default when
the variable is unset and raises ImproperlyConfigured for a value it cannot read, so a
typo fails at start-up instead of running with a surprise. Standard library and Django's
exceptions only: settings import this before any app is loaded.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envstr(name: str, default: str) -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false, yes/no), got {raw!r}")


def envint(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def envhours(name: str, default: str) -> list[float]:
    """Comma-separated hours, decimals allowed ("24,48" or "0.5,36")."""
    raw = os.environ.get(name, default)
    try:
        hours = [float(item) for item in raw.split(",") if item.strip()]
    except ValueError:
        raise ImproperlyConfigured(f"{name} must list hours like 24,48 (got {raw!r})") from None
    if not hours or any(h <= 0 or h > 24 * 14 for h in hours):
        raise ImproperlyConfigured(f"{name} hours must each be above 0 and at most 336 ({raw!r})")
    return sorted(hours)


def envclock(name: str, default: str) -> str:
    """A wall-clock time "HH:MM"."""
    raw = os.environ.get(name, default).strip()
    try:
        hour, minute = (int(part) for part in raw.split(":"))
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a time like 08:30 (got {raw!r})") from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ImproperlyConfigured(f"{name} must be a time like 08:30 (got {raw!r})")
    return f"{hour:02d}:{minute:02d}"


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]
