"""Phone numbers: everything stored and compared is E.164 (`+22376123456`)."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

from service.errors import DomainError

DEFAULT_REGION = "ML"


class InvalidPhone(DomainError):
    """A phone number that cannot be used, with the reason in plain words."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message, field="phone", params=params)


@lru_cache(maxsize=16_384)
def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """Return `raw` in E.164, reading national numbers as Malian; raise InvalidPhone with the reason.

    Kept for the phones seen last: every USSD request and SMS callback normalises the sender, and parsing
    costs more than the rest of a USSD step's own work. A refusal is not kept (it raises each time)."""
    text = (raw or "").strip()
    if not text:
        raise InvalidPhone("Give a phone number.")
    if text.startswith("00"):
        text = "+" + text[2:]
    elif text.startswith("223") and len(_digits(text)) == 11:
        text = "+" + text
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone("%(phone)s is not a phone number: write it like 76 12 34 56.", phone=raw) from None
    if not phonenumbers.is_possible_number(number):
        if number.country_code == 223:
            raise InvalidPhone("%(phone)s does not have the 8 digits of a Mali number.", phone=raw)
        raise InvalidPhone("%(phone)s has the wrong number of digits.", phone=raw)
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("%(phone)s is not a number in use.", phone=raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())
