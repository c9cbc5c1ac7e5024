"""The home page: what is in the store, at a glance."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from models import ChildRegistration, Inquiry, SoughtChild

from .db import get_session

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    session = get_session()
    counts = {
        "children": session.scalar(select(func.count()).select_from(ChildRegistration)) or 0,
        "inquiries": session.scalar(select(func.count()).select_from(Inquiry)) or 0,
        "sought": session.scalar(select(func.count()).select_from(SoughtChild)) or 0,
    }
    return render_template("home/index.html", counts=counts)
