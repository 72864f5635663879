"""Placeholder: routes and commands of this area are registered in init_app."""

from flask import Flask


def init_app(app: Flask) -> None:
    pass
