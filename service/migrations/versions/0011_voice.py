"""Voice: an outbound row has a channel (sms or voice) and, for a call, its voice language, the keys
pressed, its duration, currency and end; a patient has a channel and a voice language; recordings are
stored; a new SMS kind asks a volunteer to visit a person whose reminder calls went unanswered.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

import service.db

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
)
NEW_KIND = "not_reached"

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _kinds(kinds: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    for table in ("outbound_messages", "message_templates"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"ck_{table}_kind", type_="check")
            batch.create_check_constraint(f"ck_{table}_kind", f"kind IN ({listed})")


def upgrade() -> None:
    _kinds((*KINDS, NEW_KIND))
    with op.batch_alter_table("outbound_messages") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=8), nullable=False, server_default="sms"))
        batch.add_column(sa.Column("voice_language", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("digits", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("duration_seconds", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("currency", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("hangup_cause", sa.String(length=40), nullable=True))
        batch.create_check_constraint("ck_outbound_messages_channel", "channel IN ('sms', 'voice')")
    with op.batch_alter_table("patients") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=8), nullable=False, server_default="sms"))
        batch.add_column(sa.Column("voice_language", sa.String(length=8), nullable=True))
        batch.create_check_constraint("ck_patients_channel", "channel IN ('sms', 'voice', 'both')")
    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False, unique=True),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("audio", sa.LargeBinary(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("transcript", sa.Text(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=254), nullable=False),
        sa.Column("uploaded_at", service.db.UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("name", "language", name="uq_recordings_name_language"),
    )


def downgrade() -> None:
    op.execute(f"DELETE FROM message_events WHERE message_id IN (SELECT id FROM outbound_messages WHERE kind = '{NEW_KIND}')")
    op.execute(f"DELETE FROM outbound_messages WHERE kind = '{NEW_KIND}'")
    op.execute(f"DELETE FROM message_templates WHERE kind = '{NEW_KIND}'")
    _kinds(KINDS)
    op.drop_table("recordings")
    with op.batch_alter_table("patients") as batch:
        batch.drop_constraint("ck_patients_channel", type_="check")
        batch.drop_column("voice_language")
        batch.drop_column("channel")
    with op.batch_alter_table("outbound_messages") as batch:
        batch.drop_constraint("ck_outbound_messages_channel", type_="check")
        for column in ("hangup_cause", "currency", "duration_seconds", "digits", "voice_language", "channel"):
            batch.drop_column(column)
