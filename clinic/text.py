"""Short identity text (names, a signature, a relationship): what people see is what is stored.

Bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F, U+061C) can make a
name read differently from what it is ("right-to-left override"), and other invisible
format or control characters make two names that look the same differ. They are removed;
the zero-width (non-)joiners, which some scripts need to spell a name, are kept. Longer
free text keeps what was typed and is escaped when shown, as all text is.
"""

import unicodedata
from typing import Any

from django import forms

KEEP = frozenset("\u200c\u200d")  # zero-width non-joiner and joiner: part of some spellings


def identity_text(value: str | None) -> str:
    """``value`` in NFC, without invisible format or control characters, single-spaced."""
    composed = unicodedata.normalize("NFC", value or "")
    visible = "".join(
        c for c in composed if c in KEEP or unicodedata.category(c) not in ("Cc", "Cf")
    )
    return " ".join(visible.split())


def ascii_digits(value: str | None) -> str:
    """``value`` with every decimal digit of any script (fullwidth "１", Arabic-Indic "١",
    Devanagari "१"...) as its ASCII digit; other characters kept, so the length is too."""
    return "".join(
        str(d) if (d := unicodedata.decimal(c, None)) is not None else c for c in value or ""
    )


class DigitsCharField(forms.CharField):
    """A form field for numbers people type (phone, health number), as a phone keyboard
    in another script types them: NFKC (a fullwidth dash is a dash), then digits of any
    script as ASCII digits, so search and validators see 0-9."""

    def to_python(self, value: Any) -> str:
        return ascii_digits(unicodedata.normalize("NFKC", super().to_python(value) or ""))


class IdentityCharField(forms.CharField):
    """A form field for short identity text, cleaned by ``identity_text``."""

    def to_python(self, value: Any) -> str:
        typed = super().to_python(value)
        cleaned = identity_text(typed)
        if typed and not cleaned:
            raise forms.ValidationError(
                "Only invisible characters were typed here; please type the text itself.",
                code="invisible",
            )
        return cleaned
