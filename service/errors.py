"""Domain errors: every refusal of the domain code says what kind it is, which field it is about, and
why, as a gettext message that each edge (API, console, CLI, USSD) shows in its reader's language.

Messages are English msgids with `%(name)s` placeholders; their French and Bambara texts are in
`locales/*/LC_MESSAGES/errors.po`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from service.i18n import gettext


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
    """A CSV import with bad rows: nothing was imported. `problems` are (line, error) in file order."""

    def __init__(self, problems: list[tuple[int, DomainError]]) -> None:
        super().__init__("%(count)s rows cannot be imported.", count=len(problems))
        self.problems = problems

    def lines(self, language: str) -> list[str]:
        """`line N: why` for each bad row, in `language`."""
        return [
            gettext(language, "line %(line)s: %(error)s", line=line, error=error.text(language))
            if language != "en"
            else f"line {line}: {error}"
            for line, error in self.problems
        ]
