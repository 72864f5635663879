"""DHIS2: a place can name the organisation unit the Ministry counts it under, and each push of a
period's counts is kept with DHIS2's answer.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

import service.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("places") as batch:
        batch.add_column(sa.Column("dhis2_org_unit", sa.String(length=11), nullable=True))
    op.create_table(
        "dhis2_pushes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("period", sa.String(length=8), nullable=False, index=True),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("values", sa.Integer(), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("ignored", sa.Integer(), nullable=False),
        sa.Column("conflicts", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("by", sa.String(length=254), nullable=False),
        sa.Column("created_at", service.db.UTCDateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dhis2_pushes")
    with op.batch_alter_table("places") as batch:
        batch.drop_column("dhis2_org_unit")
