"""The hypothesis strategies the fuzzing posts: any unicode, control characters, very long
text, numbers, odd dates, markup, stray keys. Lone surrogates are left out (UTF-8
cannot carry them, so no client can send them); NUL is in, as both encodings the test
client speaks carry it."""

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# Any character but lone surrogates, which no client can encode.
CHARS = st.characters(exclude_categories=("Cs",))
AWKWARD = st.sampled_from(
    ["\x00", "\r\n", "\u200b", "\ufeff", "\u202e", "ﬀ", "½", "٣", "\t", " ", "\x7f", "%00"]
)
TEXT = st.lists(st.one_of(st.text(CHARS, max_size=6), AWKWARD), max_size=6).map("".join)
# Around the lengths the forms allow (200, 2000, ...), in one- and multi-byte characters.
LONG = st.builds(
    lambda char, size: char * size,
    st.sampled_from(["x", "é", "😀", " ", "<"]),
    st.sampled_from([99, 100, 101, 199, 200, 201, 299, 300, 301, 1999, 2000, 2001, 4001, 6001]),
)
NUMBERS = st.one_of(
    st.integers(-12, 12).map(str),
    st.integers().map(str),
    st.sampled_from(["5.0", "1e3", " 7 ", "+3", "-0", "0x0a", "NaN", "Infinity", "١٠"]),
)
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%y", "%Y%m%d", "%d %B %Y", "%Y-%m-%dT%H:%M"]
ODD_DATES = st.one_of(
    st.builds(lambda d, fmt: d.strftime(fmt), st.dates(), st.sampled_from(DATE_FORMATS)),
    st.sampled_from(
        [
            "2026-02-30",
            "0000-01-01",
            "0001-01-01",
            "9999-12-31",
            "2026-13-01",
            "-001-01-01",
            "1e9",
            "today",
            " 2020-01-01 ",
            "2020-1-1",
        ]
    ),
)
PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
VALUE = st.one_of(TEXT, NUMBERS, ODD_DATES, LONG, st.sampled_from(PAYLOADS))
# Field names a browser never sends: controls, quotes, the formset prefix, our buttons.
STRAY_KEYS = st.one_of(
    st.text(CHARS, min_size=1, max_size=12),
    st.sampled_from(["later", "add_row", "csrfmiddlewaretoken", "surgeries-5-date", "next", ""]),
)


def _posted(single: st.SearchStrategy) -> st.SearchStrategy:
    """One value, or the field repeated (checkbox lists, or tampering)."""
    return st.one_of(single, single, st.lists(single, max_size=4))


@st.composite
def form_data(draw, baseline: dict, choices: dict[str, list[str]] | None = None) -> dict:
    """``baseline`` (valid) with any of its fields replaced, removed or repeated, plus
    stray fields. Half the replacements are one of the field's valid ``choices``."""
    choices = choices or {}

    def value_for(name: str) -> st.SearchStrategy:
        own = choices.get(name)
        if not own:
            return _posted(VALUE)
        valid_or_not = st.booleans().flatmap(lambda ok: st.sampled_from(own) if ok else VALUE)
        return _posted(valid_or_not)

    optional = {name: value_for(name) for name in baseline}
    changes = draw(st.fixed_dictionaries({}, optional=optional))
    dropped = draw(st.sets(st.sampled_from(sorted(baseline)), max_size=3))
    extra = draw(st.dictionaries(STRAY_KEYS, _posted(VALUE), max_size=3))
    data = {k: v for k, v in baseline.items() if k not in dropped}
    data.update(changes)
    data.update({k: v for k, v in extra.items() if k not in baseline})
    return data
