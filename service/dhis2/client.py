"""DHIS2's Web API, the two calls Jigi makes: read a data set's values for a period and org units
(`GET /api/dataValueSets`), and import values (`POST /api/dataValueSets`), whose import summary is read
for what it is: SUCCESS; WARNING (answered with HTTP 409 on DHIS2 2.36 and later although part was
imported); ERROR; and each conflict with the indexes of the values it is about."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from service.config import Settings
from service.errors import DomainError

TIMEOUT_SECONDS = 30


class Dhis2Error(DomainError):
    """DHIS2 could not be asked: not configured, unreachable, or refusing the credentials."""


@dataclass(frozen=True)
class Conflict:
    code: str  # E7610 data element, E7612 org unit, E7641 locked period...
    message: str
    indexes: tuple[int, ...]


@dataclass(frozen=True)
class ImportSummary:
    status: str
    imported: int = 0
    updated: int = 0
    ignored: int = 0
    deleted: int = 0
    conflicts: tuple[Conflict, ...] = field(default_factory=tuple)


class Dhis2Client:
    def __init__(self, settings: Settings) -> None:
        if not settings.dhis2_url:
            raise Dhis2Error("Set DHIS2_URL to the Ministry's DHIS2 address.", field="dhis2_url")
        self.base = settings.dhis2_url.rstrip("/")
        self.http = requests.Session()
        if settings.dhis2_token:
            self.http.headers["Authorization"] = f"ApiToken {settings.dhis2_token}"
        elif settings.dhis2_username and settings.dhis2_password:
            self.http.auth = (settings.dhis2_username, settings.dhis2_password)
        else:
            raise Dhis2Error(
                "Set DHIS2_TOKEN, or DHIS2_USERNAME and DHIS2_PASSWORD, to reach DHIS2.", field="dhis2_token"
            )
        self.http.headers["Accept"] = "application/json"

    def current(
        self, data_set: str, period: str, org_units: list[str], id_scheme: str, combos: set[str]
    ) -> dict[tuple, str]:
        """What DHIS2 holds now: (data element, org unit, category option combo) -> value. A combo that is
        not among the mapping's `combos` is the instance's default one (its uid varies), keyed ""."""
        params: list[tuple[str, str]] = [
            ("dataSet", data_set),
            ("period", period),
            ("dataElementIdScheme", id_scheme),
        ]
        params += [("orgUnit", unit) for unit in org_units]
        answer = self._call("GET", "/api/dataValueSets", params=params)
        body = self._json(answer)
        return {
            (
                value.get("dataElement"),
                value.get("orgUnit"),
                combo if (combo := value.get("categoryOptionCombo")) in combos else "",
            ): value.get("value")
            for value in body.get("dataValues", [])
        }

    def post(self, payload: dict[str, Any], id_scheme: str, dry_run: bool) -> ImportSummary:
        params = {
            "dataElementIdScheme": id_scheme,
            "importStrategy": "CREATE_AND_UPDATE",
            "dryRun": "true" if dry_run else "false",
        }
        answer = self._call("POST", "/api/dataValueSets", params=params, json=payload)
        if answer.status_code not in (200, 201, 409):
            raise Dhis2Error(
                "DHIS2 answered %(status)s: %(text)s",
                field="dhis2_url",
                status=answer.status_code,
                text=answer.text[:200],
            )
        return summary_of(self._json(answer))

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            answer = self.http.request(method, self.base + path, timeout=TIMEOUT_SECONDS, **kwargs)
        except requests.RequestException as error:
            raise Dhis2Error(
                "DHIS2 does not answer at %(url)s: %(why)s",
                field="dhis2_url",
                url=self.base,
                why=type(error).__name__,
            ) from None
        if answer.status_code in (401, 403):
            raise Dhis2Error(
                "DHIS2 refused the credentials (%(status)s): check DHIS2_TOKEN, or DHIS2_USERNAME and "
                "DHIS2_PASSWORD.",
                field="dhis2_token",
                status=answer.status_code,
            )
        if answer.status_code >= 500:
            raise Dhis2Error(
                "DHIS2 answered %(status)s: try again later.", field="dhis2_url", status=answer.status_code
            )
        return answer

    @staticmethod
    def _json(answer: requests.Response) -> dict[str, Any]:
        try:
            body = answer.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise Dhis2Error(
                "DHIS2 answered something that is not JSON (%(status)s).",
                field="dhis2_url",
                status=answer.status_code,
            )
        return body


def summary_of(body: dict[str, Any]) -> ImportSummary:
    """An import summary, whether wrapped in a web message (2.36+) or not."""
    wrapped = body.get("response")
    summary: dict[str, Any] = wrapped if isinstance(wrapped, dict) else body
    counts = summary.get("importCount") or {}
    conflicts = tuple(
        Conflict(
            str(conflict.get("errorCode") or ""),
            str(conflict.get("value") or ""),
            tuple(int(index) for index in conflict.get("indexes") or () if isinstance(index, int)),
        )
        for conflict in summary.get("conflicts") or ()
        if isinstance(conflict, dict)
    )
    return ImportSummary(
        status=str(summary.get("status") or body.get("status") or "ERROR"),
        imported=int(counts.get("imported", 0)),
        updated=int(counts.get("updated", 0)),
        ignored=int(counts.get("ignored", 0)),
        deleted=int(counts.get("deleted", 0)),
        conflicts=conflicts,
    )
