"""Each outbound row records the gateway that sent it (or tried last): with several gateways in
SMS_GATEWAY, coordinators see which one carried each message. Message events get room for the longer
report names of Orange (`report:DeliveredToNetwork`) and the Android app.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_messages") as batch:
        batch.add_column(sa.Column("gateway", sa.String(length=16), nullable=True))
    with op.batch_alter_table("message_events") as batch:
        batch.alter_column("status", type_=sa.String(length=48), existing_type=sa.String(length=24))


def downgrade() -> None:
    op.execute("UPDATE message_events SET status = substr(status, 1, 24)")
    with op.batch_alter_table("message_events") as batch:
        batch.alter_column("status", type_=sa.String(length=24), existing_type=sa.String(length=48))
    with op.batch_alter_table("outbound_messages") as batch:
        batch.drop_column("gateway")
