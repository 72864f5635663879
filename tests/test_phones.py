"""Phone numbers are stored in E.164; Malian national forms are understood; bad ones say why."""

from __future__ import annotations

import pytest

from service.phones import InvalidPhone, normalize_phone


@pytest.mark.parametrize(
    "raw",
    [
        "76 12 34 56",
        "76123456",
        "0022376123456",
        "22376123456",
        "+22376123456",
        " +223 76-12-34-56 ",
        "+223 76.12.34.56",
    ],
)
def test_malian_forms_become_e164(raw):
    assert normalize_phone(raw) == "+22376123456"


def test_landline_and_foreign_numbers_are_kept_in_e164():
    assert normalize_phone("20 22 33 44") == "+22320223344"
    assert normalize_phone("+221 77 123 45 67") == "+221771234567"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "Give a phone number."),
        ("   ", "Give a phone number."),
        ("hello", "is not a phone number"),
        ("7612345", "does not have the 8 digits of a Mali number"),
        ("761234567", "does not have the 8 digits of a Mali number"),
        ("+223 00 00 00 00", "is not a number in use."),
    ],
)
def test_unusable_numbers_are_refused_with_the_reason(raw, reason):
    with pytest.raises(InvalidPhone) as raised:
        normalize_phone(raw)
    assert reason in str(raised.value)
