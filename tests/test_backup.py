"""The backup of docs/deploy.md, tried: pg_dump of the database, pg_restore into a new one, the migrations
run on it, and the same rows found there (PostgreSQL; SQLite deployments copy the file)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from console_support import make_referral
from sqlalchemy import create_engine, func, make_url, select, text

from service.models import OutboundMessage, Patient, Place, Referral, Volunteer

RESTORED = "jigi_restore_test"
TABLES = (Place, Volunteer, Referral, Patient, OutboundMessage)


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table.__tablename__: connection.scalar(select(func.count()).select_from(table))
                for table in TABLES
            }
    finally:
        engine.dispose()


def run(*command: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(command, check=True, timeout=120, capture_output=True, env=env)


def test_a_dump_restores_into_a_new_database_migrates_and_holds_the_same_rows(db, demo, settings, tmp_path):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("pg_dump and pg_restore are PostgreSQL's; CI runs this on PostgreSQL")
    make_referral(db, reference="R1", urgency="emergency")
    url = make_url(settings.database_url).set(drivername="postgresql")  # as libpq's tools read it
    source = url.render_as_string(hide_password=False)
    target = url.set(database=RESTORED).render_as_string(hide_password=False)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    dump = tmp_path / "jigi.dump"
    try:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {RESTORED}"))
            connection.execute(text(f"CREATE DATABASE {RESTORED}"))
        run("pg_dump", "--format=custom", "--no-owner", f"--file={dump}", source)
        run("pg_restore", "--no-owner", "--exit-on-error", "-d", target, str(dump))
        run(
            sys.executable,
            "-m",
            "flask",
            "--app",
            "app",
            "db",
            "upgrade",
            env={**os.environ, "DATABASE_URL": target},
        )
        assert counts(target) == counts(source)
        assert counts(target)["referrals"] == 1 and counts(target)["places"] > 0
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {RESTORED} WITH (FORCE)"))
        admin.dispose()
