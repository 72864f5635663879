"""How Jigi's indicators map to the Ministry's DHIS2: a TOML file named by DHIS2_MAPPING (an example ships
in docs/dhis2-mapping.example.toml). WHO publishes no mhGAP data set for DHIS2: the mapping is the
programme's to set.

    data_set = "<data set uid>"
    data_element_id_scheme = "CODE"      # or "UID" (the default): how data elements are named below
    [data_elements]
    referrals = "MHPSS_REFERRALS"
    [data_elements.referrals_depression]
    data_element = "MHPSS_REF_DEPRESSION"
    category_option_combos = { "F:15-24" = "<coc uid>", "M:15-24" = "<coc uid>" }

An indicator with category option combos is sent once per combo (its count split by sex and age band);
one without, as its total.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from service.dhis2.indicators import AGE_BANDS, INDICATORS
from service.errors import DomainError

SCHEMES = ("UID", "CODE")
BREAKDOWNS = {f"{sex}:{band}" for sex in ("F", "M") for _low, _high, band in AGE_BANDS}


class MappingError(DomainError):
    """A mapping file that cannot be used, and where it is wrong."""


@dataclass(frozen=True)
class Element:
    data_element: str
    combos: dict[str, str] = field(default_factory=dict)  # breakdown key -> category option combo


@dataclass(frozen=True)
class Mapping:
    data_set: str
    id_scheme: str
    elements: dict[str, Element]

    def unmapped(self) -> list[str]:
        """The indicators Jigi counts that the mapping does not send."""
        return [name for name in INDICATORS if name not in self.elements]


def load_mapping(path: str | None) -> Mapping:
    """Read and check the mapping; a MappingError names the file and what is wrong."""
    if not path:
        raise MappingError("Set DHIS2_MAPPING to the mapping file (see docs/dhis2.md).", field="mapping")
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise MappingError(
            "Cannot read the mapping file %(path)s: %(why)s", field="mapping", path=path, why=str(error)
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise MappingError(
            "The mapping file %(path)s is not valid TOML: %(why)s", field="mapping", path=path, why=str(error)
        ) from None
    data_set, scheme = data.get("data_set"), str(data.get("data_element_id_scheme", "UID")).upper()
    if not isinstance(data_set, str) or not data_set:
        raise MappingError("The mapping file %(path)s names no data_set.", field="mapping", path=path)
    if scheme not in SCHEMES:
        raise MappingError(
            "data_element_id_scheme must be UID or CODE in %(path)s.", field="mapping", path=path
        )
    elements: dict[str, Element] = {}
    for name, value in (data.get("data_elements") or {}).items():
        if name not in INDICATORS:
            raise MappingError(
                "%(name)s in %(path)s is not an indicator Jigi counts.", field="mapping", name=name, path=path
            )
        if isinstance(value, str) and value:
            elements[name] = Element(value)
        elif isinstance(value, dict) and isinstance(value.get("data_element"), str):
            combos = value.get("category_option_combos") or {}
            bad = [key for key in combos if key not in BREAKDOWNS or not isinstance(combos[key], str)]
            if bad:
                raise MappingError(
                    "%(name)s in %(path)s: %(key)s is not a sex and age band like F:15-24.",
                    field="mapping",
                    name=name,
                    path=path,
                    key=bad[0],
                )
            elements[name] = Element(value["data_element"], dict(combos))
        else:
            raise MappingError(
                "%(name)s in %(path)s needs a data element.", field="mapping", name=name, path=path
            )
    return Mapping(data_set, scheme, elements)
