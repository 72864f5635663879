"""Logging for Jigi's processes: one format (plain, or `LOG_FORMAT=json`: one JSON object a line), a
request id on every line, and no secret nor phone number in any line.

The request id is the web request's (its `X-Request-ID` when the proxy sends a sane one, else a new one,
answered in the same header), or the worker's periodic pass'; the send jobs a pass enqueues carry it in
their meta, and the worker logs the job's lines under it, so one id follows a message from the pass that
queued it to its send.

Africa's Talking signs nothing, so its callback URLs carry the secret `?token=`; every URL that a server
logs (gunicorn's access log, werkzeug's, Jigi's own lines) passes through here first. The redaction is
done where log records are made, so it holds for every logger and handler, present or added later.
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from contextvars import ContextVar
from typing import Any

from flask import Flask, Response, g, request

# `token=...` in a query string (also percent-encoded as in a logged URL), and bearer tokens.
SECRET = re.compile(r"(?i)((?:token|api_key|apikey|password)(?:=|%3D))[^&\s\"']+|(Bearer\s+)[^\s\"']+")
REDACTED = "[redacted]"
# A person's phone number is personal data, not a log's business: the values of the query parameters that
# carry one (a console search `?q=76+12+34+60`), and anything shaped like a phone number, in any line.
PHONE_PARAMETER = re.compile(r"(?i)((?<![\w])(?:q|phone|phonenumber|from|to|recipient)(?:=|%3D))[^&\s\"']+")
PHONE_NUMBER = re.compile(r"(?<![\w.])(?:\+|%2B)?\d{8,15}(?![\w.])")
HIDDEN_PHONE = "[phone]"
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
REQUEST_ID = ContextVar("request_id", default="-")
REQUEST_ID_HEADER = "X-Request-ID"
SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def new_request_id(prefix: str = "") -> str:
    """A fresh id (set for this context, and returned): the web request's, or a periodic pass'."""
    value = prefix + uuid.uuid4().hex[:16]
    REQUEST_ID.set(value)
    return value


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, request id, message (and the traceback, redacted)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


def redact(text: str) -> str:
    """`text` with the value of every secret parameter or bearer token replaced, and phone numbers."""
    text = SECRET.sub(lambda match: (match.group(1) or match.group(2)) + REDACTED, text)
    text = PHONE_PARAMETER.sub(lambda match: match.group(1) + HIDDEN_PHONE, text)
    return PHONE_NUMBER.sub(HIDDEN_PHONE, text)


def configure(log_format: str | None = None) -> None:
    """The one log format (`log_format`, else LOG_FORMAT: `text` or `json`), and records made with the
    request id and their secrets redacted (idempotent)."""
    root = logging.getLogger()
    if not root.handlers:  # as logging.basicConfig: a handler already there (a test runner's) is kept
        handler = logging.StreamHandler()
        json_lines = (log_format or os.environ.get("LOG_FORMAT", "text")) == "json"
        handler.setFormatter(
            JsonFormatter() if json_lines else logging.Formatter(_FORMAT, defaults={"request_id": "-"})
        )
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    factory = logging.getLogRecordFactory()
    if getattr(factory, "redacts", False):
        return

    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        record.request_id = REQUEST_ID.get()
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: logging reports it itself later
            return record
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return record

    make_record.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make_record)


def init_app(app: Flask) -> None:
    """Give each web request its id, for its log lines and in its answer."""

    @app.before_request
    def _request_id() -> None:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        if SANE_ID.fullmatch(given):
            REQUEST_ID.set(given)
            g.request_id = given
        else:
            g.request_id = new_request_id()

    @app.after_request
    def _answer_request_id(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", REQUEST_ID.get())
        return response
