"""Administrators: an agency's users (create, deactivate, unlock); agencies (the
platform administrator)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from ..access import ACCOUNT_ROLES, AGENCY_ROLES
from ..db import get_session
from ..errors import NotFound, ServiceError
from ..forms import ActionForm
from ..security import roles_required
from . import services
from .forms import AgencyForm, NewUserForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users", methods=["GET", "POST"])
@roles_required(*ACCOUNT_ROLES)
def users() -> ResponseReturnValue:
    session = get_session()
    actor = current_user.user
    form = NewUserForm()
    form.offer(
        services.assignable_roles(actor),
        [(a.id, a.name) for a in services.manageable_agencies(session, actor)],
    )
    new_password = None
    if form.validate_on_submit() and form.agency.data is not None:
        password = services.generate_password()
        try:
            user = services.create_account(
                session,
                actor,
                form.email.data or "",
                form.role.data or "",
                form.agency.data,
                password,
                ip=request.remote_addr,
            )
        except ServiceError as exc:
            form.email.errors = [*form.email.errors, str(exc)]
        else:
            new_password = password
            flash(
                f"User {user.email} created. Give them the password below; it is shown once.",
                "success",
            )
    return render_template(
        "admin/users.html",
        form=form,
        users=services.users_by_agency(session, actor),
        new_password=new_password,
        action=ActionForm(),
    )


@bp.post("/users/<int:user_id>/<any(activate, deactivate):change>")
@roles_required(*ACCOUNT_ROLES)
def set_active(user_id: int, change: str) -> Response:
    session = get_session()
    try:
        user = services.user_by_id(session, current_user.user, user_id)
    except NotFound:
        abort(404)
    if ActionForm().validate_on_submit():
        try:
            services.set_user_active(
                session, current_user.user, user, change == "activate", ip=request.remote_addr
            )
            flash(f"{user.email} {change}d.", "success")
        except ServiceError as exc:
            flash(str(exc), "error")
    return redirect(url_for("admin.users"))


@bp.route("/agencies", methods=["GET", "POST"])
@roles_required(*AGENCY_ROLES)
def agencies() -> ResponseReturnValue:
    session = get_session()
    form = AgencyForm()
    if form.validate_on_submit():
        try:
            agency = services.create_agency(
                session,
                current_user.user,
                form.name.data or "",
                form.code.data,
                ip=request.remote_addr,
            )
        except ServiceError as exc:
            form.name.errors = [*form.name.errors, str(exc)]
        else:
            flash(f"Agency {agency.name} added.", "success")
            return redirect(url_for("admin.agencies"))
    return render_template("admin/agencies.html", form=form, agencies=services.agencies(session))
