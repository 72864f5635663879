"""The schema that migrations build is the one the models describe, and it refuses codes the code
does not know, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from service.db import Base
from service.models import SPARSE_OUTBOUND_COLUMNS, OutboundMessage, Place
from service.timeutil import utcnow


def test_migrations_build_exactly_what_the_models_describe(db):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


@pytest.mark.parametrize(
    ("statement", "constraint"),
    [
        ("INSERT INTO places (code, name, level) VALUES ('X1', 'X', 'planet')", "ck_places_level"),
        ("UPDATE outbound_messages SET status = 'lost'", "ck_outbound_messages_status"),
        ("UPDATE outbound_messages SET kind = 'diagnosis'", "ck_outbound_messages_kind"),
    ],
)
def test_database_refuses_a_code_outside_its_enum(db, statement, constraint):
    with db.session() as session:
        session.add(Place(code="R1", name="Région", level="region"))
        session.add(
            OutboundMessage(
                kind="optout_confirmation",
                recipient="+22376123456",
                language="fr",
                params={},
                due_at=utcnow(),
            )
        )
    with pytest.raises(IntegrityError) as refused, db.engine.begin() as connection:
        connection.execute(text(statement))
    if db.engine.dialect.name == "postgresql":
        assert constraint in str(refused.value)
    with db.session() as session:
        assert session.scalar(select(OutboundMessage.status)) == "scheduled"


@pytest.mark.parametrize("column", SPARSE_OUTBOUND_COLUMNS)
def test_indexes_of_mostly_empty_outbound_columns_leave_out_the_empty_rows(db, column):
    name = f"ix_outbound_messages_{column}"
    query = (
        "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
        if db.engine.dialect.name == "postgresql"
        else "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"
    )
    with db.engine.connect() as connection:
        definition = connection.execute(text(query), {"name": name}).scalar_one()
    assert f"{column} IS NOT NULL" in definition.replace('"', "")
