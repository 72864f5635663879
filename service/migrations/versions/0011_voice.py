"""Voice: an outbound row has a channel (sms or voice) and, for a call, its voice language, the keys pressed,
its duration, currency and end; a patient has a channel and a voice language; recordings are stored.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

import service.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
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
    op.drop_table("recordings")
    with op.batch_alter_table("patients") as batch:
        batch.drop_constraint("ck_patients_channel", type_="check")
        batch.drop_column("voice_language")
        batch.drop_column("channel")
    with op.batch_alter_table("outbound_messages") as batch:
        batch.drop_constraint("ck_outbound_messages_channel", type_="check")
        for column in ("hangup_cause", "currency", "duration_seconds", "digits", "voice_language", "channel"):
            batch.drop_column(column)
