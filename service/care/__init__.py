"""Placeholder: patients, appointments, medication plans, replies and escalation (see init_app)."""

from flask import Flask


def init_app(app: Flask) -> None:
    pass
