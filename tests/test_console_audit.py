"""The audit page speaks French: every action the code records has a label, details are named."""

from __future__ import annotations

import ast
from pathlib import Path

from test_console_support import sign_in

from service.accounts import record_audit
from service.console.labels import AUDIT_ACTION

SERVICE = Path(__file__).resolve().parent.parent / "service"
# Where the action is among the arguments of the functions that record one.
ACTION_ARGUMENT = {"record_audit": 2, "_audit": 1}
# Actions built from a route's choice, with the values the route allows.
BUILT_ACTIONS = {
    "patient_opt_out",
    "patient_opt_in",
    "appointment_move",
    "appointment_cancel",
    "appointment_attended",
    "referral_contacted",
    "referral_seen",
    "referral_appointment_set",
    "referral_closed",
}


def recorded_actions() -> set[str]:
    """Every action written as a literal (or one of a conditional's literals) in a call that records it."""
    found = set()
    for path in SERVICE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            position = ACTION_ARGUMENT.get(node.func.id)
            if (
                position is None
                or len(node.args) <= position
                or isinstance(node.args[position], ast.JoinedStr)
            ):
                continue  # built actions (f-strings) are listed in BUILT_ACTIONS
            found |= {
                part.value
                for part in ast.walk(node.args[position])
                if isinstance(part, ast.Constant) and isinstance(part.value, str)
            }
    return found


def test_every_recorded_action_has_a_french_label():
    actions = recorded_actions()

    assert {"login", "patient_viewed", "export_full", "patient_erased", "api.patient.create"} <= actions
    assert sorted((actions | BUILT_ACTIONS) - set(AUDIT_ACTION)) == []


def test_the_audit_page_shows_actions_and_details_in_french(app, client, db):
    sign_in(app, client, db, "admin")
    with db.session() as session:
        record_audit(session, "admin@jigi.ml", "patient_viewed", {"patient": "P7K2"})
        record_audit(session, "cli", "export_full", {"what": "referrals", "rows": 3, "reason": "Audit MSF"})

    page = client.get("/console/audit").get_data(as_text=True)

    assert "Dossier patient consulté" in page and "patient : P7K2" in page
    assert "Export complet (données identifiantes)" in page and "motif : Audit MSF" in page
    assert "patient_viewed</td>" not in page and "{&#34;" not in page
