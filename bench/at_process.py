"""The local Africa's Talking-compatible server in its own process, for the SMS and calls benchmarks:
`at_process.py API_KEY [sms|voice]`.

Prints its base URL on the first line of stdout, then serves until SIGTERM. No delivery reports, no phone
ringing back, no log line per message: the benchmarks measure sending, not the server.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.devtools.at_server import ATServer  # noqa: E402
from service.devtools.at_voice_server import ATVoiceServer  # noqa: E402


def main() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    api_key = sys.argv[1] if len(sys.argv) > 1 else "local"
    voice = len(sys.argv) > 2 and sys.argv[2] == "voice"
    with ATVoiceServer(api_key=api_key, ring=False) if voice else ATServer(api_key=api_key) as server:
        print(server.url, flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
