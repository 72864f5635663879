"""Africa's Talking signs nothing: each callback URL carries a secret token, checked in constant time."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, request

from service.config import get_settings


def require_callback_token(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 403, recording nothing, unless `?token=` equals AT_CALLBACK_TOKEN."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        expected = get_settings().at_callback_token
        given = request.args.get("token", "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            abort(403)
        return view(*args, **kwargs)

    return checked
