"""Counters in the shared cache for rate limits (bad patient links, password resets).

Set REDIS_URL so every web process shares them; without it each process counts alone.
"""

from django.core.cache import cache


def hit(key: str, *, window: int) -> int:
    """Count one more event under ``key`` and return the count within the window
    (``window`` seconds from the first event)."""
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1
