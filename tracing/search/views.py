"""Name search across registered and sought children, with the engine's fuzzy names."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from ..access import SEARCH_ROLES, searchable_kinds
from ..db import get_session
from ..security import roles_required
from . import services

bp = Blueprint("search", __name__, url_prefix="/search")


@bp.get("/")
@roles_required(*SEARCH_ROLES)
def index() -> str:
    query = (request.args.get("q") or "").strip()[:200]
    kinds = searchable_kinds(current_user.role)
    hits = (
        services.search_people(get_session(), current_user.user, query, kinds=kinds)
        if query
        else []
    )
    return render_template("search/index.html", query=query, hits=hits)
