"""The audit page speaks French: every action of the audit vocabulary has a label, details are named."""

from __future__ import annotations

import pytest
from console_support import sign_in

from service.accounts import AuditAction, record_audit
from service.console.labels import AUDIT_ACTION


def test_every_audit_action_has_a_french_label():
    assert set(AUDIT_ACTION) == set(AuditAction)


def test_an_action_built_from_a_route_choice_must_be_one_of_the_vocabulary():
    assert AuditAction("referral_contacted") is AuditAction.REFERRAL_CONTACTED
    with pytest.raises(ValueError):
        AuditAction("referral_deleted")


def test_the_audit_page_shows_actions_and_details_in_french(app, client, db):
    sign_in(app, client, db, "admin")
    with db.session() as session:
        record_audit(session, "admin@jigi.ml", AuditAction.PATIENT_VIEWED, {"patient": "P7K2"})
        record_audit(
            session, "cli", AuditAction.EXPORT_FULL, {"what": "referrals", "rows": 3, "reason": "Audit MSF"}
        )

    page = client.get("/console/audit").get_data(as_text=True)

    assert "Dossier patient consulté" in page and "patient : P7K2" in page
    assert "Export complet (données identifiantes)" in page and "motif : Audit MSF" in page
    assert "patient_viewed</td>" not in page and "{&#34;" not in page
