"""Registered children: register, read (audited), edit, list, transfer to another agency."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from models import ChildRegistration

from .. import access
from ..access import REGISTRATION_ROLES, TRANSFER_ROLES
from ..casework import services as casework
from ..casework import transfers
from ..casework.views import transfer_form, transferred
from ..db import get_session
from ..errors import NotFound, ServiceError, ValidationFailed
from ..forms import apply_problems, contract_cells
from ..people import point_of
from ..review.services import proposals_for
from ..security import roles_required
from . import photos, services
from .forms import ChildForm

bp = Blueprint("registrations", __name__, url_prefix="/children")

EXTRA_CELLS = ("current_lat", "current_lon", "registration_date")


def _extra(form: ChildForm) -> dict[str, object]:
    return {name: form[name].data for name in services.CHILD_EXTRA_FIELDS}


def _child_or_404(child_id: int, *, owned: bool = False) -> ChildRegistration:
    find = access.owned_child if owned else access.visible_child
    child = find(get_session(), current_user.user, child_id)
    if child is None:
        abort(404)
    return child


@bp.get("/")
@roles_required(*REGISTRATION_ROLES)
def index() -> str:
    children = access.own_records(
        get_session(), current_user.user, ChildRegistration, ip=request.remote_addr
    )
    return render_template("registrations/index.html", children=children)


def _save_form(
    form: ChildForm,
    child: ChildRegistration | None,
    save: Callable[[dict[str, str], dict[str, Any]], tuple[ChildRegistration, list[Any], str]],
) -> ResponseReturnValue:
    """Validate and save a registration form: the case page on success, else the form
    again with each field's errors (400) and nothing stored."""
    failed = False
    if form.validate_on_submit():
        try:
            upload = form.photo.data.read() if form.photo.data else b""
            # read and re-encoded before anything is stored: a bad photo stores nothing
            photo = photos.normalised_photo(upload) if upload else None
            saved, problems, message = save(contract_cells(form, EXTRA_CELLS), _extra(form))
            if photo:
                photos.store_photo(
                    get_session(),
                    current_user.user,
                    saved,
                    photo,
                    _photo_folder(),
                    ip=request.remote_addr,
                )
        except ValidationFailed as exc:
            failed = True
            apply_problems(form, exc.problems)
        except ServiceError as exc:
            failed = True
            form.photo.errors = [*form.photo.errors, str(exc)]
        else:
            for warning in apply_problems(form, problems):
                flash(warning, "warning")
            flash(message, "success")
            return redirect(url_for("registrations.show", child_id=saved.id))
    status = 400 if failed or form.errors else 200
    return render_template("registrations/form.html", form=form, child=child), status


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*REGISTRATION_ROLES)
def new() -> ResponseReturnValue:
    def register(
        cells: dict[str, str], extra: dict[str, Any]
    ) -> tuple[ChildRegistration, list[Any], str]:
        child, problems = services.register_child(
            get_session(),
            current_user.user,
            cells,
            extra,
            ip=request.remote_addr,
            match=current_app.config["REALTIME_MATCHING"],
        )
        return child, problems, f"Child registered as {child.ref}."

    return _save_form(ChildForm(), None, register)


@bp.get("/<int:child_id>")
@roles_required(*REGISTRATION_ROLES)
def show(child_id: int) -> str:
    session = get_session()
    child = _child_or_404(child_id)
    services.view_child(session, current_user.user, child, ip=request.remote_addr)
    return render_template(
        "registrations/show.html",
        child=child,
        history=casework.case_history(session, child, current_user.user),
        transfer=transfer_form(child),
        exact_location=access.may_see_exact_location(current_user.user, child),
        proposals=proposals_for(session, current_user.user, child_ids=[child.id]),
        point=point_of,
    )


@bp.route("/<int:child_id>/edit", methods=["GET", "POST"])
@roles_required(*REGISTRATION_ROLES)
def edit(child_id: int) -> ResponseReturnValue:
    child = _child_or_404(child_id, owned=True)
    exact = access.may_see_exact_location(current_user.user, child)
    if request.method == "GET":
        # The edit form shows the case's sensitive fields: audited like the case page.
        services.view_child(get_session(), current_user.user, child, ip=request.remote_addr)
        form = ChildForm(data=services.child_form_data(child, exact_location=exact))
    else:
        form = ChildForm()
    if not exact:
        del form.current_lat, form.current_lon

    def update(
        cells: dict[str, str], extra: dict[str, Any]
    ) -> tuple[ChildRegistration, list[Any], str]:
        changed, problems = services.update_child(
            get_session(),
            current_user.user,
            child,
            cells,
            extra,
            ip=request.remote_addr,
            match=current_app.config["REALTIME_MATCHING"],
        )
        return child, problems, "Saved." if changed else "Nothing changed."

    return _save_form(form, child, update)


@bp.post("/<int:child_id>/transfer")
@roles_required(*TRANSFER_ROLES)
def transfer(child_id: int) -> Response:
    _child_or_404(child_id)
    return transferred(
        transfers.transfer_child,
        child_id,
        url_for("registrations.show", child_id=child_id),
        url_for("registrations.index" if current_user.role in REGISTRATION_ROLES else "home.index"),
    )


def _photo_folder() -> Path:
    configured = current_app.config.get("PHOTO_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "photos"


@bp.get("/<int:child_id>/photo")
@roles_required(*REGISTRATION_ROLES)
def photo(child_id: int) -> Response:
    child = _child_or_404(child_id)
    try:
        name = photos.view_photo(get_session(), current_user.user, child, ip=request.remote_addr)
    except NotFound:
        abort(404)
    response = send_from_directory(_photo_folder(), name)
    response.headers["Cache-Control"] = "no-store"
    return response
