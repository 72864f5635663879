"""Translators' work on the words users read: every message of the USSD, SMS, error and console catalogs
with its French and Bambara texts, a translator's edits stored over the shipped catalogs (they reach the
next USSD screen within seconds, without a deploy), reviews that hold until the French changes, and
standard PO files for translators working offline.

- `catalogs.py`: the shipped catalogs;
- `workflow.py`: messages, checks, saving and reviews;
- `po_files.py`: PO export and import;
- `live.py`: the texts in force in every web process;
- `console_catalog.py`: the console's words and `console.po`.

The names below are the area's front door, for the console, the commands and the tests.
"""

from service.translations.catalogs import AREAS, shipped
from service.translations.console_catalog import console_msgids, update_console_catalog
from service.translations.live import init_app, load, reload_now
from service.translations.po_files import export_po, import_po
from service.translations.workflow import (
    SCREEN,
    Message,
    Status,
    TranslationError,
    check,
    completeness,
    fill_problem,
    find,
    messages,
    save,
)

__all__ = [
    "AREAS",
    "SCREEN",
    "Message",
    "Status",
    "TranslationError",
    "check",
    "completeness",
    "console_msgids",
    "export_po",
    "fill_problem",
    "find",
    "import_po",
    "init_app",
    "load",
    "messages",
    "reload_now",
    "save",
    "shipped",
    "update_console_catalog",
]
