"""Domain errors: every refusal of the domain code says what kind it is, which field it is about, and
why, as a gettext message that each edge (API, console, CLI, USSD) shows in its reader's language.

Messages are English msgids with `%(name)s` placeholders; their French and Bambara texts are in
`locales/*/LC_MESSAGES/errors.po`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from service.i18n import gettext


def msgid(message: str) -> str:
    """Mark an error message kept aside (in a table) for the errors catalog; it is translated when shown."""
    return message


class ErrorKind(StrEnum):
    """What the refusal means for the caller: fix the input, change the state first, or look elsewhere."""

    INVALID = "invalid"
    CONFLICT = "conflict"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"


class DomainError(Exception):
    """A refusal: `message` is a msgid, `params` fill its placeholders, `field` names the input at fault."""

    def __init__(
        self,
        message: str,
        *,
        kind: ErrorKind = ErrorKind.INVALID,
        field: str | None = None,
        params: Mapping[str, object] | None = None,
        **named: object,
    ) -> None:
        params = {**(params or {}), **named}
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params
        self.kind = kind
        self.field = field

    def text(self, language: str) -> str:
        """The message in `language` (`en` gives the msgid as written)."""
        if language == "en":
            return str(self)
        return gettext(language, self.message, **self.params)


class ImportRefused(DomainError):
    """A CSV with bad rows: nothing was imported. `problems` are `line N: why` lines in file order, in
    English, for the command line that runs imports."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("Nothing was imported: %(count)s rows have problems.", count=len(problems))
        self.problems = problems
