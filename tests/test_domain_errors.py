"""Domain refusals carry a kind, a field and a message each edge shows in its reader's language."""

from __future__ import annotations

import pytest

from service.api.errors import _domain_error
from service.care.errors import CareError
from service.errors import DomainError, ErrorKind
from service.phones import InvalidPhone, normalize_phone
from service.referrals.triage import TriageError


def test_message_params_fill_the_text_and_the_translation_falls_back_to_the_message():
    error = DomainError("%(count)s rows cannot be imported.", count=3)

    assert str(error) == "3 rows cannot be imported."
    assert error.text("en") == "3 rows cannot be imported."
    assert error.text("fr") == "3 rows cannot be imported."  # no French entry yet: the message stands
    assert (error.kind, error.field) == (ErrorKind.INVALID, None)


def test_each_area_refusal_is_a_domain_error_of_its_kind():
    with pytest.raises(InvalidPhone) as phone:
        normalize_phone("12")

    assert isinstance(phone.value, DomainError) and phone.value.field == "phone"
    assert TriageError("closed").kind == ErrorKind.CONFLICT
    assert CareError("bad").kind == ErrorKind.INVALID


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (ErrorKind.INVALID, 422),
        (ErrorKind.CONFLICT, 409),
        (ErrorKind.NOT_FOUND, 404),
        (ErrorKind.FORBIDDEN, 403),
    ],
)
def test_the_api_answers_each_kind_with_its_status_and_the_field(app, kind, status):
    with app.test_request_context("/api/v1/patients"):
        response = _domain_error(DomainError("no patient %(ref)s", kind=kind, field="reference", ref="P1"))

    assert response.status_code == status
    assert response.json == {"error": {"code": str(kind), "message": "no patient P1", "field": "reference"}}
