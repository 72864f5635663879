"""Form classes of the console (WTForms, with French messages and the console's CSRF token)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    Field,
    Form,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.meta import DefaultMeta
from wtforms.validators import DataRequired, InputRequired, Length, Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from service.console import labels
from service.console.web import t
from service.i18n import _
from service.timeutil import at_local, plausible

LANGUAGE_CHOICES = {"fr": _("Français"), "bm": _("Bamanankan")}
REQUIRED = _("Ce champ est obligatoire.")


class ConsoleForm(FlaskForm):
    """A form whose built-in messages are WTForms' French ones, and whose fixed choices (declared as a
    dict of French labels) read in the console's language. Choices a view fills in (places) are names."""

    class Meta:
        locales = ("fr_FR", "fr")

        def get_translations(self, form):
            return DefaultMeta.get_translations(self, form)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self:
            choices = getattr(field, "choices", None)
            if isinstance(choices, dict):
                field.choices = {value: t(label) for value, label in choices.items()}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class Plausible:
    """A date field's year from FIRST_YEAR to LAST_YEAR (a typo like 20266 is said next to the field)."""

    message = _("Donnez une année de 2000 à 2100.")

    def __call__(self, form: Form, field: Field) -> None:
        if field.data is not None and not plausible(field.data):
            raise StopValidation(self.message)


class LoginForm(ConsoleForm):
    email = EmailField(_("Adresse e-mail"), validators=[DataRequired(REQUIRED)])
    password = PasswordField(_("Mot de passe"), validators=[DataRequired(REQUIRED)])


class UserForm(ConsoleForm):
    email = EmailField(_("Adresse e-mail"), validators=[DataRequired(REQUIRED)])
    name = StringField(_("Nom"), validators=[Optional(), Length(max=120)])
    role = SelectField(_("Rôle"), choices=labels.ROLE)
    password = PasswordField(_("Mot de passe (10 caractères au moins)"), validators=[DataRequired(REQUIRED)])


class UserUpdateForm(ConsoleForm):
    role = SelectField(_("Rôle"), choices=labels.ROLE)
    active = BooleanField(_("Compte actif"))
    password = PasswordField(_("Nouveau mot de passe (laisser vide pour le garder)"), validators=[Optional()])


class TemplateForm(ConsoleForm):
    body_fr = TextAreaField(_("Français"))
    body_bm = TextAreaField(_("Bamanankan"))


class AppointmentForm(ConsoleForm):
    """An appointment on a patient's record."""

    starts_at = DateTimeLocalField(
        _("Date et heure (heure locale)"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(REQUIRED), Plausible()],
    )
    place = SelectField(_("Lieu"), choices=[], validate_choice=False)
    mobile_unit = BooleanField(_("Avec l'équipe mobile"))

    def checked_start(self, tz: ZoneInfo, now: datetime) -> datetime | None:
        """The start as aware UTC if it is ahead and has a place; otherwise errors go next to the fields."""
        place_ok = bool(self.place.data) or self.mobile_unit.data
        if not place_ok:
            self.place.errors.append(_("Choisissez le lieu, ou cochez « avec l'équipe mobile »."))
        starts_at = at_local(self.starts_at.data.date(), self.starts_at.data.time(), tz)
        if starts_at <= now:
            self.starts_at.errors.append(_("Cette date est passée : choisissez un moment à venir."))
            return None
        return starts_at if place_ok else None


class ReferralAppointmentForm(AppointmentForm):
    """An appointment from the referral queue: the patient is found or registered by phone."""

    phone = StringField(_("Téléphone du patient"))
    language = SelectField(_("Langue des SMS"), choices=LANGUAGE_CHOICES)


class MoveAppointmentForm(ConsoleForm):
    starts_at = DateTimeLocalField(
        _("Nouvelle date et heure"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(REQUIRED), Plausible()],
    )


class CloseReferralForm(ConsoleForm):
    outcome = SelectField(_("Issue"), choices=labels.OUTCOME)


class RoundForm(ConsoleForm):
    unit = StringField(
        _("Équipe mobile"),
        validators=[DataRequired(REQUIRED), Length(max=80)],
        description=_(
            "Le nom de l'équipe ou de son véhicule, tel que les relais le connaissent "
            "(ex. : Équipe 1 Tombouctou)."
        ),
    )
    visit_date = DateField(_("Date de la visite"), validators=[InputRequired(REQUIRED), Plausible()])
    places = MultiCheckboxField(
        _("Lieux"),
        coerce=int,
        validators=[DataRequired(_("Choisissez au moins un lieu."))],
        description=_(
            "Les lieux qui attendent une visite viennent d'abord ; les autres villages suivent, "
            "pour planifier à l'avance."
        ),
    )
    note = TextAreaField(_("Note"), validators=[Optional(), Length(max=500)])


class MoveRoundForm(ConsoleForm):
    visit_date = DateField(_("Nouvelle date"), validators=[InputRequired(REQUIRED), Plausible()])


class PatientForm(ConsoleForm):
    phone = StringField(_("Téléphone"), validators=[DataRequired(REQUIRED)])
    language = SelectField(_("Langue des SMS"), choices=LANGUAGE_CHOICES)
    shared_phone = BooleanField(_("Téléphone partagé"))
    sms_consent = BooleanField(_("Accepte de recevoir des SMS"), default=True)
    quiet_hours = StringField(
        _("Heures sans SMS (HH:MM-HH:MM, vide = réglage général)"), validators=[Optional()]
    )
    place = SelectField(_("Lieu"), choices=[], validate_choice=False)
    channel = SelectField(_("Rappels"), choices=labels.PATIENT_CHANNEL, default="sms")
    voice_language = SelectField(_("Langue des appels"), choices=[], validate_choice=False)


class MedicationForm(ConsoleForm):
    times = StringField(_("Heures (HH:MM, séparées par des virgules)"), validators=[DataRequired(REQUIRED)])
    days = MultiCheckboxField(
        _("Jours"),
        choices={
            "0": _("lun"),
            "1": _("mar"),
            "2": _("mer"),
            "3": _("jeu"),
            "4": _("ven"),
            "5": _("sam"),
            "6": _("dim"),
        },
        default=[str(day) for day in range(7)],
        validators=[DataRequired(_("Choisissez au moins un jour."))],
    )
    start_date = DateField(_("Du"), validators=[InputRequired(REQUIRED), Plausible()])
    end_date = DateField(_("Au"), validators=[InputRequired(REQUIRED), Plausible()])


class VolunteerForm(ConsoleForm):
    phone = StringField(_("Téléphone"), validators=[DataRequired(REQUIRED)])
    name = StringField(_("Nom"), validators=[DataRequired(REQUIRED), Length(max=120)])
    language = SelectField(_("Langue"), choices=LANGUAGE_CHOICES)
    area = SelectField(_("Aire de santé"), choices=[], validate_choice=False)
    training = BooleanField(_("Téléphone de formation (n'alerte personne, ne compte nulle part)"))


class OnCallForm(ConsoleForm):
    phone = StringField(_("Téléphone"), validators=[DataRequired(REQUIRED)])
    name = StringField(_("Nom"), validators=[DataRequired(REQUIRED), Length(max=120)])
    language = SelectField(_("Langue"), choices=LANGUAGE_CHOICES)
    district = SelectField(_("District sanitaire"), choices=[], validate_choice=False)


class RecordingForm(ConsoleForm):
    audio = FileField(_("Fichier audio (WAV ou MP3)"), validators=[FileRequired(REQUIRED)])
    transcript = TextAreaField(
        _("Ce que dit l'enregistrement (vérifié comme un SMS)"), validators=[DataRequired(REQUIRED)]
    )


class Dhis2PushForm(ConsoleForm):
    period = StringField(
        _("Période (AAAAMM, ou AAAAWn pour une semaine)"), validators=[DataRequired(REQUIRED)]
    )
    dry_run = BooleanField(_("Essai : DHIS2 dit ce qu'il importerait, sans rien importer"))


class Dhis2OrgUnitForm(ConsoleForm):
    area = SelectField(_("Aire de santé"), validators=[DataRequired(REQUIRED)])
    org_unit = StringField(_("Unité d'organisation DHIS2 (uid, vide pour aucune)"), validators=[Optional()])


class SpecialistForm(ConsoleForm):
    phone = StringField(_("Téléphone"), validators=[DataRequired(REQUIRED)])
    name = StringField(_("Nom"), validators=[DataRequired(REQUIRED), Length(max=120)])
    role = SelectField(_("Métier"), choices=labels.SPECIALIST_ROLE)
    hospital = StringField(_("Hôpital"), validators=[Optional(), Length(max=120)])
    language = SelectField(_("Langue des SMS"), choices=LANGUAGE_CHOICES)


class HealthWorkerForm(ConsoleForm):
    phone = StringField(_("Téléphone"), validators=[DataRequired(REQUIRED)])
    name = StringField(_("Nom"), validators=[DataRequired(REQUIRED), Length(max=120)])
    area = SelectField(_("Aire de santé (CSCom)"), choices=[], validate_choice=False)
    language = SelectField(_("Langue des SMS"), choices=LANGUAGE_CHOICES)


class ClinicSessionForm(ConsoleForm):
    specialist = SelectField(_("Spécialiste"), choices=[], validate_choice=False)
    first_date = DateField(
        _("Date (la première, si chaque semaine)"), validators=[InputRequired(REQUIRED), Plausible()]
    )
    weekly_until = DateField(
        _("Chaque semaine jusqu'au (vide : une seule date)"), validators=[Optional(), Plausible()]
    )
    starts = StringField(_("Début (HH:MM)"), validators=[DataRequired(REQUIRED)])
    ends = StringField(_("Fin (HH:MM)"), validators=[DataRequired(REQUIRED)])
    slot_minutes = SelectField(
        _("Durée d'une consultation"),
        choices={
            "15": _("15 min"),
            "20": _("20 min"),
            "30": _("30 min"),
            "45": _("45 min"),
            "60": _("60 min"),
        },
        default="30",
    )
    areas = MultiCheckboxField(_("Aires de santé desservies"), choices=[], validate_choice=False)


class CancelSessionDayForm(ConsoleForm):
    day = DateField(_("Date sans séance"), validators=[InputRequired(REQUIRED), Plausible()])
    reason = StringField(_("Raison"), validators=[DataRequired(REQUIRED), Length(max=200)])


class BookConsultForm(ConsoleForm):
    patient = StringField(_("Patient (référence ou téléphone)"), validators=[DataRequired(REQUIRED)])
    slot = SelectField(_("Créneau"), choices=[], validate_choice=False)
    health_worker = SelectField(_("Agent de santé"), choices=[], validate_choice=False)
    mode = SelectField(_("Par"), choices=labels.CONSULT_MODE, default="phone")


class MoveConsultForm(ConsoleForm):
    slot = SelectField(_("Nouveau créneau"), choices=[], validate_choice=False)


class CancelConsultForm(ConsoleForm):
    reason = StringField(_("Raison"), validators=[DataRequired(REQUIRED), Length(max=200)])


class ConsultOutcomeForm(ConsoleForm):
    attended = SelectField(_("Le patient est-il venu ?"), choices={"yes": _("Venu"), "no": _("Absent")})
    followup_date = DateField(_("Date de suivi (s'il est venu)"), validators=[Optional(), Plausible()])
    treatment_started = BooleanField(_("Un traitement a commencé"))
