"""Helpers the templates share."""

from __future__ import annotations

from flask import Flask

from .contract import partial_date


def init_app(app: Flask) -> None:
    app.jinja_env.globals["partial_date"] = partial_date
