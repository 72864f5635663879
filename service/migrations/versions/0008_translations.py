"""Translators: a `translator` role, and their texts for messages, stored over the shipped catalogs so
that a reviewed word reaches the next USSD screen without a deploy.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

import service.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ROLES = ("admin", "coordinator", "viewer")


def _roles(values: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{value}'" for value in values)
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("ck_users_role", type_="check")
        batch.create_check_constraint("ck_users_role", f"role IN ({listed})")


def upgrade() -> None:
    _roles((*ROLES, "translator"))
    op.create_table(
        "translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("msgid", sa.Text(), nullable=False),
        sa.Column("msgstr", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=254), nullable=False),
        sa.Column("updated_at", service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", sa.String(length=254), nullable=True),
        sa.Column("reviewed_at", service.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("language", "msgid"),
        sa.CheckConstraint("language IN ('fr', 'bm')", name="ck_translations_language"),
    )


def downgrade() -> None:
    op.drop_table("translations")
    op.execute("UPDATE users SET role = 'viewer' WHERE role = 'translator'")
    _roles(ROLES)
