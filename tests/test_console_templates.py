"""The SMS template editor: preview, refusals next to the field, versions, diff and restore."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from console_support import sign_in
from sqlalchemy import select

from service.console.editor import word_diff
from service.models import AuditEntry, MessageTemplate
from service.outbox.discretion import forbidden_words
from service.outbox.kinds import MESSAGE_KINDS, default_texts
from service.outbox.rows import schedule_message
from service.outbox.templates import current_body

KIND = "referral_ack"


@pytest.fixture
def coordinator(app, client, db):
    return sign_in(app, client, db, "coordinator")


def bodies(fr: str | None = None, bm: str | None = None) -> dict[str, str]:
    defaults = default_texts()[KIND]
    return {"body_fr": defaults["fr"] if fr is None else fr, "body_bm": defaults["bm"] if bm is None else bm}


def error_after(field_id: str, html: str) -> str:
    """The error text shown in the same field block as the textarea `field_id`."""
    block = re.search(rf'<textarea[^>]*id="{field_id}".*?</div>', html, re.S).group(0)
    return " ".join(re.findall(r'<p class="error">(.*?)</p>', block))


def saved_versions(db, language: str) -> list[MessageTemplate]:
    with db.session() as session:
        return list(
            session.scalars(
                select(MessageTemplate)
                .where(MessageTemplate.kind == KIND, MessageTemplate.language == language)
                .order_by(MessageTemplate.version)
            )
        )


def test_editor_lists_every_message_kind(client, coordinator):
    page = client.get("/console/templates").get_data(as_text=True)

    assert len(MESSAGE_KINDS) >= 10
    for kind in MESSAGE_KINDS:
        assert f"/console/templates/{kind}" in page


def test_editor_renders_the_preview_on_the_server(client, coordinator):
    page = client.get(f"/console/templates/{KIND}").get_data(as_text=True)
    assert "R4M9" in page  # the sample reference, rendered without JavaScript
    assert re.search(r'data-role="sent_segments">\d<', page)
    assert re.search(r'data-role="encoding">(GSM-7|UCS-2)<', page)


def test_preview_endpoint_reports_encoding_segments_and_forcing_characters(client, coordinator):
    response = client.post(
        f"/console/templates/{KIND}/preview",
        json={"language": "bm", "body": "I ni cɛ, {reference} ka kɛnɛya."},
    )
    data = response.get_json()
    assert response.status_code == 200
    preview = data["preview"]
    assert preview["encoding"] == "UCS-2" and preview["forcing_chars"] == ["ɛ"]
    assert preview["gsm7_text"] == "I ni cè, R4M9 ka kènèya." and preview["gsm7_encoding"] == "GSM-7"
    assert preview["segments"] == 1 and data["errors"] == []
    longer = client.post(f"/console/templates/{KIND}/preview", json={"language": "fr", "body": "é" * 200})
    assert longer.get_json()["preview"]["segments"] == 2


def test_saving_both_languages_makes_new_versions_and_an_audit_entry(client, db, coordinator):
    response = client.post(f"/console/templates/{KIND}", data=bodies(fr="Merci, votre code est {reference}."))
    assert response.status_code == 302
    assert [t.body for t in saved_versions(db, "fr")] == ["Merci, votre code est {reference}."]
    assert saved_versions(db, "bm") == []  # unchanged: no new version
    with db.session() as session:
        assert current_body(session, KIND, "fr") == "Merci, votre code est {reference}."
        audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "template_saved"))
    assert "fr v1" in audit.detail and audit.actor == "coordinator@jigi.ml"


def test_unknown_placeholder_is_refused_next_to_its_field(client, db, coordinator):
    response = client.post(f"/console/templates/{KIND}", data=bodies(bm="I ni cɛ {nom}"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Variable inconnue : {nom}" in error_after("body_bm", html)
    assert error_after("body_fr", html) == ""
    assert saved_versions(db, "bm") == []


def test_an_empty_language_is_refused(client, db, coordinator):
    response = client.post(f"/console/templates/{KIND}", data=bodies(fr="Code {reference}", bm="  "))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "les deux langues" in error_after("body_bm", html)
    assert saved_versions(db, "fr") == []  # nothing is saved when one language is refused


@pytest.mark.parametrize(
    "text", ["Rendez-vous PSYCHIATRIQUE {reference}", "Votre dépression {reference}", "halopéridol"]
)
def test_a_revealing_word_is_refused(client, db, coordinator, text):
    response = client.post(f"/console/templates/{KIND}", data=bodies(fr=text))
    assert response.status_code == 400
    assert "Mot interdit" in error_after("body_fr", response.get_data(as_text=True))


def test_forbidden_words_come_from_the_settings(app, client, db, coordinator):
    app.extensions["jigi.settings"] = replace(
        app.extensions["jigi.settings"], forbidden_words_extra=("clinique",)
    )
    response = client.post(
        f"/console/templates/{KIND}", data=bodies(fr="La Clinique vous attend {reference}")
    )
    assert "Mot interdit, il révèlerait une maladie ou un médicament : Clinique." in error_after(
        "body_fr", response.get_data(as_text=True)
    )


def test_a_text_over_its_segment_budget_is_refused(client, db, coordinator):
    response = client.post(f"/console/templates/{KIND}", data=bodies(fr="Bonjour " * 45 + "{reference}"))
    assert response.status_code == 400
    assert "Trop long : 3 SMS une fois converti, 2 au plus" in error_after(
        "body_fr", response.get_data(as_text=True)
    )


def test_versions_are_compared_word_by_word_and_restored_as_a_new_version(client, db, coordinator):
    client.post(f"/console/templates/{KIND}", data=bodies(fr="Merci, code {reference}."))
    client.post(f"/console/templates/{KIND}", data=bodies(fr="Merci, votre code {reference}."))
    page = client.get(f"/console/templates/{KIND}/versions?language=fr").get_data(as_text=True)
    assert re.search(r"<ins>\s*votre\s*</ins>", page) and "<del>" not in page
    first = saved_versions(db, "fr")[0]
    response = client.post(f"/console/templates/{KIND}/versions/{first.id}/restore")
    assert response.status_code == 302
    versions = saved_versions(db, "fr")
    assert [(t.version, t.body) for t in versions][-1] == (3, "Merci, code {reference}.")
    with db.session() as session:
        assert current_body(session, KIND, "fr") == "Merci, code {reference}."


def test_a_refused_save_still_shows_the_preview_and_names_the_word_as_written(client, db, coordinator):
    response = client.post(
        f"/console/templates/{KIND}", data=bodies(fr="Votre Dépression 😊 {date} {reference}")
    )
    html = response.get_data(as_text=True)
    block = re.search(r'id="body_fr-preview".*?</section>', html, re.S).group(0)

    assert response.status_code == 400
    assert "Mot interdit, il révèlerait une maladie ou un médicament : Dépression." in error_after(
        "body_fr", html
    )
    assert "depression" not in html and "dépressi," not in html
    assert 'data-role="encoding">UCS-2<' in block and ">😊</strong>" in block
    assert "Votre Dépression 😊 {date} R" in block and "(, SMS)" not in block and "—" not in block


def test_the_shipped_text_is_restored_like_any_version(client, db, coordinator):
    client.post(f"/console/templates/{KIND}", data=bodies(fr="Merci, code {reference}."))
    page = client.get(f"/console/templates/{KIND}/versions?language=fr").get_data(as_text=True)
    assert f"/console/templates/{KIND}/fr/restore-shipped" in page

    client.post(f"/console/templates/{KIND}/fr/restore-shipped")

    assert [t.version for t in saved_versions(db, "fr")] == [1, 2]
    with db.session() as session:
        assert current_body(session, KIND, "fr") == default_texts()[KIND]["fr"]


def test_a_planned_sms_shows_the_text_the_patient_will_read(client, db, coordinator):
    with db.session() as session:
        message = schedule_message(
            session, kind=KIND, recipient="+22376123456", language="fr", params={"reference": "R7K9"}
        )
        session.flush()
        message_id = message.id
    client.post(f"/console/templates/{KIND}", data=bodies(fr="Merci, code {reference}."))

    page = client.get(f"/console/messages/{message_id}").get_data(as_text=True)

    assert "Texte prévu" in page and "Merci, code R7K9." in page


def test_forbidden_words_match_whole_words_without_accents_or_case():
    words = ("fou", "psy*", "santé mentale", "fatɔ")
    assert forbidden_words("Nous allons vous fournir un bon", words) == []
    assert forbidden_words("Le Fou du village", words) == ["fou"]
    assert forbidden_words("Votre psychologue", words) == ["psy"]
    assert forbidden_words("SANTE MENTALE", words) == ["santé mentale"]
    assert forbidden_words("a ye fatò ye", words) == ["fatɔ"]


def test_word_diff_marks_what_changed():
    assert word_diff("a b c", "a x c") == [("equal", "a "), ("delete", "b"), ("insert", "x"), ("equal", " c")]
