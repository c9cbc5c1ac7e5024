"""Helpers the templates share: partial dates, and the statuses as the models name them
(templates compare with these, never with literal strings)."""

from __future__ import annotations

from flask import Flask

from models import OPEN_MATCH_STATUSES, CaseStatus, MatchStatus

from .contract import partial_date


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        partial_date=partial_date,
        CaseStatus=CaseStatus,
        MatchStatus=MatchStatus,
        OPEN_MATCH_STATUSES=OPEN_MATCH_STATUSES,
    )
