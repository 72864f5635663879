"""Short reference codes (`R7K2`) that stand for a person in messages and on the phone."""

from __future__ import annotations

import secrets

# No 0/O, 1/I/L, 5/S, 2/Z: codes are read aloud and typed on keypads.
ALPHABET = "346789ABCDEFGHJKMNPQRTUVWXY"


def new_reference(prefix: str, length: int = 3) -> str:
    """A random code: a letter for the kind of record, then `length` unambiguous characters."""
    return prefix + "".join(secrets.choice(ALPHABET) for _ in range(length))


def unique_reference(session, model, prefix: str) -> str:
    """A code not yet used by `model.reference`; codes grow by one character when space runs short."""
    from sqlalchemy import select

    for attempt in range(12):
        code = new_reference(prefix, 3 + attempt // 4)
        if session.scalar(select(model.id).where(model.reference == code)) is None:
            return code
    raise RuntimeError(f"no free reference code for prefix {prefix}")
