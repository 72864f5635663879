"""An emergency alert can be taken in charge by a coordinator in the console: who took it is a
clinician's phone or an account's email.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("emergency_alerts") as batch:
        batch.alter_column("acknowledged_by", type_=sa.String(length=254), existing_type=sa.String(length=20))


def downgrade() -> None:
    op.execute("UPDATE emergency_alerts SET acknowledged_by = substr(acknowledged_by, 1, 20)")
    with op.batch_alter_table("emergency_alerts") as batch:
        batch.alter_column("acknowledged_by", type_=sa.String(length=20), existing_type=sa.String(length=254))
