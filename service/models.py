"""Tables of the system of record. The schema changes only through migrations."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import IntEnum, StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db import Base, UTCDateTime
from service.i18n import LANGUAGES
from service.timeutil import utcnow


class Priority(IntEnum):
    """Lower is sent first: emergencies before everything, on every queue."""

    EMERGENCY = 0
    MEDICATION = 10
    APPOINTMENT = 20
    OTHER = 30


class Kind(StrEnum):
    """The kinds of SMS; what the code knows about each is the registry of service/outbox/kinds.py."""

    EMERGENCY_ALERT = "emergency_alert"
    ALERT_ESCALATION = "alert_escalation"
    MEDICATION = "medication"
    APPOINTMENT_DAY_BEFORE = "appointment_day_before"
    APPOINTMENT_SAME_DAY = "appointment_same_day"
    FOLLOWUP_CHECKIN = "followup_checkin"
    OPTOUT_CONFIRMATION = "optout_confirmation"
    REFERRAL_ACK = "referral_ack"
    VISIT_CONFIRMATION = "visit_confirmation"
    VISIT_MOVED = "visit_moved"
    VISIT_CANCELLED = "visit_cancelled"
    NOT_REACHED = (
        "not_reached"  # to the volunteer: please visit a person whose reminder calls went unanswered
    )
    # Remote consultations: the patient's reminders and changes; the clinicians' agenda and changes.
    CONSULT_DAY_BEFORE = "consult_day_before"
    CONSULT_SAME_DAY = "consult_same_day"
    CONSULT_MOVED = "consult_moved"
    CONSULT_CANCELLED = "consult_cancelled"
    CONSULT_AGENDA = "consult_agenda"  # to the health worker, the morning of the day
    CONSULT_SPECIALIST_AGENDA = "consult_specialist_agenda"  # the day before and the morning
    CONSULT_SOON = "consult_soon"  # to the health worker, before each consultation
    CONSULT_STAFF_MOVED = "consult_staff_moved"
    CONSULT_STAFF_CANCELLED = "consult_staff_cancelled"
    CONSULT_BRIDGE = "consult_bridge"  # a call to the specialist at the slot time, connected to the CSCom


class PlaceLevel(StrEnum):
    REGION = "region"
    DISTRICT = "district"
    AREA = "area"
    VILLAGE = "village"


class Category(StrEnum):
    """mhGAP priority conditions, in menu order (self-harm first: the most urgent is the first seen and
    the first reached); the value is stored, labels live in the locales."""

    SELF_HARM = "self_harm"
    DEPRESSION = "depression"
    PSYCHOSIS = "psychosis"
    EPILEPSY = "epilepsy"
    CHILD = "child"
    DEMENTIA = "dementia"
    SUBSTANCE = "substance"
    OTHER = "other"


class RedFlag(StrEnum):
    SELF_HARM = "self_harm"
    AGITATION = "agitation"
    SEIZURE = "seizure"


class Urgency(StrEnum):
    EMERGENCY = "emergency"
    URGENT = "urgent"
    ROUTINE = "routine"


class RoundStatus(StrEnum):
    PLANNED = "planned"
    CANCELLED = "cancelled"


class ReferralStatus(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    APPOINTMENT_SET = "appointment_set"
    SEEN = "seen"
    CLOSED = "closed"


class FollowupOutcome(StrEnum):
    SEEN_AT_FACILITY = "seen_at_facility"
    BETTER = "better"
    NOT_FOUND = "not_found"
    MOVED = "moved"
    DIED = "died"
    REFUSED = "refused"


class VisitWeek(StrEnum):
    THIS_WEEK = "this_week"
    NEXT_WEEK = "next_week"
    LATER = "later"


class VisitStatus(StrEnum):
    OPEN = "open"
    PLANNED = "planned"
    CLOSED = "closed"


class AppointmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    ATTENDED = "attended"
    MISSED = "missed"
    CANCELLED = "cancelled"


class SpecialistRole(StrEnum):
    PSYCHIATRIST = "psychiatrist"
    PSYCHOLOGIST = "psychologist"


class ConsultMode(StrEnum):
    PHONE = "phone"
    VIDEO = "video"


class ConsultStatus(StrEnum):
    """A remote consultation: booked, confirmed by the specialist (`OK <ref>`), then attended or missed;
    or cancelled."""

    BOOKED = "booked"
    CONFIRMED = "confirmed"
    ATTENDED = "attended"
    MISSED = "missed"
    CANCELLED = "cancelled"


class MessageStatus(StrEnum):
    """Outbound SMS life cycle. `scheduled` waits for due_at; the sweeper claims due rows as `queued` and
    enqueues their ids; a worker claims `queued` -> `sending`, then records the gateway's answer."""

    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    DROPPED = "dropped"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"
    HELD = "held"  # its text would name a condition or a medicine: never sent, coordinators are told


class Channel(StrEnum):
    """How one outbound row reaches its person: a text, or a call that plays a recording."""

    SMS = "sms"
    VOICE = "voice"


class PatientChannel(StrEnum):
    """How a patient is reminded: by SMS (the default), by a call (who cannot read), or both."""

    SMS = "sms"
    VOICE = "voice"
    BOTH = "both"


class InboundKind(StrEnum):
    """What an incoming SMS turned out to be; `other` waits in the console's inbox."""

    OPTOUT = "optout"
    ALERT_ACK = "alert_ack"
    CONFIRM = "confirm"
    CONSULT_CONFIRM = "consult_confirm"  # a specialist's OK <ref> for a remote consultation
    POSSIBLE_OPTOUT = "possible_optout"  # almost an opt-out (a typo): first in the inbox, a person decides
    OTHER = "other"


class UserRole(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    VIEWER = "viewer"
    TRANSLATOR = "translator"  # reviews the Bambara and French words; sees no person's data


class ApiScope(StrEnum):
    READ = "read"
    WRITE = "write"


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """The stored values of `enum`, in order, as plain strings (for CHECKs, forms and click choices)."""
    return tuple(member.value for member in enum)


PLACE_LEVELS = values(PlaceLevel)
CATEGORIES = values(Category)
RED_FLAGS = values(RedFlag)
URGENCIES = values(Urgency)
REFERRAL_STATUSES = values(ReferralStatus)
FOLLOWUP_OUTCOMES = values(FollowupOutcome)
VISIT_STATUSES = values(VisitStatus)
ROUND_STATUSES = values(RoundStatus)
MESSAGE_STATUSES = values(MessageStatus)
USER_ROLES = values(UserRole)
API_SCOPES = values(ApiScope)


def one_of(column: str, values: Iterable[str], table: str) -> CheckConstraint:
    """A CHECK that `column` holds one of `values` (NULL passes, as SQL has it)."""
    listed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({listed})", name=f"ck_{table}_{column}")


def sparse_index(table: str, column: str) -> Index:
    """An index of the rows where `column` is set: most outbound rows have no alert, no gateway id yet,
    and either an appointment or a medication plan, so leaving their NULLs out keeps inserts cheap."""
    where = text(f"{column} IS NOT NULL")
    return Index(f"ix_{table}_{column}", column, postgresql_where=where, sqlite_where=where)


def _id() -> Mapped[int]:
    return mapped_column(Integer, primary_key=True)


def _created() -> Mapped[datetime]:
    return mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Place(Base):
    """A node of Mali's health map: region > district (CSRef) > area (CSCom) > village."""

    __tablename__ = "places"
    __table_args__ = (one_of("level", PLACE_LEVELS, "places"),)
    id: Mapped[int] = _id()
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # The name an SMS gives, when the real one would say what is treated there ("Service de psychiatrie").
    sms_name: Mapped[str | None] = mapped_column(String(120))
    # The organisation unit of the Ministry's DHIS2 this place is counted under (its uid).
    dhis2_org_unit: Mapped[str | None] = mapped_column(String(11))
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"), index=True)

    parent: Mapped[Place | None] = relationship(remote_side="Place.id")

    @property
    def name_in_sms(self) -> str:
        return self.sms_name or self.name


class Volunteer(Base):
    """A community volunteer (relais) who uses the USSD service."""

    __tablename__ = "volunteers"
    __table_args__ = (one_of("language", LANGUAGES, "volunteers"),)
    id: Mapped[int] = _id()
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(5), default="fr")
    area_id: Mapped[int] = mapped_column(ForeignKey("places.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A trainee's phone: what it reports is training, alerts no clinician and counts nowhere.
    training: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = _created()

    area: Mapped[Place] = relationship()


class OnCallClinician(Base):
    """A clinician who receives emergency alerts for a district, in `rank` order."""

    __tablename__ = "oncall_clinicians"
    __table_args__ = (
        UniqueConstraint("district_id", "phone"),
        one_of("language", LANGUAGES, "oncall_clinicians"),
    )
    id: Mapped[int] = _id()
    phone: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(5), default="fr")
    district_id: Mapped[int] = mapped_column(ForeignKey("places.id"))
    rank: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _created()

    district: Mapped[Place] = relationship()


class Referral(Base):
    """A possible case reported by a volunteer. No name is stored: the reference stands for it."""

    __tablename__ = "referrals"
    __table_args__ = (
        one_of("category", CATEGORIES, "referrals"),
        one_of("red_flag", RED_FLAGS, "referrals"),
        one_of("urgency", URGENCIES, "referrals"),
        one_of("status", REFERRAL_STATUSES, "referrals"),
        one_of("outcome", FOLLOWUP_OUTCOMES, "referrals"),
        one_of("sex", ("M", "F"), "referrals"),
    )
    id: Mapped[int] = _id()
    reference: Mapped[str] = mapped_column(String(8), unique=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    category: Mapped[str] = mapped_column(String(16))
    sex: Mapped[str] = mapped_column(String(1))
    age: Mapped[int] = mapped_column(Integer)
    red_flag: Mapped[str | None] = mapped_column(String(16))
    urgency: Mapped[str] = mapped_column(String(10), index=True)
    consent: Mapped[bool] = mapped_column(Boolean)
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    phone_shared: Mapped[bool | None] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    outcome: Mapped[str | None] = mapped_column(String(32))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    channel: Mapped[str] = mapped_column(String(8), default="ussd")
    session_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    first_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    training: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # see Volunteer

    volunteer: Mapped[Volunteer] = relationship()
    place: Mapped[Place] = relationship()


class ReferralEvent(Base):
    """One change of a referral (status, follow-up, triage), for its history and reports."""

    __tablename__ = "referral_events"
    id: Mapped[int] = _id()
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = _created()


class FollowUp(Base):
    """A follow-up recorded by a volunteer on one of their referrals."""

    __tablename__ = "followups"
    __table_args__ = (one_of("outcome", FOLLOWUP_OUTCOMES, "followups"),)
    id: Mapped[int] = _id()
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"))
    outcome: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(8), default="ussd")
    session_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = _created()


class MobileUnitRound(Base):
    """A planned visit of a mobile unit to one or more places on a date (planned ahead of any request,
    or for the open requests of its places); it can move to another date or be cancelled."""

    __tablename__ = "mobile_unit_rounds"
    __table_args__ = (one_of("status", ROUND_STATUSES, "mobile_unit_rounds"),)
    id: Mapped[int] = _id()
    unit: Mapped[str] = mapped_column(String(80))
    visit_date: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="planned", server_default="planned")
    created_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = _created()
    places: Mapped[list[Place]] = relationship(secondary="round_places", order_by="Place.name")


class RoundPlace(Base):
    """A place a round visits."""

    __tablename__ = "round_places"
    round_id: Mapped[int] = mapped_column(ForeignKey("mobile_unit_rounds.id"), primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), primary_key=True)


class VisitRequest(Base):
    """A volunteer's request for a mobile-unit visit to a village."""

    __tablename__ = "visit_requests"
    __table_args__ = (
        one_of("preferred_week", values(VisitWeek), "visit_requests"),
        one_of("status", VISIT_STATUSES, "visit_requests"),
    )
    id: Mapped[int] = _id()
    reference: Mapped[str] = mapped_column(String(8), unique=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    people_waiting: Mapped[int] = mapped_column(Integer)
    preferred_week: Mapped[str] = mapped_column(String(10))
    week_start: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("mobile_unit_rounds.id"))
    training: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # see Volunteer
    channel: Mapped[str] = mapped_column(String(8), default="ussd")
    session_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = _created()

    volunteer: Mapped[Volunteer] = relationship()
    place: Mapped[Place] = relationship()


class Patient(Base):
    """A person who receives reminders. No diagnosis is stored or needed here."""

    __tablename__ = "patients"
    __table_args__ = (
        one_of("language", LANGUAGES, "patients"),
        one_of("channel", values(PatientChannel), "patients"),
    )
    id: Mapped[int] = _id()
    reference: Mapped[str] = mapped_column(String(8), unique=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    language: Mapped[str] = mapped_column(String(5), default="fr")
    shared_phone: Mapped[bool] = mapped_column(Boolean, default=False)
    quiet_hours: Mapped[str | None] = mapped_column(String(11))
    sms_consent: Mapped[bool] = mapped_column(Boolean, default=True)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"))
    channel: Mapped[str] = mapped_column(String(8), default="sms", server_default="sms")
    # The language calls are played in (VOICE_LANGUAGES: Songhai, Tamasheq... have no written catalog
    # here); None: the SMS language.
    voice_language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = _created()


class Appointment(Base):
    """An appointment at a place or with the mobile unit; starts_at is UTC."""

    __tablename__ = "appointments"
    __table_args__ = (one_of("status", values(AppointmentStatus), "appointments"),)
    id: Mapped[int] = _id()
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"))
    mobile_unit: Mapped[bool] = mapped_column(Boolean, default=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(12), default="scheduled")
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    patient: Mapped[Patient] = relationship()
    place: Mapped[Place | None] = relationship()


class MedicationPlan(Base):
    """Reminders at local `times` (HH:MM, comma separated) on `days_of_week` (0=Monday)."""

    __tablename__ = "medication_plans"
    id: Mapped[int] = _id()
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    times: Mapped[str] = mapped_column(String(64))
    days_of_week: Mapped[str] = mapped_column(String(16), default="0123456")
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _created()

    patient: Mapped[Patient] = relationship()


class Specialist(Base):
    """A psychiatrist or psychologist of a referral hospital who sees patients remotely at their CSCom."""

    __tablename__ = "specialists"
    __table_args__ = (
        one_of("language", LANGUAGES, "specialists"),
        one_of("role", values(SpecialistRole), "specialists"),
    )
    id: Mapped[int] = _id()
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(5), default="fr")
    hospital: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(16), default="psychiatrist")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _created()


class HealthWorker(Base):
    """A CSCom's health worker, who sits with the patient during a remote consultation."""

    __tablename__ = "health_workers"
    __table_args__ = (one_of("language", LANGUAGES, "health_workers"),)
    id: Mapped[int] = _id()
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(5), default="fr")
    area_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _created()

    area: Mapped[Place] = relationship()


class ClinicSession(Base):
    """A specialist's remote clinic: every `weekday` (0 = Monday) from `first_date` to `last_date`, or
    on `first_date` alone when `weekday` is None; local times, slots of `slot_minutes`, for `areas`."""

    __tablename__ = "clinic_sessions"
    id: Mapped[int] = _id()
    specialist_id: Mapped[int] = mapped_column(ForeignKey("specialists.id"), index=True)
    weekday: Mapped[int | None] = mapped_column(Integer)
    first_date: Mapped[date] = mapped_column(Date)
    last_date: Mapped[date] = mapped_column(Date)
    starts: Mapped[str] = mapped_column(String(5))  # HH:MM local
    ends: Mapped[str] = mapped_column(String(5))
    slot_minutes: Mapped[int] = mapped_column(Integer, default=30)
    # Local dates on which this session does not take place, comma separated (YYYY-MM-DD).
    cancelled_dates: Mapped[str] = mapped_column(Text, default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _created()

    specialist: Mapped[Specialist] = relationship()
    areas: Mapped[list[Place]] = relationship(secondary="clinic_session_areas")


class ClinicSessionArea(Base):
    __tablename__ = "clinic_session_areas"
    session_id: Mapped[int] = mapped_column(ForeignKey("clinic_sessions.id"), primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), primary_key=True)


# A specialist, a health worker or a patient is in one consultation at a time: a second booking at the
# same start is refused by the database too, whatever the race.
_OPEN_CONSULT = text("status != 'cancelled'")


class Consultation(Base):
    """A remote consultation: the patient at their CSCom with its health worker, the specialist by phone
    or video, at `starts_at` (UTC) for `minutes`."""

    __tablename__ = "consultations"
    __table_args__ = (
        one_of("status", values(ConsultStatus), "consultations"),
        one_of("mode", values(ConsultMode), "consultations"),
        *(
            Index(
                f"uq_consultations_{who}_start",
                f"{who}_id",
                "starts_at",
                unique=True,
                postgresql_where=_OPEN_CONSULT,
                sqlite_where=_OPEN_CONSULT,
            )
            for who in ("specialist", "health_worker", "patient")
        ),
    )
    id: Mapped[int] = _id()
    reference: Mapped[str] = mapped_column(String(8), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    specialist_id: Mapped[int] = mapped_column(ForeignKey("specialists.id"))
    health_worker_id: Mapped[int | None] = mapped_column(ForeignKey("health_workers.id"))
    area_id: Mapped[int] = mapped_column(ForeignKey("places.id"))
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    minutes: Mapped[int] = mapped_column(Integer, default=30)
    mode: Mapped[str] = mapped_column(String(8), default="phone")
    status: Mapped[str] = mapped_column(String(12), default="booked")
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unconfirmed_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    followup_date: Mapped[date | None] = mapped_column(Date)
    treatment_started: Mapped[bool | None] = mapped_column(Boolean)
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome_by: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    patient: Mapped[Patient] = relationship()
    specialist: Mapped[Specialist] = relationship()
    health_worker: Mapped[HealthWorker | None] = relationship()
    area: Mapped[Place] = relationship()


class Dhis2Push(Base):
    """One push of a period's counts to the Ministry's DHIS2 (or a dry run), with what DHIS2 answered."""

    __tablename__ = "dhis2_pushes"
    id: Mapped[int] = _id()
    period: Mapped[str] = mapped_column(String(8), index=True)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))  # SUCCESS, WARNING, ERROR, or FAILED (no answer)
    values: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    ignored: Mapped[int] = mapped_column(Integer, default=0)
    conflicts: Mapped[list] = mapped_column(JSON, default=list)  # [{area, indicator, code, message}]
    message: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = _created()


class EmergencyAlert(Base):
    """The alert raised by an emergency referral, escalated until a clinician acknowledges it."""

    __tablename__ = "emergency_alerts"
    id: Mapped[int] = _id()
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), unique=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("places.id"))
    step: Mapped[int] = mapped_column(Integer, default=0)
    next_escalation_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(254))  # a clinician's phone or an email
    created_at: Mapped[datetime] = _created()

    referral: Mapped[Referral] = relationship()


class AlertStep(Base):
    """One recorded step of an emergency alert: first call, escalation, acknowledgement."""

    __tablename__ = "alert_steps"
    id: Mapped[int] = _id()
    alert_id: Mapped[int] = mapped_column(ForeignKey("emergency_alerts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()


SPARSE_OUTBOUND_COLUMNS = (
    "gateway_message_id",
    "appointment_id",
    "medication_plan_id",
    "alert_id",
    "consultation_id",
)


class OutboundMessage(Base):
    """Every SMS the system will send is a row first; see MessageStatus for its life cycle."""

    __tablename__ = "outbound_messages"
    __table_args__ = (
        Index("ix_outbound_due", "status", "due_at"),
        # The sweeper's claim reads scheduled rows in sending order: this index serves it without a sort.
        Index(
            "ix_outbound_claim",
            "priority",
            "due_at",
            "id",
            postgresql_where=text("status = 'scheduled'"),
            sqlite_where=text("status = 'scheduled'"),
        ),
        *(sparse_index("outbound_messages", column) for column in SPARSE_OUTBOUND_COLUMNS),
        one_of("status", MESSAGE_STATUSES, "outbound_messages"),
        one_of("kind", values(Kind), "outbound_messages"),
        one_of("language", LANGUAGES, "outbound_messages"),
        one_of("channel", values(Channel), "outbound_messages"),
    )
    id: Mapped[int] = _id()
    kind: Mapped[str] = mapped_column(String(32), index=True)
    channel: Mapped[str] = mapped_column(String(8), default="sms", server_default="sms")
    recipient: Mapped[str] = mapped_column(String(20), index=True)
    language: Mapped[str] = mapped_column(String(5), default="fr")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    priority: Mapped[int] = mapped_column(Integer, default=int(Priority.OTHER))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ignore_quiet_hours: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default="scheduled")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sending_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gateway_message_id: Mapped[str | None] = mapped_column(String(64))
    gateway: Mapped[str | None] = mapped_column(String(16))  # the adapter that sent (or tried) it
    text: Mapped[str | None] = mapped_column(Text)
    encoding: Mapped[str | None] = mapped_column(String(8))
    segments: Mapped[int | None] = mapped_column(Integer)
    cost: Mapped[str | None] = mapped_column(String(32))
    # A call: the language it is played in, the keys pressed (in order), how long it lasted, in what
    # currency `cost` is, and why it ended as the gateway says it (NO_ANSWER, USER_BUSY...).
    voice_language: Mapped[str | None] = mapped_column(String(8))
    digits: Mapped[str | None] = mapped_column(String(64))
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(8))
    hangup_cause: Mapped[str | None] = mapped_column(String(40))
    dedupe_key: Mapped[str | None] = mapped_column(String(96), unique=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    medication_plan_id: Mapped[int | None] = mapped_column(ForeignKey("medication_plans.id"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("emergency_alerts.id"))
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"))
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultations.id"))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MessageEvent(Base):
    """Delivery history of an outbound message: attempts, gateway answers, delivery reports."""

    __tablename__ = "message_events"
    id: Mapped[int] = _id()
    message_id: Mapped[int] = mapped_column(ForeignKey("outbound_messages.id"), index=True)
    status: Mapped[str] = mapped_column(String(48))  # a row status, or `report:<gateway's status>`
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()


class InboundMessage(Base):
    """An SMS received from Africa's Talking, de-duplicated on AT's id."""

    __tablename__ = "inbound_messages"
    __table_args__ = (one_of("kind", values(InboundKind), "inbound_messages"),)
    id: Mapped[int] = _id()
    at_id: Mapped[str] = mapped_column(String(64), unique=True)
    sender: Mapped[str] = mapped_column(String(20), index=True)
    to: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    normalized: Mapped[str] = mapped_column(Text)
    link_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="other")
    handled: Mapped[bool] = mapped_column(Boolean, default=False)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by: Mapped[str | None] = mapped_column(String(120))
    received_at: Mapped[datetime] = _created()


class MessageTemplate(Base):
    """A coordinator's version of an SMS template; the newest version per kind and language wins."""

    __tablename__ = "message_templates"
    __table_args__ = (
        UniqueConstraint("kind", "language", "version"),
        one_of("kind", values(Kind), "message_templates"),
        one_of("language", LANGUAGES, "message_templates"),
    )
    id: Mapped[int] = _id()
    kind: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(5))
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = _created()


class SystemAlert(Base):
    """Something coordinators must act on: no SMS credit, bad gateway configuration."""

    __tablename__ = "system_alerts"
    id: Mapped[int] = _id()
    kind: Mapped[str] = mapped_column(String(32), index=True)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A partner system's bearer token; only the SHA-256 of the token is kept."""

    __tablename__ = "api_tokens"
    __table_args__ = (one_of("scope", API_SCOPES, "api_tokens"),)
    id: Mapped[int] = _id()
    name: Mapped[str] = mapped_column(String(80), unique=True)
    scope: Mapped[str] = mapped_column(String(8))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = _created()
    created_by: Mapped[str | None] = mapped_column(String(120))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class User(Base):
    """A console account; `role` is one of USER_ROLES and the password is kept as an argon2 hash."""

    __tablename__ = "users"
    __table_args__ = (one_of("role", USER_ROLES, "users"),)
    id: Mapped[int] = _id()
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str | None] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Raised to end every session of the account (see accounts.end_sessions).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = _created()
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """Who did what and when: console actions, views of a patient's record, exports, API calls."""

    __tablename__ = "audit_log"
    id: Mapped[int] = _id()
    actor: Mapped[str] = mapped_column(String(254), index=True)
    action: Mapped[str] = mapped_column(String(48), index=True)
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)


class IdempotencyKey(Base):
    """A partner's `Idempotency-Key` on a POST: the request's fingerprint and, once answered, the answer
    that a retry with the same key gets again. A row without `status` is a request still running."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("caller", "key"),)
    id: Mapped[int] = _id()
    caller: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = _created()


class Recording(Base):
    """One recorded voice message: a message kind or a call prompt (`name`), in one voice language, with
    the transcript it says (checked like any SMS text). Gateways fetch it at an unguessable `token`."""

    __tablename__ = "recordings"
    __table_args__ = (UniqueConstraint("name", "language", name="uq_recordings_name_language"),)
    id: Mapped[int] = _id()
    name: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    audio: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # read only when served
    duration_ms: Mapped[int] = mapped_column(Integer)
    transcript: Mapped[str] = mapped_column(Text)
    uploaded_by: Mapped[str] = mapped_column(String(254))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Translation(Base):
    """A translator's text for one message in one language, used over the shipped catalogs. `source` is
    the French text it was written against: when the French changes, the review no longer holds."""

    __tablename__ = "translations"
    __table_args__ = (UniqueConstraint("language", "msgid"), one_of("language", LANGUAGES, "translations"))
    id: Mapped[int] = _id()
    language: Mapped[str] = mapped_column(String(5))
    msgid: Mapped[str] = mapped_column(Text)
    msgstr: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(254))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    reviewed_by: Mapped[str | None] = mapped_column(String(254))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
