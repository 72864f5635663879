"""Logging for Jigi's processes: one format, and no secret nor phone number in any line.

Africa's Talking signs nothing, so its callback URLs carry the secret `?token=`; every URL that a server
logs (gunicorn's access log, werkzeug's, Jigi's own lines) passes through here first. The redaction is
done where log records are made, so it holds for every logger and handler, present or added later.
"""

from __future__ import annotations

import logging
import re
from typing import Any

# `token=...` in a query string (also percent-encoded as in a logged URL), and bearer tokens.
SECRET = re.compile(r"(?i)((?:token|api_key|apikey|password)(?:=|%3D))[^&\s\"']+|(Bearer\s+)[^\s\"']+")
REDACTED = "[redacted]"
# A person's phone number is personal data, not a log's business: the values of the query parameters that
# carry one (a console search `?q=76+12+34+60`), and anything shaped like a phone number, in any line.
PHONE_PARAMETER = re.compile(r"(?i)((?<![\w])(?:q|phone|phonenumber|from|to|recipient)(?:=|%3D))[^&\s\"']+")
PHONE_NUMBER = re.compile(r"(?<![\w.])(?:\+|%2B)?\d{8,15}(?![\w.])")
HIDDEN_PHONE = "[phone]"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact(text: str) -> str:
    """`text` with the value of every secret parameter or bearer token replaced, and phone numbers."""
    text = SECRET.sub(lambda match: (match.group(1) or match.group(2)) + REDACTED, text)
    text = PHONE_PARAMETER.sub(lambda match: match.group(1) + HIDDEN_PHONE, text)
    return PHONE_NUMBER.sub(HIDDEN_PHONE, text)


def configure() -> None:
    """The one log format, and records made with their secrets redacted (idempotent)."""
    logging.basicConfig(level=logging.INFO, format=_FORMAT)
    factory = logging.getLogRecordFactory()
    if getattr(factory, "redacts", False):
        return

    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
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
