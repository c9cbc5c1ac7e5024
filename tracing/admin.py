"""Administrators: users (create, deactivate, unlock) and agencies."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from models import Agency, User

from . import services
from .db import get_session
from .forms import ActionForm, AgencyForm, NewUserForm
from .security import roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users", methods=["GET", "POST"])
@roles_required("admin")
def users() -> ResponseReturnValue:
    session = get_session()
    form = NewUserForm()
    new_password = None
    if form.validate_on_submit():
        password = services.generate_password()
        try:
            user = services.create_user(
                session,
                form.email.data or "",
                form.role.data or "",
                form.agency.data or "",
                password,
                audit_actor_id=current_user.id,
                ip=request.remote_addr,
            )
        except services.ServiceError as exc:
            session.rollback()
            form.email.errors = [*form.email.errors, str(exc)]
        else:
            new_password = password
            flash(
                f"User {user.email} created. Give them the password below; it is shown once.",
                "success",
            )
    everyone = session.execute(
        select(User, Agency.name).join(Agency).order_by(Agency.name, User.email)
    ).all()
    return render_template(
        "admin/users.html",
        form=form,
        users=everyone,
        new_password=new_password,
        action=ActionForm(),
    )


@bp.post("/users/<int:user_id>/<any(activate, deactivate):change>")
@roles_required("admin")
def set_active(user_id: int, change: str) -> Response:
    session = get_session()
    user = session.get(User, user_id)
    if user is None:
        abort(404)
    if ActionForm().validate_on_submit():
        try:
            services.set_user_active(
                session, current_user.user, user, change == "activate", ip=request.remote_addr
            )
            flash(f"{user.email} {change}d.", "success")
        except services.ServiceError as exc:
            flash(str(exc), "error")
    return redirect(url_for("admin.users"))


@bp.route("/agencies", methods=["GET", "POST"])
@roles_required("admin")
def agencies() -> ResponseReturnValue:
    session = get_session()
    form = AgencyForm()
    if form.validate_on_submit():
        name = (form.name.data or "").strip()
        if session.scalar(select(Agency).where(Agency.name == name)):
            form.name.errors = [*form.name.errors, "an agency of that name exists"]
        else:
            agency = Agency(name=name, code=(form.code.data or "").strip() or None)
            session.add(agency)
            session.flush()
            services.record_audit(
                session, current_user.id, "create_agency", record=agency, ip=request.remote_addr
            )
            session.commit()
            flash(f"Agency {name} added.", "success")
            return redirect(url_for("admin.agencies"))
    listing = session.scalars(select(Agency).order_by(Agency.name)).all()
    return render_template("admin/agencies.html", form=form, agencies=listing)
