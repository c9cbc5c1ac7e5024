"""The home page: a dashboard for the signed-in user's role."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select

from models import ChildRegistration, Inquiry, SoughtChild

from .db import get_session
from .security import ALL_ROLES, roles_required

bp = Blueprint("home", __name__)


@bp.get("/")
@roles_required(*ALL_ROLES)
def index() -> str:
    session = get_session()
    agency_id = current_user.agency_id
    counts = {
        "children": session.scalar(
            select(func.count())
            .select_from(ChildRegistration)
            .where(ChildRegistration.agency_id == agency_id)
        )
        or 0,
        "inquiries": session.scalar(
            select(func.count()).select_from(Inquiry).where(Inquiry.agency_id == agency_id)
        )
        or 0,
        "sought": session.scalar(
            select(func.count())
            .select_from(SoughtChild)
            .join(Inquiry)
            .where(Inquiry.agency_id == agency_id)
        )
        or 0,
    }
    return render_template("home/index.html", counts=counts)
