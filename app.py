"""WSGI entry point (`gunicorn app:app`) and the `flask --app app ...` commands."""

import sys

from service import create_app
from service.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    sys.exit(f"Jigi cannot start: configuration variable {error}")
