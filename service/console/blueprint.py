"""The console blueprint (every console page hangs off it, under /console) and its CSRF protection."""

from flask import Blueprint
from flask_wtf.csrf import CSRFProtect

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
# Checked by the console's own guard only: the Africa's Talking callbacks and the JSON API stay exempt.
csrf = CSRFProtect()
