"""Remote consultations in the console: the specialists and health workers, the specialists' sessions, the
list of consultations (to rebook first), a week calendar per specialist and per CSCom, booking from a
patient or a referral, and each consultation's page (move, cancel, the outcome)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.accounts import AuditAction, record_audit
from service.care.patients import find_patient
from service.console.auth import requires
from service.console.blueprint import bp
from service.console.forms import (
    BookConsultForm,
    CancelConsultForm,
    CancelSessionDayForm,
    ClinicSessionForm,
    ConsultOutcomeForm,
    HealthWorkerForm,
    MoveConsultForm,
    SpecialistForm,
)
from service.console.people import place_choices
from service.console.web import (
    actor,
    language,
    local,
    local_today,
    parse_day,
    settings,
    show_refusal,
    t,
)
from service.consults import booking, calendar
from service.consults.people import ConsultError, add_health_worker, add_specialist, set_active
from service.consults.sessions import add_session, free_slots
from service.db import get_db
from service.errors import DomainError, ErrorKind
from service.models import (
    ClinicSession,
    Consultation,
    ConsultStatus,
    HealthWorker,
    Patient,
    Place,
    PlaceLevel,
    Referral,
    Specialist,
)
from service.places import by_code
from service.timeutil import utcnow

BOOKING_DAYS = 28  # how far ahead the booking form offers slots
LISTED_DAYS = 30


@bp.route("/consults/people", methods=["GET", "POST"])
@requires("coordinator")
def consult_people():
    specialist_form = SpecialistForm(prefix="sp")
    worker_form = HealthWorkerForm(prefix="hw")
    with get_db().session() as session:
        worker_form.area.choices = place_choices(session, "area")
        submitted = request.form.get("which")
        if submitted == "specialist" and specialist_form.validate_on_submit():
            try:
                person = add_specialist(
                    session,
                    specialist_form.phone.data,
                    specialist_form.name.data,
                    specialist_form.language.data,
                    specialist_form.hospital.data or "",
                    specialist_form.role.data,
                )
            except DomainError as error:
                show_refusal(specialist_form, error, "phone")
            else:
                record_audit(session, actor(), AuditAction.CLINICIAN_ADDED, {"phone": person.phone})
                flash(t("%(name)s enregistré.", name=person.name))
                return redirect(url_for("console.consult_people"))
        if submitted == "worker" and worker_form.validate_on_submit():
            try:
                worker = add_health_worker(
                    session,
                    worker_form.phone.data,
                    worker_form.name.data,
                    worker_form.area.data,
                    worker_form.language.data,
                )
            except DomainError as error:
                show_refusal(worker_form, error, "phone")
            else:
                record_audit(session, actor(), AuditAction.CLINICIAN_ADDED, {"phone": worker.phone})
                flash(t("%(name)s enregistré.", name=worker.name))
                return redirect(url_for("console.consult_people"))
        specialists = session.scalars(
            select(Specialist).order_by(Specialist.active.desc(), Specialist.name)
        ).all()
        workers = session.scalars(
            select(HealthWorker).order_by(HealthWorker.active.desc(), HealthWorker.name)
        ).all()
        status = 400 if specialist_form.errors or worker_form.errors else 200
        return (
            render_template(
                "console/consult_people.html",
                specialist_form=specialist_form,
                worker_form=worker_form,
                specialists=specialists,
                workers=workers,
            ),
            status,
        )


@bp.post("/consults/people/<kind>/<int:person_id>/deactivate")
@requires("coordinator")
def consult_person_deactivate(kind: str, person_id: int):
    if kind not in ("specialist", "worker"):
        abort(404)
    with get_db().session() as session:
        person = (
            session.get(Specialist, person_id)
            if kind == "specialist"
            else session.get(HealthWorker, person_id)
        )
        if person is None:
            abort(404)
        set_active(person, False)
        record_audit(session, actor(), AuditAction.CLINICIAN_DEACTIVATED, {"phone": person.phone})
        flash(t("%(name)s ne peut plus être réservé.", name=person.name))
    return redirect(url_for("console.consult_people"))


@bp.route("/consults/sessions", methods=["GET", "POST"])
@requires("coordinator")
def consult_sessions():
    form = ClinicSessionForm()
    with get_db().session() as session:
        form.specialist.choices = _specialist_choices(session)
        form.areas.choices = list(place_choices(session, "area").items())
        if form.validate_on_submit():
            try:
                clinic = add_session(
                    session,
                    _specialist(session, form.specialist.data),
                    first_date=form.first_date.data,
                    starts=_hour(form.starts.data, "starts"),
                    ends=_hour(form.ends.data, "ends"),
                    area_codes=list(form.areas.data or []),
                    weekly_until=form.weekly_until.data,
                    slot_minutes=int(form.slot_minutes.data),
                )
            except DomainError as error:
                show_refusal(form, error, "first_date")
            else:
                record_audit(session, actor(), AuditAction.CLINIC_SESSION_ADDED, {"session": clinic.id})
                flash(t("Séance ajoutée."))
                return redirect(url_for("console.consult_sessions"))
        today = utcnow().astimezone(settings().tz).date()
        clinics = session.scalars(
            select(ClinicSession)
            .where(ClinicSession.active.is_(True), ClinicSession.last_date >= today)
            .order_by(ClinicSession.first_date)
        ).all()
        return (
            render_template(
                "console/consult_sessions.html",
                form=form,
                clinics=clinics,
                cancel_form=CancelSessionDayForm(),
            ),
            400 if form.errors else 200,
        )


@bp.post("/consults/sessions/<int:session_id>/cancel-day")
@requires("coordinator")
def consult_session_cancel_day(session_id: int):
    form = CancelSessionDayForm()
    with get_db().session() as session:
        clinic = session.get(ClinicSession, session_id) or abort(404)
        if not form.validate_on_submit():
            flash(t("Donnez la date et la raison."), "error")
            return redirect(url_for("console.consult_sessions"))
        try:
            cancelled = booking.cancel_session_day(
                session, settings(), clinic, form.day.data, form.reason.data
            )
        except DomainError as error:
            flash(error.text(language()), "error")
            return redirect(url_for("console.consult_sessions"))
        record_audit(
            session,
            actor(),
            AuditAction.CLINIC_SESSION_CANCELLED,
            {"session": clinic.id, "day": form.day.data.isoformat(), "cancelled": len(cancelled)},
        )
        flash(
            t(
                "Séance annulée ce jour-là ; %(n)s consultations annulées, les personnes prévenues.",
                n=len(cancelled),
            )
        )
    return redirect(url_for("console.consult_sessions"))


@bp.get("/consults")
@requires("coordinator")
def consults():
    now = utcnow()
    with get_db().session() as session:
        upcoming = session.scalars(
            select(Consultation)
            .where(
                Consultation.starts_at >= now - timedelta(hours=12),
                Consultation.starts_at < now + timedelta(days=LISTED_DAYS),
                Consultation.status != ConsultStatus.CANCELLED,
            )
            .order_by(Consultation.starts_at)
        ).all()
        rebook = session.scalars(
            select(Consultation)
            .where(Consultation.status == ConsultStatus.MISSED)
            .order_by(Consultation.starts_at.desc())
            .limit(50)
        ).all()
        return render_template("console/consults.html", upcoming=upcoming, rebook=rebook)


@bp.get("/consults/week")
@requires("coordinator")
def consult_week():
    """A week's consultations and free slots for one specialist or one CSCom, a day under another, so that
    it reads on a phone."""
    current = settings()
    chosen = request.args.get("who", "")
    start = parse_day(request.args.get("week")) or local_today()
    first = calendar.monday_of(start)
    with get_db().session() as session:
        specialists = session.scalars(
            select(Specialist).where(Specialist.active.is_(True)).order_by(Specialist.name)
        ).all()
        areas = session.scalars(
            select(Place).where(Place.level == PlaceLevel.AREA).order_by(Place.name)
        ).all()
        whose = {f"s{person.id}": person for person in specialists} | {f"a{area.id}": area for area in areas}
        if chosen not in whose:
            chosen = f"s{specialists[0].id}" if specialists else ""
        target = whose.get(chosen)
        days = (
            calendar.week(
                session,
                first,
                current.tz,
                utcnow(),
                specialist=target if isinstance(target, Specialist) else None,
                area=target if isinstance(target, Place) else None,
            )
            if target is not None
            else []
        )
        return render_template(
            "console/consult_week.html",
            specialists=specialists,
            areas=areas,
            chosen=chosen,
            area=target if isinstance(target, Place) else None,
            days=days,
            first=first,
            before=first - timedelta(days=7),
            after=first + timedelta(days=7),
        )


@bp.route("/consults/new", methods=["GET", "POST"])
@requires("coordinator")
def consult_new():
    form = BookConsultForm()
    referral_id = request.args.get("referral", type=int)
    with get_db().session() as session:
        referral = session.get(Referral, referral_id) if referral_id else None
        if request.method == "GET":
            patient_id = request.args.get("patient", type=int)
            if referral is not None and referral.patient_id:
                patient_id = referral.patient_id
            patient = session.get(Patient, patient_id) if patient_id else None
            form.patient.data = patient.reference if patient is not None else ""
            form.slot.data = request.args.get("slot", "")  # a free slot chosen on the week calendar
        form.slot.choices = _slot_choices(session, None, None)
        form.health_worker.choices = [("", t("Celui de l'aire de santé"))] + _worker_choices(session)
        if form.validate_on_submit():
            try:
                patient = find_patient(session, form.patient.data)
                if patient is None:
                    raise ConsultError(
                        "No patient has the reference or phone %(patient)s.",
                        kind=ErrorKind.NOT_FOUND,
                        field="patient",
                        patient=form.patient.data,
                    )
                specialist, starts_at, area = _slot(session, form.slot.data)
                worker = (
                    session.get(HealthWorker, int(form.health_worker.data))
                    if form.health_worker.data
                    else None
                )
                consult = booking.book(
                    session,
                    settings(),
                    patient=patient,
                    specialist=specialist,
                    area=area,
                    starts_at=starts_at,
                    health_worker=worker,
                    mode=form.mode.data,
                    referral=referral,
                )
            except DomainError as error:
                show_refusal(form, error, "slot")
            else:
                record_audit(
                    session, actor(), AuditAction.CONSULT_BOOKED, {"consultation": consult.reference}
                )
                flash(
                    t(
                        "Consultation %(reference)s réservée ; les trois personnes seront prévenues.",
                        reference=consult.reference,
                    )
                )
                return redirect(url_for("console.consult", reference=consult.reference))
        return render_template(
            "console/consult_new.html", form=form, referral=referral
        ), 400 if form.errors else 200


@bp.route("/consults/<reference>", methods=["GET", "POST"])
@requires("coordinator")
def consult(reference: str):
    move_form, cancel_form, outcome_form = (
        MoveConsultForm(prefix="mv"),
        CancelConsultForm(prefix="cx"),
        ConsultOutcomeForm(prefix="oc"),
    )
    with get_db().session() as session:
        try:
            item = booking.by_reference(session, reference)
        except ConsultError:
            abort(404)
        move_form.slot.choices = _slot_choices(session, item.specialist, item.area)
        action = request.form.get("action")
        done = None
        try:
            if action == "move" and move_form.validate_on_submit():
                _specialist_, starts_at, _area = _slot(session, move_form.slot.data)
                booking.move(session, settings(), item, starts_at)
                done = (
                    AuditAction.CONSULT_MOVED,
                    t("Consultation déplacée ; les trois personnes sont prévenues."),
                )
            elif action == "cancel" and cancel_form.validate_on_submit():
                booking.cancel(session, settings(), item, cancel_form.reason.data)
                done = (
                    AuditAction.CONSULT_CANCELLED,
                    t("Consultation annulée ; les trois personnes sont prévenues."),
                )
            elif action == "outcome" and outcome_form.validate_on_submit():
                attended = outcome_form.attended.data == "yes"
                booking.record_outcome(
                    session,
                    settings(),
                    item,
                    attended=attended,
                    by=actor(),
                    followup_date=outcome_form.followup_date.data,
                    treatment_started=outcome_form.treatment_started.data,
                )
                done = (AuditAction.CONSULT_OUTCOME, t("Issue enregistrée."))
        except DomainError as error:
            form = {"move": move_form, "cancel": cancel_form, "outcome": outcome_form}[action or "move"]
            show_refusal(
                form, error, {"move": "slot", "cancel": "reason", "outcome": "attended"}[action or "move"]
            )
        if done is not None:
            record_audit(session, actor(), done[0], {"consultation": item.reference})
            flash(done[1])
            return redirect(url_for("console.consult", reference=item.reference))
        errors = move_form.errors or cancel_form.errors or outcome_form.errors
        return (
            render_template(
                "console/consult.html",
                item=item,
                move_form=move_form,
                cancel_form=cancel_form,
                outcome_form=outcome_form,
                outcome_open=item.starts_at <= utcnow() + timedelta(minutes=item.minutes),
            ),
            400 if errors else 200,
        )


def consults_of(session: Session, **where: int) -> list[Consultation]:
    """The consultations of a patient or a referral, newest first (for their pages)."""
    query = select(Consultation).order_by(Consultation.starts_at.desc())
    for name, value in where.items():
        query = query.where(getattr(Consultation, name) == value)
    return list(session.scalars(query))


def _slot_choices(
    session: Session, specialist: Specialist | None, area: Place | None
) -> list[tuple[str, str]]:
    """Every free slot in the next BOOKING_DAYS days, for each area its session serves: the value names the
    specialist, the start and the area (`id|ISO|code`)."""
    current = settings()
    now = utcnow()
    today = now.astimezone(current.tz).date()
    people = (
        [specialist]
        if specialist is not None
        else session.scalars(
            select(Specialist).where(Specialist.active.is_(True)).order_by(Specialist.name)
        ).all()
    )
    choices = []
    for person in people:
        for slot in free_slots(session, person, today, today + timedelta(days=BOOKING_DAYS), current.tz, now):
            for place in slot.session.areas:
                if area is not None and place.id != area.id:
                    continue
                label = f"{local(slot.starts_at, 'EEE d MMM HH:mm')} · {person.name} · {place.name}"
                choices.append((f"{person.id}|{slot.starts_at.isoformat()}|{place.code}", label))
    return choices or [("", t("Aucun créneau libre : ajoutez une séance."))]


def _slot(session: Session, value: str) -> tuple[Specialist, datetime, Place]:
    """The specialist, start and area a slot choice names."""
    refused = ConsultError("The specialist has no free slot starting at this time.", field="slot")
    parts = (value or "").split("|")
    if len(parts) != 3 or not parts[0].isdigit():
        raise refused
    try:
        starts_at = datetime.fromisoformat(parts[1])
    except ValueError:
        raise refused from None
    specialist = session.get(Specialist, int(parts[0]))
    if specialist is None or starts_at.tzinfo is None:
        raise refused
    return specialist, starts_at, by_code(session, parts[2], PlaceLevel.AREA, field="slot")


def _specialist_choices(session: Session) -> list[tuple[str, str]]:
    people = session.scalars(select(Specialist).where(Specialist.active.is_(True)).order_by(Specialist.name))
    return [(str(person.id), f"{person.name} ({person.hospital or person.phone})") for person in people]


def _worker_choices(session: Session) -> list[tuple[str, str]]:
    people = session.scalars(
        select(HealthWorker).where(HealthWorker.active.is_(True)).order_by(HealthWorker.name)
    )
    return [(str(person.id), f"{person.name} ({person.area.name})") for person in people]


def _specialist(session: Session, value: str | None) -> Specialist:
    person = session.get(Specialist, int(value)) if value and value.isdigit() else None
    if person is None:
        raise ConsultError(
            "No specialist has the phone %(phone)s.",
            kind=ErrorKind.NOT_FOUND,
            field="specialist",
            phone=value or "",
        )
    return person


def _hour(text: str, field: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise ConsultError("Give the hours as start-end, like 09:00-12:00.", field=field) from None
