"""The home page: a dashboard for the signed-in user's role."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from ..access import ALL_ROLES
from ..db import get_session
from ..security import roles_required
from . import services

bp = Blueprint("home", __name__)


@bp.get("/")
@roles_required(*ALL_ROLES)
def index() -> str:
    return render_template(
        "home/index.html", board=services.dashboard(get_session(), current_user.user)
    )
