"""SMS templates: shipped defaults, coordinators' versions, rendering, previews and discretion."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

import pytest

from service.errors import DomainError
from service.i18n import LANGUAGES
from service.models import Kind
from service.outbox.kinds import KINDS, MESSAGE_KINDS, default_texts
from service.outbox.templates import (
    TemplateError,
    check_defaults,
    current_body,
    preview,
    render,
    render_body,
    save_template,
    unknown_placeholders,
)

# DESIGN.md §5: a message never reveals a diagnosis, the service or a medicine.
REVEALING = re.compile(
    r"sante mentale|mental|psy|suicid|depress|psychos|epilep|demence|alcool|drogue|fura|"
    r"hakilibana|fatɔ|traitement|medicament|comprime",
    re.IGNORECASE,
)


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", MESSAGE_KINDS)
def test_every_kind_has_a_discreet_default_within_two_segments(kind, language, settings):
    body = default_texts()[kind][language]
    shown = preview(body, kind, language, settings)

    assert unknown_placeholders(body, kind) == []
    assert not REVEALING.search(_plain(shown.text)), shown.text
    assert shown.sent_text == shown.gsm7_text
    assert shown.gsm7_encoding == "GSM-7"
    assert shown.gsm7_segments <= 2, f"{shown.gsm7_segments} segments: {shown.gsm7_text}"


def test_bambara_default_keeps_standard_orthography_until_sent(settings):
    shown = preview(default_texts()["appointment_day_before"]["bm"], "appointment_day_before", "bm", settings)

    assert "sɔn" in shown.text
    assert shown.encoding == "UCS-2"
    assert "ɔ" in shown.forcing_chars
    assert "sòn" in shown.sent_text
    assert shown.sent_segments < shown.segments


def test_preview_without_conversion_sends_the_proper_spelling(settings):
    body = default_texts()["followup_checkin"]["bm"]
    shown = preview(body, "followup_checkin", "bm", replace(settings, gsm7_conversion=False))

    assert shown.sent_text == shown.text
    assert shown.sent_segments == shown.segments


def test_appointment_reminder_shows_local_date_and_time(db, settings):
    params = {"reference": "P7K2", "starts_at": "2025-05-13T08:30:00+00:00", "place": "CSCom Bellafarandi"}
    lagos = replace(settings, timezone="Africa/Lagos")  # UTC+1: the local time must move

    with db.session() as session:
        french = render(session, "appointment_day_before", "fr", params, lagos)
        bambara = render(session, "appointment_day_before", "bm", params, lagos)

    assert "demain mardi 13 mai à 09:30, CSCom Bellafarandi." in french
    assert "tarata 13 mɛ, 09:30 waati, CSCom Bellafarandi" in bambara


def test_mobile_unit_appointment_names_no_place(db, settings):
    params = {"reference": "P7K2", "starts_at": "2025-05-13T08:30:00+00:00", "place": ""}

    with db.session() as session:
        text = render(session, "appointment_same_day", "fr", params, settings)

    assert "08:30, passage de l'équipe mobile." in text


def test_every_kind_may_use_the_hotline(settings):
    text = render_body(
        "Appelez le {hotline} ({reference})", "referral_ack", "fr", {"reference": "R1"}, settings
    )

    assert text == f"Appelez le {settings.hotline} (R1)"


def test_saved_version_overrides_the_default_and_newest_wins(db, settings):
    with db.session() as session:
        first = save_template(session, "referral_ack", "fr", "Reçu {reference}.", "coord@jigi.ml", settings)
        second = save_template(
            session, "referral_ack", "fr", "Bien reçu: {reference}.", "coord@jigi.ml", settings
        )
    with db.session() as session:
        body = current_body(session, "referral_ack", "fr")
        other_language = current_body(session, "referral_ack", "bm")
        text = render(session, "referral_ack", "fr", {"reference": "R4M9"}, settings)

    assert (first.version, second.version) == (1, 2)
    assert body == "Bien reçu: {reference}."
    assert other_language == default_texts()["referral_ack"]["bm"]
    assert text == "Bien reçu: R4M9."


def test_unknown_placeholders_are_listed_once_each():
    body = "Cas {reference} à {village}, {diagnosis} {diagnosis} {hotline}"

    assert unknown_placeholders(body, "referral_ack") == ["village", "diagnosis"]
    assert unknown_placeholders("Oups {reference", "referral_ack") == ["{"]


def test_rendering_refuses_unknown_placeholders_and_missing_params(settings):
    with pytest.raises(TemplateError, match="unknown placeholders: village"):
        render_body("{village}", "referral_ack", "fr", {"reference": "R1"}, settings)
    with pytest.raises(TemplateError, match="'reference' is missing"):
        render_body("{reference}", "referral_ack", "fr", {}, settings)
    with pytest.raises(TemplateError, match="bad date"):
        render_body("{time}", "medication", "fr", {"reference": "P1", "dose_at": "demain"}, settings)


def test_every_kind_has_shipped_texts_that_pass_its_rules(settings):
    assert set(default_texts()) == set(KINDS)
    check_defaults(settings)


def test_shipped_text_with_a_forbidden_word_stops_the_start(settings, monkeypatch):
    texts = {kind: dict(bodies) for kind, bodies in default_texts().items()}
    texts["medication"]["fr"] = "Jigi: prenez votre halopéridol à {time}."
    monkeypatch.setattr("service.outbox.templates.default_texts", lambda: texts)

    with pytest.raises(ValueError, match="medication/fr"):
        check_defaults(settings)


def test_saving_a_template_with_a_forbidden_word_is_refused_on_the_body(db, settings):
    with db.session() as session, pytest.raises(DomainError) as refused:
        save_template(session, "medication", "fr", "Votre halopéridol à {time}.", "coord@jigi.ml", settings)

    assert refused.value.field == "body" and "halopéridol" in str(refused.value)


def test_the_registry_describes_every_kind_the_schema_allows():
    assert set(KINDS) == set(Kind) and len(KINDS) >= 10
