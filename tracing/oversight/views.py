"""Supervisors' views: cases by status, time to reunification, and the audit trail."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from ..access import AUDIT_ROLES, OVERSIGHT_ROLES
from ..db import get_session
from ..security import roles_required
from . import services

bp = Blueprint("supervision", __name__, url_prefix="/supervision")


def histogram(values: list[int], bins: int = 8) -> list[tuple[str, int]]:
    """Counts of days-to-reunification in bins of whole weeks, for the bar chart."""
    if not values:
        return []
    top = max(values) + 1
    width = 7 * max(1, -(-top // (7 * bins)))  # whole weeks, at most `bins` bars
    counts = [0] * max(1, -(-top // width))
    for value in values:
        counts[max(0, value) // width] += 1
    return [(f"{i * width}–{(i + 1) * width - 1}", n) for i, n in enumerate(counts)]


@bp.get("/")
@roles_required(*OVERSIGHT_ROLES)
def overview() -> str:
    data = services.overview(get_session(), current_user.user)
    return render_template(
        "supervision/overview.html", data=data, histogram=histogram(data.days_to_reunification)
    )


@bp.get("/audit")
@roles_required(*AUDIT_ROLES)
def audit() -> str:
    action = (request.args.get("action") or "").strip() or None
    ref = (request.args.get("ref") or "").strip() or None
    events = services.audit_events(get_session(), current_user.user, action=action, ref=ref)
    return render_template("supervision/audit.html", events=events, action=action, ref=ref)
