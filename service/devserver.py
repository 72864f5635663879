"""`make run`: migrate, load the demo data, then run the web app and one worker until Ctrl-C.

With REDIS_URL unset, an embedded Redis server is started here and shared with both processes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys

from service import create_app
from service.cli import DEMO_DIR
from service.config import Settings, stop_on_config_error
from service.db import get_db
from service.demo import load_demo
from service.gateways.registry import check_settings
from service.migrate import upgrade
from service.redis_conn import embedded_url, start_embedded


def _stop(*_args: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the web app and the worker as Ctrl-C does


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    with stop_on_config_error("Jigi"):
        settings = Settings.from_env()
        check_settings(settings)
    env = dict(os.environ)
    embedded = None
    if not settings.redis_url:
        embedded = start_embedded()
        env["REDIS_URL"] = embedded_url(embedded)
        print(f"Embedded Redis at {env['REDIS_URL']}")
    app = create_app(settings)
    database = get_db(app)
    upgrade(database)
    with database.session() as session:
        for line in load_demo(session, DEMO_DIR, settings):
            print(line)
    database.engine.dispose()

    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "app:app",
            "--bind",
            f"{settings.host}:{settings.port}",
            "--workers",
            "2",
            "--access-logfile",
            "-",
        ],
        env=env,
    )
    worker = subprocess.Popen([sys.executable, "worker.py"], env=env)
    print(f"Jigi is running: http://{settings.host}:{settings.port}/  (Ctrl-C stops it)")
    try:
        while web.poll() is None and worker.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                web.wait(timeout=1)
    except KeyboardInterrupt:
        pass
    finally:
        for process in (web, worker):
            if process.poll() is None:
                process.terminate()
        for process in (web, worker):
            process.wait(timeout=15)
        if embedded is not None:
            embedded.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
