"""Patients: list and search, registration, the record (audited when viewed), its appointments,
medication plans and messages. The rules live in service.care; these views parse and answer."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service.accounts import AuditAction, record_audit
from service.care.appointments import (
    cancel_appointment,
    mark_attended,
    move_appointment,
    replan_reminders,
    schedule_appointment,
)
from service.care.dates import parse_times
from service.care.erasure import erase_patient
from service.care.errors import CareError
from service.care.medication import add_medication_plan, cancel_medication_plan, replan_medication
from service.care.patients import add_patient, opt_in, opt_out, place_for, update_patient
from service.console import labels
from service.console.auth import requires
from service.console.blueprint import bp
from service.console.consults import consults_of
from service.console.forms import AppointmentForm, MedicationForm, MoveAppointmentForm, PatientForm
from service.console.referrals import facility_choices
from service.console.web import (
    actor,
    erasure_confirmed,
    language,
    language_label,
    paginate,
    settings,
    show_refusal,
    t,
)
from service.db import get_db
from service.errors import DomainError
from service.models import Appointment, MedicationPlan, OutboundMessage, Patient, Place, Referral
from service.timeutil import at_local, utcnow
from service.voice.calls import UNREACHED_REMINDERS, unreached_reminders

CONSOLE_SOURCE = "console"


@bp.get("/patients")
@requires("coordinator")
def patients():
    query = select(Patient).order_by(Patient.created_at.desc(), Patient.id.desc())
    search = request.args.get("q", "").strip()
    if search:
        digits = "".join(ch for ch in search if ch.isdigit())
        conditions = [Patient.reference == search.upper()]
        if len(digits) >= 4:
            conditions.append(Patient.phone.contains(digits[-8:]))
        query = query.where(or_(*conditions))
    with get_db().session() as session:
        return render_template("console/patients.html", page=paginate(session, query), search=search)


@bp.route("/patients/new", methods=["GET", "POST"])
@requires("coordinator")
def patient_new():
    form = PatientForm()
    with get_db().session() as session:
        form.place.choices = facility_choices(session)
        form.voice_language.choices = voice_language_choices()
        if form.validate_on_submit():
            try:
                with session.begin_nested():
                    patient = add_patient(session, form.phone.data, **_patient_fields(form))
            except DomainError as error:
                show_refusal(form, error, "phone")
            else:
                record_audit(session, actor(), AuditAction.PATIENT_ADDED, {"patient": patient.reference})
                flash(t("Patient %(ref)s enregistré.", ref=patient.reference))
                return redirect(url_for("console.patient", patient_id=patient.id))
        return render_template("console/patient_new.html", form=form), 400 if form.errors else 200


def _patient_fields(form) -> dict:
    """What the new-patient and edit forms both set, as keyword arguments of service.care.patients."""
    return {
        "language": form.language.data,
        "shared_phone": form.shared_phone.data,
        "quiet_hours": form.quiet_hours.data or None,
        "sms_consent": form.sms_consent.data,
        "place_code": form.place.data or None,
        "channel": form.channel.data,
        "voice_language": form.voice_language.data or None,
        "voice_languages": settings().voice_languages,
    }


def voice_language_choices() -> list[tuple[str, str]]:
    """The voice languages, the SMS language first (the empty choice)."""
    return [("", t("Celle des SMS"))] + [(code, language_label(code)) for code in settings().voice_languages]


@bp.get("/patients/<int:patient_id>")
@requires("coordinator")
def patient(patient_id: int):
    with get_db().session() as session:
        person = session.get(Patient, patient_id) or abort(404)
        record_audit(session, actor(), AuditAction.PATIENT_VIEWED, {"patient": person.reference})
        edit_form = PatientForm(formdata=None, obj=person)
        place = session.get(Place, person.place_id) if person.place_id else None
        edit_form.place.data = place.code if place else ""
        return _record(session, person, edit_form=edit_form)


def _record(session: Session, person: Patient, status: int = 200, **forms):
    """The patient's record page, with any form that failed shown with its errors."""
    edit_form = forms.get("edit_form") or PatientForm(formdata=None, obj=person)
    appointment_form = forms.get("appointment_form") or AppointmentForm(formdata=None)
    medication_form = forms.get("medication_form") or MedicationForm(formdata=None)
    choices = facility_choices(session)
    edit_form.place.choices = appointment_form.place.choices = choices
    edit_form.voice_language.choices = voice_language_choices()
    appointments = session.scalars(
        select(Appointment).where(Appointment.patient_id == person.id).order_by(Appointment.starts_at.desc())
    ).all()
    plans = session.scalars(
        select(MedicationPlan)
        .where(MedicationPlan.patient_id == person.id)
        .order_by(MedicationPlan.start_date.desc())
    ).all()
    referrals = session.scalars(select(Referral).where(Referral.patient_id == person.id)).all()
    messages = paginate(
        session,
        select(OutboundMessage)
        .where(OutboundMessage.patient_id == person.id)
        .order_by(OutboundMessage.due_at.desc(), OutboundMessage.id.desc()),
    )
    html = render_template(
        "console/patient.html",
        not_reached=unreached_reminders(session, person.id, utcnow()) >= UNREACHED_REMINDERS,
        patient=person,
        appointments=appointments,
        plans=plans,
        referrals=referrals,
        consults=consults_of(session, patient_id=person.id),
        messages=messages,
        edit_form=edit_form,
        appointment_form=appointment_form,
        medication_form=medication_form,
        move_form=MoveAppointmentForm(formdata=None),
        labels=labels,
    )
    return html, status


def _patient_or_404(session: Session, patient_id: int) -> Patient:
    return session.get(Patient, patient_id) or abort(404)


@bp.post("/patients/<int:patient_id>/edit")
@requires("coordinator")
def patient_edit(patient_id: int):
    form = PatientForm()
    with get_db().session() as session:
        person = _patient_or_404(session, patient_id)
        form.place.choices = facility_choices(session)
        form.voice_language.choices = voice_language_choices()
        if form.validate():
            try:
                with session.begin_nested():
                    before = (person.quiet_hours, person.channel, person.voice_language)
                    update_patient(session, person, phone=form.phone.data, **_patient_fields(form))
                    if (person.quiet_hours, person.channel, person.voice_language) != before:
                        replan_reminders(session, settings(), person)
                        replan_medication(session, settings(), person)
            except DomainError as error:
                show_refusal(form, error, "phone")
            else:
                record_audit(session, actor(), AuditAction.PATIENT_UPDATED, {"patient": person.reference})
                flash(t("Dossier mis à jour."))
                return redirect(url_for("console.patient", patient_id=patient_id))
        session.refresh(person)
        return _record(session, person, 400, edit_form=form)


@bp.post("/patients/<int:patient_id>/<any('opt-out', 'opt-in'):change>")
@requires("coordinator")
def patient_optout(patient_id: int, change: str):
    with get_db().session() as session:
        person = _patient_or_404(session, patient_id)
        if change == "opt-out":
            opt_out(session, person.phone, CONSOLE_SOURCE)
            flash(t("Plus aucun SMS ne partira vers ce numéro."))
        else:
            opt_in(session, person)
            flash(t("Le patient recevra de nouveau des SMS (les rappels annulés ne reviennent pas)."))
        record_audit(
            session,
            actor(),
            AuditAction(f"patient_{change.replace('-', '_')}"),
            {"patient": person.reference},
        )
    return redirect(url_for("console.patient", patient_id=patient_id))


@bp.post("/patients/<int:patient_id>/forget")
@requires("admin")
def patient_forget(patient_id: int):
    """Erase the patient on request; the audit log keeps who and why, not what."""
    if not erasure_confirmed():
        return redirect(url_for("console.patient", patient_id=patient_id))
    try:
        with get_db().session() as session:
            person = _patient_or_404(session, patient_id)
            erase_patient(session, person, actor(), request.form.get("reason"), utcnow())
    except DomainError as refused:
        flash(refused.text(language()), "error")
        return redirect(url_for("console.patient", patient_id=patient_id))
    flash(
        t("Dossier %(ref)s effacé : numéro, textes des SMS, réponses et liens retirés.", ref=person.reference)
    )
    return redirect(url_for("console.patients"))


@bp.post("/patients/<int:patient_id>/appointments")
@requires("coordinator")
def appointment_new(patient_id: int):
    form = AppointmentForm()
    with get_db().session() as session:
        person = _patient_or_404(session, patient_id)
        form.place.choices = facility_choices(session)
        starts_at = form.validate() and form.checked_start(settings().tz, utcnow())
        if starts_at:
            try:
                with session.begin_nested():
                    appointment = schedule_appointment(
                        session,
                        settings(),
                        person,
                        starts_at,
                        place=place_for(session, form.place.data or None),
                        mobile_unit=form.mobile_unit.data,
                    )
            except DomainError as error:
                show_refusal(form, error, "starts_at")
            else:
                record_audit(
                    session,
                    actor(),
                    AuditAction.APPOINTMENT_ADDED,
                    {"patient": person.reference, "appointment": appointment.id},
                )
                flash(t("Rendez-vous enregistré, rappels programmés."))
                return redirect(url_for("console.patient", patient_id=patient_id))
        return _record(session, person, 400, appointment_form=form)


@bp.post("/appointments/<int:appointment_id>/<any(move, cancel, attended):change>")
@requires("coordinator")
def appointment_change(appointment_id: int, change: str):
    with get_db().session() as session:
        appointment = session.get(Appointment, appointment_id) or abort(404)
        form = MoveAppointmentForm()
        try:
            with session.begin_nested():
                if change == "move":
                    if not form.validate():
                        raise CareError(t("Donnez la nouvelle date et l'heure."))
                    data = form.starts_at.data
                    move_appointment(
                        session, settings(), appointment, at_local(data.date(), data.time(), settings().tz)
                    )
                elif change == "cancel":
                    cancel_appointment(session, appointment)
                else:
                    mark_attended(session, appointment)
        except DomainError as error:
            flash(error.text(language()), "error")
        else:
            record_audit(
                session, actor(), AuditAction(f"appointment_{change}"), {"appointment": appointment.id}
            )
            flash(t("Rendez-vous mis à jour."))
        return redirect(url_for("console.patient", patient_id=appointment.patient_id))


@bp.post("/patients/<int:patient_id>/medication")
@requires("coordinator")
def medication_new(patient_id: int):
    form = MedicationForm()
    with get_db().session() as session:
        person = _patient_or_404(session, patient_id)
        if form.validate():
            try:
                with session.begin_nested():
                    plan = add_medication_plan(
                        session,
                        settings(),
                        person,
                        parse_times(form.times.data),
                        "".join(form.days.data),
                        form.start_date.data,
                        form.end_date.data,
                    )
            except DomainError as error:
                show_refusal(form, error, "times")
            else:
                record_audit(
                    session,
                    actor(),
                    AuditAction.MEDICATION_ADDED,
                    {"patient": person.reference, "plan": plan.id},
                )
                flash(t("Plan de rappels enregistré."))
                return redirect(url_for("console.patient", patient_id=patient_id))
        return _record(session, person, 400, medication_form=form)


@bp.post("/medication/<int:plan_id>/cancel")
@requires("coordinator")
def medication_cancel(plan_id: int):
    with get_db().session() as session:
        plan = session.get(MedicationPlan, plan_id) or abort(404)
        cancel_medication_plan(session, plan)
        record_audit(session, actor(), AuditAction.MEDICATION_CANCELLED, {"plan": plan.id})
    flash(t("Plan de rappels arrêté."))
    return redirect(url_for("console.patient", patient_id=plan.patient_id))
