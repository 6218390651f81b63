"""Finding a muscle in the catalogue: plain functions over plain values, no database.

A search is words; a muscle matches when every word does. A spinal segment ("L5") or a
range of them ("L4-L5") matches the muscles whose nerve roots include one of those
segments, so "L5" finds "L4-S1", "L5-S1" and "L5, S1" alike; any other word matches the
start of a word of the muscle's name, its abbreviation or its region ("trap", "ut",
"hip"). Case and accents are ignored (``intake.names.fold_name``).
"""

import re

from intake.names import fold_name

# The spinal segments in cranio-caudal order; a root range spans the ones between.
SEGMENTS: tuple[str, ...] = (
    *(f"C{n}" for n in range(1, 9)),
    *(f"T{n}" for n in range(1, 13)),
    *(f"L{n}" for n in range(1, 6)),
    *(f"S{n}" for n in range(1, 6)),
)
_ORDER = {segment: i for i, segment in enumerate(SEGMENTS)}
# "L4-S1", "L4–S1", "L4 to S1", "L4-5" (the second segment in the first one's region).
_RANGE = re.compile(
    r"^([CTLS])\s*(\d{1,2})(?:\s*(?:-|–|—|to)\s*([CTLS])?\s*(\d{1,2}))?$", re.IGNORECASE
)


def segments_of(text: str) -> frozenset[str]:
    """The spinal segments that nerve-root text names: "L4-S1" is L4, L5 and S1; parts
    are separated by commas, semicolons, slashes or "and" ("CN XI, C3-C4"). Parts that
    name no spinal segment (cranial nerves) add nothing; a range written backwards
    ("S1-L4") is the same range. Raises nothing."""
    found: set[str] = set()
    for part in re.split(r"[,;/]|\band\b", text or "", flags=re.IGNORECASE):
        match = _RANGE.match(part.strip())
        if match is None:
            continue
        region, first, end_region, last = match.groups()
        start = _ORDER.get(f"{region.upper()}{int(first)}")
        if start is None:
            continue
        end = start
        if last is not None:
            end_key = f"{(end_region or region).upper()}{int(last)}"
            if end_key not in _ORDER:
                continue
            end = _ORDER[end_key]
        low, high = sorted((start, end))
        found.update(SEGMENTS[low : high + 1])
    return frozenset(found)


def words_of(*texts: str) -> frozenset[str]:
    """The folded words of ``texts`` (name, abbreviation, region label, root text), for
    prefix matching. Raises nothing."""
    return frozenset(word for text in texts for word in fold_name(text).split())


def matches(query: str, *, words: frozenset[str], segments: frozenset[str]) -> bool:
    """Whether a muscle with these ``words`` (``words_of``) and root ``segments``
    (``segments_of``) answers ``query``; an empty query matches every muscle. Raises
    nothing."""
    for term in _terms(query):
        wanted = segments_of(term)
        if wanted:
            if not wanted & segments:
                return False
        elif not any(word.startswith(term.lower()) for word in words):
            return False
    return True


def _terms(query: str) -> list[str]:
    """The query's words, with a root range kept whole ("L4 - L5" is one term)."""
    text = re.sub(r"\s*(?:-|–|—)\s*", "-", (query or "").strip())
    terms: list[str] = []
    for raw in text.split():
        if _RANGE.match(raw):
            terms.append(raw.upper())
        else:
            terms.extend(fold_name(raw).split())
    return terms
