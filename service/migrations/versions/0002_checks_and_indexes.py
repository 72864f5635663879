"""Stored codes are checked by the database; indexes for escalation, medication and the sweeper's claim;
the partner API's idempotency keys.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30

Every CHECK is built from the enums of service.models at the time of writing, written out here so that
a later change to an enum needs its own migration. Existing rows are kept: SQLite's batch mode copies
each table into its new shape; PostgreSQL adds the constraints in place (and refuses, naming the
constraint, if a row holds a value outside the list).
"""

import sqlalchemy as sa
from alembic import op

import service.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LANGUAGES = ("fr", "bm")
KINDS = (
    "emergency_alert",
    "alert_escalation",
    "medication",
    "appointment_day_before",
    "appointment_same_day",
    "followup_checkin",
    "optout_confirmation",
    "referral_ack",
    "visit_confirmation",
)
OUTCOMES = ("seen_at_facility", "better", "not_found", "moved", "died", "refused")
CHECKS = {
    "places": {"level": ("region", "district", "area", "village")},
    "volunteers": {"language": LANGUAGES},
    "oncall_clinicians": {"language": LANGUAGES},
    "referrals": {
        "category": (
            "depression",
            "psychosis",
            "epilepsy",
            "child",
            "dementia",
            "substance",
            "self_harm",
            "other",
        ),
        "red_flag": ("self_harm", "agitation", "seizure"),
        "urgency": ("emergency", "urgent", "routine"),
        "status": ("new", "contacted", "appointment_set", "seen", "closed"),
        "outcome": OUTCOMES,
        "sex": ("M", "F"),
    },
    "followups": {"outcome": OUTCOMES},
    "visit_requests": {
        "preferred_week": ("this_week", "next_week", "later"),
        "status": ("open", "planned", "closed"),
    },
    "patients": {"language": LANGUAGES},
    "appointments": {"status": ("scheduled", "confirmed", "attended", "missed", "cancelled")},
    "outbound_messages": {
        "status": (
            "scheduled",
            "queued",
            "sending",
            "sent",
            "delivered",
            "failed",
            "dropped",
            "cancelled",
            "unknown",
        ),
        "kind": KINDS,
        "language": LANGUAGES,
    },
    "inbound_messages": {"kind": ("optout", "alert_ack", "confirm", "other")},
    "message_templates": {"kind": KINDS, "language": LANGUAGES},
    "api_tokens": {"scope": ("read", "write")},
    "users": {"role": ("admin", "coordinator", "viewer")},
}


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("caller", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("location", sa.String(length=255), nullable=True),
        sa.Column("created_at", service.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("caller", "key"),
    )
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column, values in columns.items():
                listed = ", ".join(f"'{value}'" for value in values)
                batch.create_check_constraint(f"ck_{table}_{column}", f"{column} IN ({listed})")
    with op.batch_alter_table("outbound_messages") as batch:
        batch.create_index("ix_outbound_messages_alert_id", ["alert_id"])
        batch.create_index("ix_outbound_messages_medication_plan_id", ["medication_plan_id"])
    op.create_index(
        "ix_outbound_claim",
        "outbound_messages",
        ["priority", "due_at", "id"],
        postgresql_where=sa.text("status = 'scheduled'"),
        sqlite_where=sa.text("status = 'scheduled'"),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_index("ix_outbound_claim", table_name="outbound_messages")
    with op.batch_alter_table("outbound_messages") as batch:
        batch.drop_index("ix_outbound_messages_medication_plan_id")
        batch.drop_index("ix_outbound_messages_alert_id")
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_constraint(f"ck_{table}_{column}", type_="check")
