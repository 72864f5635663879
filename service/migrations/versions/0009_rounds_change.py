"""A mobile-unit round can be planned for places that have no open request yet, moved to another date or
cancelled; volunteers are told of each change by two new SMS kinds.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
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
)
NEW_KINDS = ("visit_moved", "visit_cancelled")


def _check(table: str, column: str, values: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{value}'" for value in values)
    with op.batch_alter_table(table) as batch:
        batch.drop_constraint(f"ck_{table}_{column}", type_="check")
        batch.create_check_constraint(f"ck_{table}_{column}", f"{column} IN ({listed})")


def upgrade() -> None:
    for table in ("outbound_messages", "message_templates"):
        _check(table, "kind", (*KINDS, *NEW_KINDS))
    with op.batch_alter_table("mobile_unit_rounds") as batch:
        batch.add_column(sa.Column("status", sa.String(length=16), nullable=False, server_default="planned"))
        batch.create_check_constraint("ck_mobile_unit_rounds_status", "status IN ('planned', 'cancelled')")
    op.create_table(
        "round_places",
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("mobile_unit_rounds.id"), primary_key=True),
        sa.Column("place_id", sa.Integer(), sa.ForeignKey("places.id"), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("round_places")
    with op.batch_alter_table("mobile_unit_rounds") as batch:
        batch.drop_constraint("ck_mobile_unit_rounds_status", type_="check")
        batch.drop_column("status")
    listed = ", ".join(f"'{kind}'" for kind in NEW_KINDS)
    op.execute(f"DELETE FROM message_events WHERE message_id IN (SELECT id FROM outbound_messages WHERE kind IN ({listed}))")
    op.execute(f"DELETE FROM outbound_messages WHERE kind IN ({listed})")
    op.execute(f"DELETE FROM message_templates WHERE kind IN ({listed})")
    for table in ("outbound_messages", "message_templates"):
        _check(table, "kind", KINDS)
