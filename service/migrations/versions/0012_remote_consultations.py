"""Remote consultations: specialists of the referral hospitals, CSCom health workers, the specialists'
clinic sessions and the areas they serve, consultations, and the messages about them (ten new kinds);
an incoming SMS can be a specialist's confirmation.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

import service.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

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
    "visit_moved",
    "visit_cancelled",
    "not_reached",
)
NEW_KINDS = (
    "consult_day_before",
    "consult_same_day",
    "consult_moved",
    "consult_cancelled",
    "consult_agenda",
    "consult_specialist_agenda",
    "consult_soon",
    "consult_staff_moved",
    "consult_staff_cancelled",
    "consult_bridge",
)
WHEN = service.db.UTCDateTime(timezone=True)
OPEN = sa.text("status != 'cancelled'")


def _kinds(kinds: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    for table in ("outbound_messages", "message_templates"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"ck_{table}_kind", type_="check")
            batch.create_check_constraint(f"ck_{table}_kind", f"kind IN ({listed})")


INBOUND_KINDS = ("optout", "alert_ack", "confirm", "possible_optout", "other")


def _inbound_kinds(kinds: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    with op.batch_alter_table("inbound_messages") as batch:
        batch.drop_constraint("ck_inbound_messages_kind", type_="check")
        batch.create_check_constraint("ck_inbound_messages_kind", f"kind IN ({listed})")


def upgrade() -> None:
    _kinds((*KINDS, *NEW_KINDS))
    _inbound_kinds((*INBOUND_KINDS, "consult_confirm"))
    op.create_table(
        "specialists",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("phone", sa.String(length=20), nullable=False, unique=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("hospital", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.CheckConstraint("language IN ('fr', 'bm')", name="ck_specialists_language"),
        sa.CheckConstraint("role IN ('psychiatrist', 'psychologist')", name="ck_specialists_role"),
    )
    op.create_table(
        "health_workers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("phone", sa.String(length=20), nullable=False, unique=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("area_id", sa.Integer(), sa.ForeignKey("places.id"), nullable=False, index=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.CheckConstraint("language IN ('fr', 'bm')", name="ck_health_workers_language"),
    )
    op.create_table(
        "clinic_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("specialist_id", sa.Integer(), sa.ForeignKey("specialists.id"), nullable=False, index=True),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("first_date", sa.Date(), nullable=False),
        sa.Column("last_date", sa.Date(), nullable=False),
        sa.Column("starts", sa.String(length=5), nullable=False),
        sa.Column("ends", sa.String(length=5), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("cancelled_dates", sa.Text(), nullable=False, server_default=""),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_table(
        "clinic_session_areas",
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("clinic_sessions.id"), primary_key=True),
        sa.Column("place_id", sa.Integer(), sa.ForeignKey("places.id"), primary_key=True),
    )
    op.create_table(
        "consultations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reference", sa.String(length=8), nullable=False, unique=True),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patients.id"), nullable=False, index=True),
        sa.Column("specialist_id", sa.Integer(), sa.ForeignKey("specialists.id"), nullable=False),
        sa.Column("health_worker_id", sa.Integer(), sa.ForeignKey("health_workers.id"), nullable=True),
        sa.Column("area_id", sa.Integer(), sa.ForeignKey("places.id"), nullable=False),
        sa.Column("referral_id", sa.Integer(), sa.ForeignKey("referrals.id"), nullable=True, index=True),
        sa.Column("starts_at", WHEN, nullable=False, index=True),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("confirmed_at", WHEN, nullable=True),
        sa.Column("unconfirmed_alerted_at", WHEN, nullable=True),
        sa.Column("cancel_reason", sa.String(length=200), nullable=True),
        sa.Column("followup_date", sa.Date(), nullable=True),
        sa.Column("treatment_started", sa.Boolean(), nullable=True),
        sa.Column("outcome_at", WHEN, nullable=True),
        sa.Column("outcome_by", sa.String(length=254), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.CheckConstraint(
            "status IN ('booked', 'confirmed', 'attended', 'missed', 'cancelled')", name="ck_consultations_status"
        ),
        sa.CheckConstraint("mode IN ('phone', 'video')", name="ck_consultations_mode"),
    )
    for who in ("specialist", "health_worker", "patient"):
        op.create_index(
            f"uq_consultations_{who}_start",
            "consultations",
            [f"{who}_id", "starts_at"],
            unique=True,
            postgresql_where=OPEN,
            sqlite_where=OPEN,
        )
    with op.batch_alter_table("outbound_messages") as batch:
        batch.add_column(sa.Column("consultation_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_outbound_messages_consultation_id", "consultations", ["consultation_id"], ["id"]
        )
    where = sa.text("consultation_id IS NOT NULL")
    op.create_index(
        "ix_outbound_messages_consultation_id",
        "outbound_messages",
        ["consultation_id"],
        postgresql_where=where,
        sqlite_where=where,
    )


def downgrade() -> None:
    listed = ", ".join(f"'{kind}'" for kind in NEW_KINDS)
    op.execute(
        "DELETE FROM message_events WHERE message_id IN "
        f"(SELECT id FROM outbound_messages WHERE kind IN ({listed}) OR consultation_id IS NOT NULL)"
    )
    op.execute(f"DELETE FROM outbound_messages WHERE kind IN ({listed}) OR consultation_id IS NOT NULL")
    op.execute(f"DELETE FROM message_templates WHERE kind IN ({listed})")
    op.execute("UPDATE inbound_messages SET kind = 'other' WHERE kind = 'consult_confirm'")
    _inbound_kinds(INBOUND_KINDS)
    op.drop_index("ix_outbound_messages_consultation_id", table_name="outbound_messages")
    with op.batch_alter_table("outbound_messages") as batch:
        batch.drop_constraint("fk_outbound_messages_consultation_id", type_="foreignkey")
        batch.drop_column("consultation_id")
    _kinds(KINDS)
    for who in ("specialist", "health_worker", "patient"):
        op.drop_index(f"uq_consultations_{who}_start", table_name="consultations")
    op.drop_table("consultations")
    op.drop_table("clinic_session_areas")
    op.drop_table("clinic_sessions")
    op.drop_table("health_workers")
    op.drop_table("specialists")
