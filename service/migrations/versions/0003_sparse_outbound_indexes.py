"""Outbound messages: the indexes of columns that most rows leave empty (gateway id, appointment,
medication plan, alert) hold only the rows where they are set, so scheduling a reminder writes fewer
index entries.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = ("gateway_message_id", "appointment_id", "medication_plan_id", "alert_id")


def upgrade() -> None:
    for column in COLUMNS:
        name = f"ix_outbound_messages_{column}"
        where = sa.text(f"{column} IS NOT NULL")
        op.drop_index(name, table_name="outbound_messages")
        op.create_index(name, "outbound_messages", [column], postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    for column in COLUMNS:
        name = f"ix_outbound_messages_{column}"
        op.drop_index(name, table_name="outbound_messages")
        op.create_index(name, "outbound_messages", [column])
