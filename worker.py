"""`python worker.py`: one process that sweeps due SMS and sends them; run as many as needed."""

import sys

from service import create_app
from service.config import stop_on_config_error
from service.worker.process import run_worker


def main() -> int:
    with stop_on_config_error("Jigi worker"):
        app = create_app()
    run_worker(app)
    return 0


if __name__ == "__main__":
    sys.exit(main())
