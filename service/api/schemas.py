"""The partner API's shapes, one pydantic model per resource and per input: what comes in is validated by
them, what goes out is built with them, and the OpenAPI document (`openapi.py`) is generated from them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from service.care.medication import MAX_TIMES_A_DAY
from service.i18n import LANGUAGES
from service.models import ReferralStatus, Urgency, VisitStatus
from service.timeutil import FIRST_YEAR, LAST_YEAR, iso, plausible

MAX_PAGE = 1_000_000
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
LOCAL_OR_OFFSET = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?$"
DAY_OR_MOMENT = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?)?$"
HHMM = r"^\d{2}:\d{2}$"


def _exists(parse: Callable[[str], object], what: str) -> Callable[[str], str]:
    """A check that a pattern-shaped value is real (no 30 February, no 25:00), saying `what` it must be."""

    def check(value: str) -> str:
        try:
            parsed = parse(value)
        except ValueError:
            raise ValueError(f"{value!r} is not {what}") from None
        if isinstance(parsed, (date, datetime)) and not plausible(parsed):
            raise ValueError(f"{value!r}: the year must be from {FIRST_YEAR} to {LAST_YEAR}")
        return value

    return check


_real_moment = _exists(datetime.fromisoformat, "a real date and time")
# `datetime.fromisoformat` reads a bare date too, as its midnight.
_real_day_or_moment = _exists(datetime.fromisoformat, "a real date, or date and time")
_real_time = _exists(time.fromisoformat, "a time of day")


def _plausible_day(value: date) -> date:
    if not plausible(value):
        raise ValueError(f"the year must be from {FIRST_YEAR} to {LAST_YEAR}")
    return value


PlausibleDay = Annotated[date, AfterValidator(_plausible_day)]


def local_moment(value: str, tz: ZoneInfo) -> datetime:
    """A validated `Moment` or `DayOrMoment` as an aware datetime: a day starts at local midnight, a time
    without offset is local."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


Language = Literal["fr", "bm"]
# A language as stored (always one of LANGUAGES), for answers.
LanguageCode = Annotated[str, WithJsonSchema({"type": "string", "enum": list(LANGUAGES)})]
Moment = Annotated[
    str,
    Field(
        pattern=LOCAL_OR_OFFSET,
        description="YYYY-MM-DDTHH:MM in the service's time zone (Africa/Bamako), or ISO 8601 with offset.",
    ),
    AfterValidator(_real_moment),
]
DayOrMoment = Annotated[
    str,
    Field(
        pattern=DAY_OR_MOMENT,
        description="YYYY-MM-DD (from local midnight), YYYY-MM-DDTHH:MM (local) or ISO 8601 with offset.",
    ),
    AfterValidator(_real_day_or_moment),
]
ClockTime = Annotated[str, Field(pattern=HHMM, description="Local time HH:MM."), AfterValidator(_real_time)]
Weekday = Annotated[int, Field(ge=0, le=6)]
# Instants go out in UTC as ISO 8601 with an offset (`+00:00`), whatever the database gives back.
Instant = Annotated[
    datetime,
    PlainSerializer(iso, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class Input(BaseModel):
    """A request body: only the listed fields, each of exactly its JSON type."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Output(BaseModel):
    """An answer: every field is always present (null when empty)."""

    model_config = ConfigDict(extra="forbid", json_schema_mode_override="serialization")


# Query strings carry text: numbers are read from it, unknown parameters are refused.
class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
    per_page: int = Field(
        DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE, description=f"Items per page, at most {MAX_PER_PAGE}."
    )


class PatientQuery(PageQuery):
    phone: str | SkipJsonSchema[None] = Field(
        None, min_length=1, description="Only patients with this phone."
    )


class ReferralQuery(PageQuery):
    status: ReferralStatus | SkipJsonSchema[None] = Field(None, description="Only this status.")
    urgency: Urgency | SkipJsonSchema[None] = Field(None, description="Only this urgency.")
    since: DayOrMoment | SkipJsonSchema[None] = Field(None, description="Only referrals changed since then.")


class ConsultationQuery(PageQuery):
    status: Literal["booked", "confirmed", "attended", "missed", "cancelled"] | SkipJsonSchema[None] = Field(
        None, description="Only this status."
    )
    patient: str | SkipJsonSchema[None] = Field(None, min_length=1, description="Only this patient's.")
    since: DayOrMoment | SkipJsonSchema[None] = Field(None, description="Only those changed since then.")


class VisitRequestQuery(PageQuery):
    status: VisitStatus | SkipJsonSchema[None] = Field(None, description="Only this status.")
    since: DayOrMoment | SkipJsonSchema[None] = Field(None, description="Only requests made since then.")


class PatientCreate(Input):
    model_config = ConfigDict(
        json_schema_extra={"example": {"phone": "76 12 34 56", "language": "bm", "place_code": "TBK-A3"}},
    )

    phone: str = Field(min_length=1, description="Mali numbers may be national: 76 12 34 56.")
    language: Language | None = Field(None, description="fr when left out.")
    shared_phone: bool | None = Field(None, description="false when left out.")
    quiet_hours: str | None = Field(None, description="HH:MM-HH:MM, local time; null for the service's.")
    sms_consent: bool | None = Field(None, description="true when left out.")
    place_code: str | None = None
    channel: Literal["sms", "voice", "both"] | None = Field(
        None, description="How reminders reach the patient: sms when left out; voice plays recorded calls."
    )
    voice_language: str | None = Field(
        None,
        max_length=8,
        description="The language of calls, one of VOICE_LANGUAGES; null: the SMS language.",
    )


class AppointmentCreate(Input):
    model_config = ConfigDict(
        json_schema_extra={"example": {"starts_at": "2030-12-02T09:30", "place_code": "TBK-A3"}},
    )

    starts_at: Moment
    place_code: str | None = None
    mobile_unit: bool | None = Field(None, description="false when left out.")
    referral: str | None = Field(None, description="Reference of the referral it answers.")


class ConsultationCreate(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "patient": "P7K2",
                "psychiatrist": "+22376300001",
                "starts_at": "2030-12-03T09:30",
                "area_code": "TBK-A3",
            }
        },
    )

    patient: str = Field(min_length=1, description="The patient's reference.")
    psychiatrist: str = Field(min_length=1, description="The specialist's phone.")
    starts_at: Moment = Field(description="The start of a free slot of one of the specialist's sessions.")
    area_code: str = Field(min_length=1, description="The CSCom's health area, one the session serves.")
    health_worker: str | None = Field(
        None, description="The health worker's phone; the area's when left out."
    )
    mode: Literal["phone", "video"] | None = Field(None, description="phone when left out.")
    referral: str | None = Field(None, description="Reference of the referral it answers.")


class ConsultationChange(Input):
    """Exactly one change: `starts_at` moves the consultation; `status: cancelled` (with a `reason`) cancels
    it; `status: attended` (with `followup_date`, `treatment_started`) or `missed` records its outcome."""

    model_config = ConfigDict(json_schema_extra={"example": {"status": "cancelled", "reason": "Dr absent"}})

    starts_at: Moment | SkipJsonSchema[None] = Field(None, description="Move the consultation.")
    status: Literal["cancelled", "attended", "missed"] | SkipJsonSchema[None] = None
    reason: Annotated[str, Field(max_length=200)] | SkipJsonSchema[None] = Field(
        None, description="Why it is cancelled."
    )
    followup_date: date | SkipJsonSchema[None] = Field(None, description="Attended: the follow-up date.")
    treatment_started: bool | SkipJsonSchema[None] = Field(None, description="Attended: a treatment started.")

    @model_validator(mode="after")
    def _one_change(self) -> ConsultationChange:
        if (self.starts_at is None) == (self.status is None):
            raise ValueError("send either starts_at (to move) or a status (cancelled, attended, missed)")
        if self.status == "cancelled" and not (self.reason or "").strip():
            raise ValueError("a cancellation needs a reason")
        if self.status != "attended" and (
            self.followup_date is not None or self.treatment_started is not None
        ):
            raise ValueError("followup_date and treatment_started go with status: attended")
        return self


class AppointmentChange(Input):
    """Exactly one of: `starts_at` moves the appointment, `status: cancelled` cancels it."""

    model_config = ConfigDict(
        json_schema_extra={"example": {"status": "cancelled"}, "minProperties": 1, "maxProperties": 1}
    )

    starts_at: Moment | SkipJsonSchema[None] = Field(None, description="Move the appointment.")
    status: Literal["cancelled"] | SkipJsonSchema[None] = Field(None, description="Cancel the appointment.")

    @model_validator(mode="after")
    def _exactly_one(self) -> AppointmentChange:
        if (self.starts_at is None) == (self.status is None):
            raise ValueError("send either starts_at (to move) or status: cancelled (to cancel)")
        return self


class MedicationPlanCreate(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {"times": ["08:00", "20:00"], "start_date": "2030-12-01", "end_date": "2031-02-28"}
        },
    )

    times: list[ClockTime] = Field(
        min_length=1, max_length=MAX_TIMES_A_DAY, description="Local times of the reminders."
    )
    days_of_week: list[Weekday] | None = Field(
        None, min_length=1, description="0 = Monday to 6 = Sunday; every day when left out."
    )
    start_date: PlausibleDay
    end_date: PlausibleDay


class Patient(Output):
    reference: str
    phone: str = Field(description="E.164, e.g. +22376123456.")
    language: LanguageCode
    shared_phone: bool
    quiet_hours: str | None = Field(description="HH:MM-HH:MM, local time.")
    sms_consent: bool
    opted_out: bool
    place_code: str | None
    channel: str = Field(description="sms, voice or both.")
    voice_language: str | None
    created_at: Instant


class Appointment(Output):
    id: int
    patient: str = Field(description="Patient reference.")
    referral: str | None = Field(description="Referral reference.")
    place_code: str | None
    mobile_unit: bool
    starts_at: Instant
    starts_at_local: str = Field(description="YYYY-MM-DDTHH:MM in the service's time zone.")
    status: str
    confirmed_at: Instant | None
    created_at: Instant
    updated_at: Instant


class Consultation(Output):
    reference: str
    patient: str = Field(description="Patient reference.")
    referral: str | None = Field(description="Referral reference.")
    psychiatrist: str = Field(description="The specialist's phone.")
    health_worker: str | None = Field(description="The health worker's phone.")
    area_code: str
    starts_at: Instant
    starts_at_local: str = Field(description="YYYY-MM-DDTHH:MM in the service's time zone.")
    minutes: int
    mode: str = Field(description="phone or video.")
    status: str = Field(description="booked, confirmed (by the specialist), attended, missed or cancelled.")
    confirmed_at: Instant | None
    cancel_reason: str | None
    followup_date: date | None
    treatment_started: bool | None
    created_at: Instant
    updated_at: Instant


class MedicationPlan(Output):
    id: int
    patient: str
    times: list[str] = Field(description="Local times HH:MM.")
    days_of_week: list[Weekday]
    start_date: date
    end_date: date
    active: bool
    created_at: Instant


class Referral(Output):
    reference: str
    category: str
    sex: str
    age: int
    red_flag: str | None
    urgency: Urgency
    status: ReferralStatus
    outcome: str | None
    consent: bool
    contact_phone: str | None = Field(description="Null unless the person consented.")
    phone_shared: bool | None
    place_code: str
    place_name: str
    district_code: str | None
    patient: str | None
    channel: str
    created_at: Instant
    updated_at: Instant
    first_contact_at: Instant | None


class VisitRequest(Output):
    reference: str
    place_code: str
    place_name: str
    district_code: str | None
    people_waiting: int
    preferred_week: str
    week_start: date
    status: VisitStatus
    round_id: int | None
    created_at: Instant


class MessageEvent(Output):
    status: str
    at: Instant


class Message(Output):
    """Status of a patient's SMS: never its text or parameters, which can reveal why the person is seen."""

    id: int
    kind: str
    patient: str | None
    appointment_id: int | None
    medication_plan_id: int | None
    language: LanguageCode
    status: str
    attempts: int
    segments: int | None
    due_at: Instant
    sent_at: Instant | None
    delivered_at: Instant | None
    created_at: Instant
    updated_at: Instant
    history: list[MessageEvent] | SkipJsonSchema[None] = Field(
        None,
        description="Delivery history; only on GET /messages/{id}.",
        exclude_if=lambda value: value is None,
    )


class Page(Output):
    items: list[Any]
    page: int = Field(ge=1)
    per_page: int = Field(ge=1, le=MAX_PER_PAGE)
    total: int = Field(ge=0)
    next: str | None = Field(description="Path and query of the next page.")


class PatientPage(Page):
    items: list[Patient]


class ReferralPage(Page):
    items: list[Referral]


class ConsultationPage(Page):
    items: list[Consultation]


class VisitRequestPage(Page):
    items: list[VisitRequest]


class MessagePage(Page):
    items: list[Message]


class ErrorDetail(Output):
    code: str = Field(description="Stable machine-readable code.")
    message: str = Field(description="What went wrong, for people.")
    field: str | SkipJsonSchema[None] = Field(
        None, description="The field or parameter at fault.", exclude_if=lambda value: value is None
    )


class Error(Output):
    error: ErrorDetail


def dump(model: BaseModel) -> dict[str, Any]:
    """The JSON-ready dict of an answer."""
    return model.model_dump(mode="json")
