"""A local server compatible with DHIS2's data value sets, to run Jigi's push (`service/dhis2/`) without the
Ministry's instance.

It knows one data set, its data elements (by uid and code), organisation units, category option combos
and the periods locked for entry, and keeps the values it is sent. `GET /api/dataValueSets` answers the
values of a data set, period and org units; `POST /api/dataValueSets` imports as DHIS2 does: a new value
is imported, a changed one updated, an identical one ignored; an unknown data element (E7610), org unit
(E7612) or category option combo (E7611), or a locked period (E7641), is a conflict naming the value's
index, and the answer is then `WARNING` with HTTP 409 although the rest was imported. `dryRun=true`
imports nothing. Authentication: `Authorization: ApiToken ...` or HTTP Basic. `make dhis2-server`.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from service import logs
from service.devtools.serving import LocalServer, json_response

CONFLICTS = {
    "dataElement": ("E7610", "Data element not found or not accessible: `{0}`"),
    "categoryOptionCombo": ("E7611", "Category option combo not found or not accessible: `{0}`"),
    "orgUnit": ("E7612", "Organisation unit not found or not accessible: `{0}`"),
    "period": ("E7641", "Period: `{0}` is locked for data entry"),
}
DEFAULT_COMBO = "HllvX50cXC0"  # DHIS2's default category option combo
CONFLICT_MESSAGE = "One more conflicts encountered, please check import summary."


@dataclass
class Metadata:
    """What the instance knows; the example mapping (docs/dhis2-mapping.example.toml) matches it."""

    data_set: str = "JigiMHPSS01"
    data_elements: dict[str, str] = field(default_factory=dict)  # code -> uid
    org_units: set[str] = field(default_factory=set)
    combos: set[str] = field(default_factory=lambda: {DEFAULT_COMBO})
    locked_periods: set[str] = field(default_factory=set)


class Dhis2Server(LocalServer):
    """The server; `start()` runs it in a thread on 127.0.0.1 (port 0 picks a free port)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = "local-dhis2-token",
        username: str = "admin",
        password: str = "district",
        metadata: Metadata | None = None,
    ) -> None:
        self.token, self.username, self.password = token, username, password
        self.metadata = metadata or Metadata()
        self.values: dict[tuple[str, str, str, str], str] = {}  # (de uid, period, org unit, combo) -> value
        self.posts: list[dict[str, Any]] = []  # every import body, in order
        self._lock = threading.Lock()
        super().__init__(host, port)

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        if not self._authorised(request):
            response = _error("Unauthorized", 401)
        elif request.path == "/api/dataValueSets" and request.method == "GET":
            response = self._read(request)
        elif request.path == "/api/dataValueSets" and request.method == "POST":
            response = self._import(request)
        else:
            response = _error("Not Found", 404)
        return response(environ, start_response)

    def _authorised(self, request: Request) -> bool:
        given = request.headers.get("Authorization", "")
        basic = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return given in (f"ApiToken {self.token}", f"Basic {basic}")

    def _uid(self, name: str, scheme: str) -> str | None:
        """A data element's uid from the name the client used (its code under the CODE scheme)."""
        elements = self.metadata.data_elements
        if scheme.upper() == "CODE":
            return elements.get(name)
        return name if name in elements.values() else None

    def _problem(self, value: dict[str, Any], uid: str | None, combo: str) -> tuple[str, str] | None:
        """Which property of a value DHIS2 would refuse, and its name; None when it is importable."""
        checks = (
            ("dataElement", uid is None),
            ("orgUnit", value.get("orgUnit") not in self.metadata.org_units),
            ("categoryOptionCombo", combo not in self.metadata.combos),
            ("period", value.get("period") in self.metadata.locked_periods),
        )
        for prop, refused in checks:
            if refused:
                return prop, str(combo if prop == "categoryOptionCombo" else value.get(prop))
        return None

    def _read(self, request: Request) -> Response:
        scheme = request.args.get("dataElementIdScheme", "UID")
        period, units = request.args.get("period", ""), set(request.args.getlist("orgUnit"))
        by_uid = {uid: code for code, uid in self.metadata.data_elements.items()}
        with self._lock:
            found = [
                {
                    "dataElement": by_uid[de] if scheme.upper() == "CODE" else de,
                    "period": pe,
                    "orgUnit": ou,
                    "categoryOptionCombo": coc,
                    "value": value,
                }
                for (de, pe, ou, coc), value in sorted(self.values.items())
                if pe == period and ou in units
            ]
        return json_response({"dataSet": request.args.get("dataSet"), "period": period, "dataValues": found})

    def _import(self, request: Request) -> Response:
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            return _error("Bad Request", 400)
        scheme = request.args.get("dataElementIdScheme", "UID")
        dry_run = request.args.get("dryRun", "false").lower() == "true"
        counts = {"imported": 0, "updated": 0, "ignored": 0, "deleted": 0}
        conflicts: list[dict[str, Any]] = []
        with self._lock:
            self.posts.append(body)
            for index, value in enumerate(body.get("dataValues") or []):
                uid = self._uid(str(value.get("dataElement", "")), scheme)
                combo = value.get("categoryOptionCombo") or DEFAULT_COMBO
                problem = self._problem(value, uid, combo)
                if problem is not None:
                    prop, name = problem
                    code, message = CONFLICTS[prop]
                    conflicts.append(
                        {
                            "object": name,
                            "objects": {prop: name},
                            "value": message.format(name),
                            "errorCode": code,
                            "property": prop,
                            "indexes": [index],
                        }
                    )
                    counts["ignored"] += 1
                    continue
                key = (str(uid), str(value.get("period")), str(value.get("orgUnit")), str(combo))
                old, new = self.values.get(key), str(value.get("value"))
                outcome = "imported" if old is None else "ignored" if old == new else "updated"
                counts[outcome] += 1
                if not dry_run:
                    self.values[key] = new
        status = "WARNING" if conflicts else "SUCCESS"
        summary = {
            "responseType": "ImportSummary",
            "status": status,
            "importOptions": {"dryRun": dry_run, "idSchemes": {"dataElementIdScheme": scheme.upper()}},
            "description": "Import process completed successfully",
            "importCount": counts,
            "conflicts": conflicts,
            "dataSetComplete": "false",
        }
        http = 409 if conflicts else 200
        web_message = {
            "httpStatus": "Conflict" if conflicts else "OK",
            "httpStatusCode": http,
            "status": status,
            "message": CONFLICT_MESSAGE if conflicts else "Import was successful.",
            "response": summary,
        }
        return json_response(web_message, http)


def _error(status: str, code: int) -> Response:
    """An error as DHIS2's web messages write it."""
    return json_response(
        {"httpStatus": status, "httpStatusCode": code, "status": "ERROR", "message": status}, code
    )


def demo_metadata(org_units: list[str]) -> Metadata:
    """The metadata the example mapping names: a data element per indicator, code MHPSS_<NAME>."""
    from service.dhis2.indicators import INDICATORS

    elements = {f"MHPSS_{name.upper()}": f"de{n:09d}" for n, name in enumerate(INDICATORS)}
    return Metadata(data_elements=elements, org_units=set(org_units))


def main() -> None:
    """`make dhis2-server`: run the server until Ctrl-C, with the demo places' org units."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("DHIS2_SERVER_PORT", "8095")))
    parser.add_argument("--token", default=os.environ.get("DHIS2_TOKEN", "local-dhis2-token"))
    parser.add_argument("--org-units", default="TbkGrmCntrl,GaoBrmCntrl,MopSevare01", help="comma separated")
    args = parser.parse_args()
    logs.configure()
    server = Dhis2Server(args.host, args.port, args.token, metadata=demo_metadata(args.org_units.split(",")))
    server.start()
    print(f"DHIS2-compatible server at {server.url} (data set {server.metadata.data_set}).")
    print(
        f"Run Jigi's push with: DHIS2_URL={server.url} DHIS2_TOKEN={args.token} "
        "DHIS2_MAPPING=docs/dhis2-mapping.example.toml flask --app app dhis2 push --period YYYYMM"
    )
    server.serve_until_stopped()


if __name__ == "__main__":
    main()
