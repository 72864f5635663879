"""`python worker.py`: one process that sweeps due SMS and sends them; run as many as needed."""

import sys

from service import create_app
from service.config import ConfigError
from service.sms.worker import run_worker


def main() -> int:
    try:
        app = create_app()
    except ConfigError as error:
        print(f"Jigi worker cannot start: configuration variable {error}", file=sys.stderr)
        return 2
    run_worker(app)
    return 0


if __name__ == "__main__":
    sys.exit(main())
