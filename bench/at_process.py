"""The local Africa's Talking-compatible server in its own process, for the SMS benchmark.

Prints its base URL on the first line of stdout, then serves until SIGTERM. No delivery reports and no
log line per message: the benchmark measures sending, not the server's logging.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.devtools.at_server import ATServer  # noqa: E402


def main() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with ATServer(api_key=sys.argv[1] if len(sys.argv) > 1 else "local") as server:
        print(server.url, flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
