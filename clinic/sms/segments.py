"""How long a text is on the air: its encoding and the number of SMS segments it takes.

Plain functions over text, no Django. A text is sent in GSM-7 (GSM 03.38) when every
character is in the basic set or its extension table, else in UCS-2. One segment holds
160 GSM-7 septets or 70 UCS-2 code units; a longer text is split into parts of 153 or 67
(each part gives the rest to the header that joins them up again). An extension-table
character costs two septets (an escape and the character), a character outside the
Basic Multilingual Plane (most emoji) two UCS-2 units, and neither is split across parts.
"""

from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 basic character set, in table order (0x1B, the escape to the extension
# table, left out: it is not a character anyone writes).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each of these is sent as escape + character, two septets.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE = {GSM7: 160, UCS2: 70}
PART = {GSM7: 153, UCS2: 67}


def encoding(text: str) -> Encoding:
    """ "GSM-7" when every character of ``text`` is in GSM 03.38 (basic set or extension
    table), else "UCS-2"."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        return "GSM-7"
    return "UCS-2"


def _units(text: str, enc: Encoding) -> list[int]:
    """What each character costs: septets in GSM-7, UTF-16 code units in UCS-2."""
    if enc == GSM7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def length(text: str) -> int:
    """Septets (GSM-7) or code units (UCS-2) ``text`` takes in its encoding."""
    return sum(_units(text, encoding(text)))


def segments(text: str) -> int:
    """The number of SMS segments ``text`` is sent in (at least 1: an empty text is one)."""
    enc = encoding(text)
    units = _units(text, enc)
    if sum(units) <= SINGLE[enc]:
        return 1
    parts, room = 1, PART[enc]
    for cost in units:
        if cost > room:  # an escape pair or a surrogate pair is never split
            parts, room = parts + 1, PART[enc]
        room -= cost
    return parts
