"""The one error of the care area: input refused, with a message that says what to do instead."""

from __future__ import annotations

from service.errors import DomainError


class CareError(DomainError):
    """A patient, appointment or medication plan change that cannot be made, and why."""
