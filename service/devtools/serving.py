"""What the local gateway servers share: a threaded WSGI server on loopback, started and stopped by tests
or by `make …-server`, answering JSON, without an access-log line per request."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
from collections.abc import Callable
from typing import Any, Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Response


class LocalServer:
    """A server answering with `self._wsgi` on `host:port` (port 0 picks a free one), in a thread."""

    def __init__(self, host: str, port: int) -> None:
        self._stopping = threading.Event()
        self._server: BaseWSGIServer = make_server(
            host, port, self._wsgi, threaded=True, request_handler=_Quiet
        )
        self._thread: threading.Thread | None = None

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        raise NotImplementedError

    @property
    def url(self) -> str:
        """The base URL to give Jigi."""
        return f"http://{self._server.host}:{self._server.port}"

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def serve_until_stopped(self) -> None:
        """Run until Ctrl-C or SIGTERM (the `make …-server` commands)."""
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
        self.stop()


def jigi_url() -> str:
    """Where the local servers post their callbacks: JIGI_URL, else the Jigi that `make run` starts on
    this machine's PORT (default 8000)."""
    return os.environ.get("JIGI_URL") or f"http://127.0.0.1:{os.environ.get('PORT') or 8000}"


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status, content_type="application/json")


class _Quiet(WSGIRequestHandler):
    """No access-log line per request (tests send thousands)."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass
