"""WSGI entry point (`gunicorn app:app`) and the `flask --app app ...` commands."""

from service import create_app
from service.config import stop_on_config_error

with stop_on_config_error("Jigi"):
    app = create_app()
