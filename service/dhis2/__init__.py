"""The month's counts to the Ministry's DHIS2 (Mali's SNIS): what Jigi counts per health area and period
(`indicators.py`), how each count maps to a DHIS2 data element (`mapping.py`, the TOML file DHIS2_MAPPING
names), the periods DHIS2 writes (`periods.py`), its Web API (`client.py`), and the preview and push
(`push.py`), run by `flask --app app dhis2 ...`, the console and, monthly, the worker.

Nothing personal leaves: only counts, by organisation unit.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the `dhis2` commands."""
    from service.dhis2.cli import dhis2_cli

    app.cli.add_command(dhis2_cli)
