"""The worker: one process (`python worker.py`) that runs the periodic passes and the RQ send jobs.

- `passes.py`: the one list of the periodic passes, in order, and their cross-process lock;
- `process.py`: the process itself (a passes thread beside an RQ worker on the priority queues);
- `sms sweep`, below: the passes once, now, from the command line.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from service.config import get_settings
from service.db import get_db
from service.periodic import PassContext
from service.redis_conn import get_redis
from service.sms import sms_cli
from service.timeutil import utcnow
from service.worker.passes import run_locked


@click.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Run the worker's periodic passes once now (workers do this every SWEEP_INTERVAL_SECONDS)."""
    counts = run_locked(PassContext(get_db(), get_redis(), get_settings(), utcnow()))
    if counts is None:
        click.echo("Another process is sweeping right now; nothing done.")
        return
    click.echo(", ".join(f"{name}: {count}" for name, count in counts.items()) or "Nothing to do.")


def init_app(app: Flask) -> None:
    """Add `sweep` to the `sms` commands (the group the SMS area registers)."""
    sms_cli.add_command(sweep_command)
