"""An outbound message can be held (its text would name a condition or a medicine); a place can carry
the neutral name an SMS gives it; a reply can be a possible opt-out.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INBOUND_KINDS = ("optout", "alert_ack", "confirm", "other")
STATUSES = ("scheduled", "queued", "sending", "sent", "delivered", "failed", "dropped", "cancelled", "unknown")


def _check(table: str, column: str, values: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{value}'" for value in values)
    with op.batch_alter_table(table) as batch:
        batch.drop_constraint(f"ck_{table}_{column}", type_="check")
        batch.create_check_constraint(f"ck_{table}_{column}", f"{column} IN ({listed})")


def upgrade() -> None:
    _check("outbound_messages", "status", (*STATUSES, "held"))
    _check("inbound_messages", "kind", (*INBOUND_KINDS, "possible_optout"))
    with op.batch_alter_table("places") as batch:
        batch.add_column(sa.Column("sms_name", sa.String(length=120), nullable=True))


def downgrade() -> None:
    op.execute("UPDATE outbound_messages SET status = 'failed' WHERE status = 'held'")
    op.execute("UPDATE inbound_messages SET kind = 'other' WHERE kind = 'possible_optout'")
    _check("outbound_messages", "status", STATUSES)
    _check("inbound_messages", "kind", INBOUND_KINDS)
    with op.batch_alter_table("places") as batch:
        batch.drop_column("sms_name")
