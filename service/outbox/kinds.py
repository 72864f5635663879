"""The registry of message kinds: everything the code knows about each kind of SMS, in one place.

For each kind: its sending priority, its placeholders with sample values (previews and the start-up
check use them), its segment budget, whether quiet hours hold it, and its console label. The shipped
texts in French and Bambara are data, in `default_texts.toml` beside this file; `service.outbox.templates`
checks them against this registry when the app starts.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from service.i18n import _
from service.models import Kind, Priority

DEFAULT_TEXTS_FILE = Path(__file__).resolve().parent / "default_texts.toml"


# Placeholders every kind may use, with the setting that fills them.
COMMON_PLACEHOLDERS = ("hotline",)


@dataclass(frozen=True)
class MessageKind:
    """One kind of SMS. `sample` holds params as the code writes them (ISO-8601 UTC for times)."""

    name: Kind
    priority: Priority
    label: str  # French console label, translated where shown
    placeholders: tuple[str, ...]
    sample: dict[str, Any] = field(default_factory=dict)
    segment_budget: int = 2
    timed: bool = False  # leaves at its own time whatever the hours (a consultation that starts now)

    @property
    def quiet_hours_apply(self) -> bool:
        """Emergency messages go out at any hour, and timed ones at their time; every other kind waits for
        the morning."""
        return self.priority != Priority.EMERGENCY and not self.timed

    @property
    def allowed_placeholders(self) -> tuple[str, ...]:
        return self.placeholders + COMMON_PLACEHOLDERS


_APPOINTMENT_SAMPLE = {"reference": "P7K2", "starts_at": "2025-05-13T09:30:00+00:00", "place": "CSCom"}
_ALERT_PLACEHOLDERS = ("reference", "village", "volunteer_phone")
_ALERT_SAMPLE = {"reference": "R4M9", "village": "Bellafarandi", "volunteer_phone": "+22376123456"}
_APPOINTMENT_PLACEHOLDERS = ("reference", "date", "time", "place")
_CONSULT_SAMPLE = {"reference": "P7K2", "starts_at": "2025-05-13T09:30:00+00:00", "place": "CSCom de Bourem"}
_STAFF_SAMPLE = {"reference": "C4K7", "patient": "P7K2", "starts_at": "2025-05-13T09:30:00+00:00"}
_AGENDA_SAMPLE = {
    "reference": "C4K7",
    "starts_at": "2025-05-13T09:30:00+00:00",
    "agenda": "09:30 C4K7 P7K2, 10:00 C8M3 P9T4",
}

KINDS: dict[str, MessageKind] = {
    kind.name: kind
    for kind in (
        MessageKind(
            Kind.EMERGENCY_ALERT,
            Priority.EMERGENCY,
            _("Alerte d'urgence"),
            _ALERT_PLACEHOLDERS,
            _ALERT_SAMPLE,
            segment_budget=3,
        ),
        MessageKind(
            Kind.ALERT_ESCALATION,
            Priority.EMERGENCY,
            _("Alerte : escalade"),
            _ALERT_PLACEHOLDERS,
            _ALERT_SAMPLE,
            segment_budget=3,
        ),
        MessageKind(
            Kind.MEDICATION,
            Priority.MEDICATION,
            _("Rappel de médicament"),
            ("reference", "time"),
            {"reference": "P7K2", "dose_at": "2025-05-13T08:00:00+00:00"},
        ),
        MessageKind(
            Kind.APPOINTMENT_DAY_BEFORE,
            Priority.APPOINTMENT,
            _("Rendez-vous : la veille"),
            _APPOINTMENT_PLACEHOLDERS,
            _APPOINTMENT_SAMPLE,
        ),
        MessageKind(
            Kind.APPOINTMENT_SAME_DAY,
            Priority.APPOINTMENT,
            _("Rendez-vous : le jour même"),
            _APPOINTMENT_PLACEHOLDERS,
            _APPOINTMENT_SAMPLE,
        ),
        MessageKind(
            Kind.FOLLOWUP_CHECKIN,
            Priority.OTHER,
            _("Prise de nouvelles"),
            ("reference",),
            {"reference": "R4M9"},
        ),
        MessageKind(Kind.OPTOUT_CONFIRMATION, Priority.OTHER, _("Confirmation de désinscription"), ()),
        MessageKind(
            Kind.REFERRAL_ACK,
            Priority.OTHER,
            _("Suivi du signalement"),
            ("reference",),
            {"reference": "R4M9"},
        ),
        MessageKind(
            Kind.NOT_REACHED,
            Priority.OTHER,
            _("Demande de visite : patient pas joint"),
            ("reference",),
            {"reference": "R4M9"},
        ),
        MessageKind(
            Kind.CONSULT_DAY_BEFORE,
            Priority.APPOINTMENT,
            _("Consultation à distance : la veille"),
            _APPOINTMENT_PLACEHOLDERS,
            _CONSULT_SAMPLE,
        ),
        MessageKind(
            Kind.CONSULT_SAME_DAY,
            Priority.APPOINTMENT,
            _("Consultation à distance : le jour même"),
            _APPOINTMENT_PLACEHOLDERS,
            _CONSULT_SAMPLE,
        ),
        MessageKind(
            Kind.CONSULT_MOVED,
            Priority.APPOINTMENT,
            _("Consultation à distance déplacée (patient)"),
            _APPOINTMENT_PLACEHOLDERS,
            _CONSULT_SAMPLE,
        ),
        MessageKind(
            Kind.CONSULT_CANCELLED,
            Priority.APPOINTMENT,
            _("Consultation à distance annulée (patient)"),
            ("reference", "date", "place"),
            _CONSULT_SAMPLE,
        ),
        MessageKind(
            Kind.CONSULT_AGENDA,
            Priority.APPOINTMENT,
            _("Agenda du jour de l'agent de santé"),
            ("date", "agenda"),
            _AGENDA_SAMPLE,
            segment_budget=3,
        ),
        MessageKind(
            Kind.CONSULT_SPECIALIST_AGENDA,
            Priority.APPOINTMENT,
            _("Agenda du spécialiste"),
            ("reference", "date", "agenda"),
            _AGENDA_SAMPLE,
            segment_budget=3,
        ),
        MessageKind(
            Kind.CONSULT_SOON,
            Priority.APPOINTMENT,
            _("Consultation à distance : bientôt (agent de santé)"),
            ("reference", "time", "patient"),
            _STAFF_SAMPLE,
        ),
        MessageKind(
            Kind.CONSULT_STAFF_MOVED,
            Priority.APPOINTMENT,
            _("Consultation à distance déplacée (soignants)"),
            ("reference", "date", "time", "patient"),
            _STAFF_SAMPLE,
        ),
        MessageKind(
            Kind.CONSULT_STAFF_CANCELLED,
            Priority.APPOINTMENT,
            _("Consultation à distance annulée (soignants)"),
            ("reference", "date", "patient"),
            _STAFF_SAMPLE,
        ),
        MessageKind(
            Kind.CONSULT_BRIDGE,
            Priority.APPOINTMENT,
            _("Consultation à distance : appel du spécialiste vers le CSCom"),
            ("reference", "time", "phone"),
            {"reference": "C4K7", "starts_at": "2025-05-13T09:30:00+00:00", "phone": "+22376300002"},
            timed=True,
        ),
        MessageKind(
            Kind.VISIT_CONFIRMATION,
            Priority.OTHER,
            _("Confirmation de visite"),
            ("reference", "date", "village"),
            {"reference": "V3T8", "visit_date": "2025-05-20", "village": "Bellafarandi"},
        ),
        MessageKind(
            Kind.VISIT_MOVED,
            Priority.OTHER,
            _("Visite déplacée"),
            ("reference", "date", "village"),
            {"reference": "V3T8", "visit_date": "2025-05-27", "village": "Bellafarandi"},
        ),
        MessageKind(
            Kind.VISIT_CANCELLED,
            Priority.OTHER,
            _("Visite annulée"),
            ("reference", "village"),
            {"reference": "V3T8", "village": "Bellafarandi"},
        ),
    )
}
MESSAGE_KINDS = tuple(str(name) for name in KINDS)


def message_kind(name: str) -> MessageKind:
    """The registry entry of `name`; KeyError for a kind the registry does not know."""
    return KINDS[name]


@cache
def default_texts() -> dict[str, dict[str, str]]:
    """The shipped texts: kind -> language -> body."""
    with DEFAULT_TEXTS_FILE.open("rb") as texts:
        return tomllib.load(texts)
