"""The translators' workflow: every message side by side, edits that reach the next USSD screen without
a deploy, reviews that hold until the French changes, and PO files round-tripped with Babel."""

from __future__ import annotations

import io

import pytest
from babel.messages.pofile import read_po, write_po
from console_support import sign_in
from sqlalchemy import select
from test_ussd_endpoint import AWA, screen, walk

from service import translations
from service.i18n import LOCALES_DIR, gettext, set_overrides
from service.models import AuditEntry, Referral, Translation

CHOOSE = "Jigi: choose"


@pytest.fixture(autouse=True)
def no_overrides_left():
    """The texts in force are per process: each test starts and ends with the shipped ones."""
    set_overrides({})
    yield
    set_overrides({})


def edit(client, msgid: str, text: str, language: str = "bm", reviewed: bool = False):
    form = {"m": msgid, "in": language, "text": text}
    if reviewed:
        form["reviewed"] = "1"
    return client.post("/console/translations/edit", data=form)


def test_a_translator_lands_on_the_translations_and_sees_no_persons_data(app, client, db):
    sign_in(app, client, db, "translator")

    page = client.get("/console/translations?in=bm&area=ussd")

    assert page.status_code == 200 and "I ka sugandili ma ɲɛ." in page.get_data(as_text=True)
    assert client.get("/console/").status_code == 403
    assert client.get("/console/referrals").status_code == 403


def test_a_reviewed_bambara_edit_shows_on_the_next_ussd_screen(app, client, db, demo):
    sign_in(app, client, db, "translator")

    saved = edit(client, CHOOSE, "Jigi: sugandi kɛ", reviewed=True)

    assert saved.status_code == 302
    assert screen(client, "", phone=AWA).startswith("CON Jigi: sugandi kè")
    listed = client.get("/console/translations?in=bm&status=reviewed").get_data(as_text=True)
    assert "Jigi: sugandi kɛ" in listed and "relu par translator@jigi.ml" in listed
    with db.session() as session:
        assert session.scalars(select(AuditEntry.action)).all()[-1] == "translation_saved"


@pytest.mark.parametrize(
    ("msgid", "text", "why"),
    [
        ("This number cannot use Jigi. Call %(hotline)s.", "Nin nimɔrɔ tɛ se. A wele.", "Gardez les valeurs"),
        (CHOOSE, "Jigi " + "sugandi " * 25, "Trop long pour un écran de téléphone"),
        (CHOOSE, "   ", "Écrivez la traduction"),
        (CHOOSE, "Jigi: 100% sugandi", "Ce texte ne peut pas être complété"),
        (
            "Case recorded: %(reference)s. The health team will follow up. Thank you.",
            "Laseli sɛbɛnna: %(reference)d. I ni cɛ.",
            "Gardez les valeurs",
        ),
    ],
)
def test_a_text_that_would_break_a_screen_is_refused_next_to_the_field(app, client, db, msgid, text, why):
    sign_in(app, client, db, "translator")

    refused = edit(client, msgid, text)

    assert refused.status_code == 400 and why in refused.get_data(as_text=True)
    with db.session() as session:
        assert session.scalars(select(Translation)).all() == []


def test_a_review_holds_until_the_french_changes(app, client, db):
    sign_in(app, client, db, "admin")
    edit(client, CHOOSE, "Jigi: sugandi kɛ", reviewed=True)
    with db.session() as session:
        assert translations.find(session, "bm", CHOOSE).status == "reviewed"

    edit(client, CHOOSE, "Jigi : faites un choix", language="fr")

    with db.session() as session:
        assert translations.find(session, "bm", CHOOSE).status == "draft"
        counts = translations.completeness(session)
    assert counts["bm"]["reviewed"] == 0 and 0 < counts["bm"]["translated"] <= counts["bm"]["total"]


def test_po_files_round_trip_through_babel_and_come_back_reviewed(runner, db):
    exported = runner.invoke(args=["translations", "export", "--language", "bm", "--area", "ussd"])
    assert exported.exit_code == 0, exported.output
    catalog = read_po(io.BytesIO(exported.stdout_bytes), locale="bm")
    assert catalog[CHOOSE].string == "Jigi: i ka sugandi" and "fuzzy" in catalog[CHOOSE].flags
    catalog[CHOOSE].string = "Jigi: sugandi kɛ"
    edited = io.BytesIO()
    write_po(edited, catalog)

    imported = runner.invoke(
        args=["translations", "import", "-", "--language", "bm", "--by", "Awa Traoré", "--reviewed"],
        input=edited.getvalue(),
    )

    assert imported.exit_code == 0, imported.output
    again = read_po(
        io.BytesIO(runner.invoke(args=["translations", "export", "--area", "ussd"]).stdout_bytes), locale="bm"
    )
    assert again[CHOOSE].string == "Jigi: sugandi kɛ" and "fuzzy" not in again[CHOOSE].flags
    assert any("reviewed by Awa Traoré" in comment for comment in again[CHOOSE].auto_comments)
    with db.session() as session:
        stored = session.scalars(select(Translation)).all()
    assert all(row.reviewed_by == "Awa Traoré" for row in stored) and len(stored) == len(list(again)) - 1


def test_an_import_with_a_broken_text_stores_nothing(runner, db):
    catalog = read_po(
        io.BytesIO(runner.invoke(args=["translations", "export", "--area", "ussd"]).stdout_bytes), locale="bm"
    )
    catalog[CHOOSE].string = "Jigi: sugandi kɛ"
    catalog["This number cannot use Jigi. Call %(hotline)s."].string = "A wele."
    edited = io.BytesIO()
    write_po(edited, catalog)

    result = runner.invoke(args=["translations", "import", "-", "--by", "X"], input=edited.getvalue())

    assert result.exit_code == 1 and "Nothing was imported" in result.output
    with db.session() as session:
        assert session.scalars(select(Translation)).all() == []


def test_every_word_of_the_console_is_in_its_catalog_for_translators():
    """A console word missing from console.po could never be translated: `translations update-console`."""
    with (LOCALES_DIR / "bm" / "LC_MESSAGES" / "console.po").open("rb") as po_file:
        catalog = read_po(po_file, locale="bm")
    listed = {message.id for message in catalog if message.id}
    code = translations.console_msgids()

    assert len(code) > 300 and "Tableau de bord" in code
    assert [msgid for msgid in code if msgid not in listed] == []


def test_a_console_word_translated_in_the_console_shows_in_the_bambara_console(app, client, db):
    sign_in(app, client, db, "admin")
    edited = edit(client, "Tableau de bord", "Kunnafoni lajɛlen")
    assert edited.status_code == 302

    page = client.get("/console/?lang=bm").get_data(as_text=True)

    assert "<h1>Kunnafoni lajɛlen</h1>" in page
    with db.session() as session:
        assert translations.find(session, "bm", "Tableau de bord").area == "console"


TRANSLATED = ("%(n)s message traduit", "%(n)s messages traduits")


def test_a_plural_message_has_one_bambara_form_that_shows_for_every_count(app, client, db):
    sign_in(app, client, db, "admin")
    with db.session() as session:
        listed = translations.find(session, "bm", TRANSLATED[0])
    assert (
        listed.french == "%(n)s message traduit / %(n)s messages traduits" and listed.plural == TRANSLATED[1]
    )

    assert edit(client, TRANSLATED[0], "bataki %(n)s bayɛlɛmalen").status_code == 302

    page = client.get("/console/translations?lang=bm&in=bm").get_data(as_text=True)
    assert page.count("bataki ") >= 2 and "messages traduits" not in page


def test_each_french_plural_form_is_edited_on_its_own(app, client, db):
    sign_in(app, client, db, "admin")
    assert edit(client, TRANSLATED[1], "%(n)s textes traduits", language="fr").status_code == 302
    with db.session() as session:
        assert translations.find(session, "fr", TRANSLATED[0]).text == TRANSLATED[0]

    page = client.get("/console/translations?lang=fr&in=bm").get_data(as_text=True)

    assert "textes traduits" in page and "messages traduits" not in page


def test_plural_messages_travel_as_plural_po_entries(runner, db):
    exported = read_po(
        io.BytesIO(runner.invoke(args=["translations", "export", "--area", "console"]).stdout_bytes),
        locale="bm",
    )
    entry = exported[TRANSLATED[0]]
    assert entry.id == TRANSLATED and len(entry.string) == 1
    entry.string = ("bataki %(n)s bayɛlɛmalen",)
    edited = io.BytesIO()
    write_po(edited, exported)

    imported = runner.invoke(args=["translations", "import", "-", "--by", "Awa"], input=edited.getvalue())

    assert imported.exit_code == 0, imported.output
    with db.session() as session:
        assert translations.find(session, "bm", TRANSLATED[0]).text == "bataki %(n)s bayɛlɛmalen"


def test_the_live_preview_checks_a_text_as_saving_would(app, client, db):
    sign_in(app, client, db, "translator")
    url = "/console/translations/preview?m=Jigi%3A+choose"

    fine = client.post(url, json={"language": "bm", "body": "Jigi: sugandi kɛ"}).get_json()
    long = client.post(url, json={"language": "bm", "body": "ka taa " * 30}).get_json()

    assert fine == {
        "preview": {"gsm7": "Jigi: sugandi kè", "length": "16 caractères, un écran en a 160 au plus"},
        "errors": [],
    }
    assert long["errors"] == ["Trop long pour un écran de téléphone : 209 caractères, 160 au plus."]
    assert client.post(url, json={"language": "xx", "body": "a"}).status_code == 400
    assert (
        client.post("/console/translations/preview?m=nope", json={"language": "bm", "body": "a"}).status_code
        == 404
    )


@pytest.mark.parametrize("area", list(translations.AREAS))
def test_each_area_lists_its_messages_with_their_place_named(app, client, db, area):
    sign_in(app, client, db, "translator")

    page = client.get(f"/console/translations?in=bm&area={area}")

    assert page.status_code == 200 and page.get_data(as_text=True).count("/console/translations/edit?") >= 1


def test_a_point_to_confirm_reaches_the_reviewer_on_the_page_and_in_the_po_file(app, client, db, runner):
    sign_in(app, client, db, "translator")

    page = client.get("/console/translations/edit?in=bm&m=Child%2Fteen+behaviour").get_data(as_text=True)
    exported = read_po(
        io.BytesIO(runner.invoke(args=["translations", "export", "--area", "ussd"]).stdout_bytes), locale="bm"
    )

    assert "Pour le relecteur" in page and "kamalen » désigne un jeune homme" in page
    assert any("kamalen" in comment for comment in exported["Child/teen behaviour"].user_comments)
    assert exported[CHOOSE].user_comments == []


def test_a_french_console_text_with_a_stray_percent_is_refused(app, client, db):
    sign_in(app, client, db, "translator")

    refused = edit(client, "%(n)s contacté", "%(n)s contacté à 100%", language="fr")

    assert refused.status_code == 400 and "Ce texte ne peut pas être complété" in refused.get_data(
        as_text=True
    )


def test_a_stored_text_that_cannot_be_filled_gives_way_to_the_shipped_one(app, client, db, demo, caplog):
    from datetime import UTC, datetime

    done = "Case recorded: %(reference)s. The health team will follow up. Thank you."
    with db.session() as session:  # written before the check existed, or by hand
        for msgid, text in ((CHOOSE, "Jigi: 100% sugandi"), (done, "Laseli %(reference)d")):
            session.add(
                Translation(
                    language="bm",
                    msgid=msgid,
                    msgstr=text,
                    source=msgid,
                    updated_by="x",
                    updated_at=datetime.now(UTC),
                )
            )
    with db.session() as session:
        set_overrides(translations.load(session))

    first = screen(client, "", phone=AWA)
    report = walk(client, "1*2*2*34*1*4*1*1*76543210*1", phone=AWA, session="ATUid_P")[-1]

    assert first.startswith("CON Jigi: i ka sugandi") and report.startswith("END Laseli sèbènna: R")
    assert "cannot be filled" in caplog.text
    with db.session() as session:
        assert len(session.scalars(select(Referral)).all()) == 1


def test_a_text_in_force_that_cannot_be_filled_falls_back_to_the_shipped_one():
    set_overrides({("bm", "Page %(n)s sur %(pages)s"): "Ɲɛ %(n)d"})

    assert gettext("bm", "Page %(n)s sur %(pages)s", n="2", pages="3") == gettext_shipped("bm")


def gettext_shipped(language: str) -> str:
    set_overrides({})
    return gettext(language, "Page %(n)s sur %(pages)s", n="2", pages="3")
