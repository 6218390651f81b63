"""Reading phone numbers: plain functions over text, with Google's libphonenumber.

A number typed without ``+`` and a country code is read as one of the clinic's region
(``settings.PHONE_DEFAULT_REGION``). A number texts may go to ("textable") is a valid
mobile, fixed-line or either (North American numbers cannot be told apart, so every
valid one counts), with no extension.
"""

import phonenumbers
from phonenumbers import PhoneNumberType

TEXTABLE_TYPES = frozenset(
    {
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
        PhoneNumberType.FIXED_LINE,
    }
)
MAX_INPUT = 100  # longer text is not a phone number; don't make the parser read it


def read_number(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    """The valid phone number ``text`` holds (read in ``region``), else None."""
    text = (text or "").strip()
    if not text or len(text) > MAX_INPUT:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def is_textable(number: phonenumbers.PhoneNumber) -> bool:
    """Whether texts can go to ``number`` (a valid number): a mobile or fixed line, no
    extension."""
    return (
        phonenumbers.is_valid_number(number)
        and not number.extension
        and phonenumbers.number_type(number) in TEXTABLE_TYPES
    )


def mobile_from_phone(text: str, region: str) -> str:
    """The E.164 form of ``text`` if it reads as a number texts can go to, else ""."""
    number = read_number(text, region)
    if number is None or not is_textable(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_unreadable(text: str, region: str) -> bool:
    """Whether ``text`` holds something but not a valid phone number (blank is fine)."""
    return bool((text or "").strip()) and read_number(text, region) is None


def national(number: phonenumbers.PhoneNumber | str | None, region: str) -> str:
    """``number`` as people in ``region`` write it ((403) 555-0101), a foreign one in the
    international format (+44 7911 123456); "" for none; text it cannot read as it is."""
    if not number:
        return ""
    if isinstance(number, str):
        parsed = read_number(number, region)
        if parsed is None:
            return number
        number = parsed
    if not phonenumbers.is_valid_number(number):
        return str(getattr(number, "raw_input", "") or "")
    if region in phonenumbers.region_codes_for_country_code(number.country_code or 0):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
