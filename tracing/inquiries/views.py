"""Tracing requests: file an inquiry for one or more sought children; read it (audited);
correct a sought child; transfer the inquiry to another agency."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from models import Inquiry

from .. import access
from ..access import INQUIRY_ROLES, TRANSFER_ROLES
from ..casework import services as casework
from ..casework import transfers
from ..casework.views import transfer_form, transferred
from ..consent import record_inquiry_consent
from ..db import get_session
from ..errors import NotFound, ValidationFailed
from ..forms import apply_problems, contract_cells
from ..linkage.proposal_writes import MIN_PROPOSAL_SCORE
from ..people import PERSON_EXTRA_FIELDS, person_form_data
from ..review.services import candidates_below_floor, proposals_for
from ..security import roles_required
from . import services
from .forms import ConsentForm, InquiryForm, SoughtChildEditForm

bp = Blueprint("requests", __name__, url_prefix="/inquiries")


def _sought(form: InquiryForm) -> list[tuple[dict[str, str], dict[str, Any]]]:
    return [
        (
            contract_cells(entry.form),
            {name: entry.form[name].data for name in PERSON_EXTRA_FIELDS},
        )
        for entry in form.children
    ]


@bp.get("/")
@roles_required(*INQUIRY_ROLES)
def index() -> str:
    inquiries = access.own_records(
        get_session(), current_user.user, Inquiry, ip=request.remote_addr
    )
    return render_template("requests/index.html", inquiries=inquiries)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*INQUIRY_ROLES)
def new() -> ResponseReturnValue:
    form = InquiryForm()
    failed = False
    if form.add_child.data and form.is_submitted():
        # "Add another child" re-shows the form with one more sought child.
        form.children.append_entry()
        return render_template("requests/form.html", form=form)
    if form.validate_on_submit():
        inquirer = {name: form[name].data for name in services.INQUIRER_FIELDS}
        try:
            inquiry, problems = services.file_inquiry(
                get_session(),
                current_user.user,
                inquirer,
                _sought(form),
                ip=request.remote_addr,
                match=current_app.config["REALTIME_MATCHING"],
            )
        except ValidationFailed as exc:
            failed = True
            for problem in exc.problems:
                entry = form.children[problem.line - 1].form
                apply_problems(entry, [problem])
        else:
            for problem in problems:
                flash(f"Child {problem.line}: {problem.message}", "warning")
            flash(f"Inquiry {inquiry.ref} filed.", "success")
            return redirect(url_for("requests.show", inquiry_id=inquiry.id))
    status = 400 if failed or (form.is_submitted() and form.errors) else 200
    return render_template("requests/form.html", form=form), status


@bp.get("/<int:inquiry_id>")
@roles_required(*INQUIRY_ROLES)
def show(inquiry_id: int) -> str:
    session = get_session()
    inquiry = access.visible_inquiry(session, current_user.user, inquiry_id)
    if inquiry is None:
        abort(404)
    services.view_inquiry(session, current_user.user, inquiry, ip=request.remote_addr)
    sought_ids = [s.id for s in inquiry.sought_children]
    proposals = proposals_for(session, current_user.user, sought_ids=sought_ids)
    below_floor = (
        candidates_below_floor(session, current_user.user, sought_ids, MIN_PROPOSAL_SCORE)
        if request.args.get("below_floor") == "1"
        else None
    )
    owner = inquiry.agency_id == current_user.agency_id
    consent = (
        ConsentForm(
            data={
                "consent_tracing": inquiry.consent_tracing,
                "consent_sharing": inquiry.consent_sharing,
            }
        )
        if owner
        else None
    )
    return render_template(
        "requests/show.html",
        inquiry=inquiry,
        proposals=proposals,
        below_floor=below_floor,
        proposal_floor=MIN_PROPOSAL_SCORE,
        history=casework.case_history(session, inquiry, current_user.user),
        transfer=transfer_form(inquiry),
        consent=consent,
    )


@bp.post("/<int:inquiry_id>/consent")
@roles_required(*INQUIRY_ROLES)
def consent(inquiry_id: int) -> Response:
    """Record the family's consent (a withdrawal reaches every referral and match)."""
    inquiry = access.owned_inquiry(get_session(), current_user.user, inquiry_id)
    if inquiry is None:
        abort(404)
    form = ConsentForm()
    if form.validate_on_submit():
        ended = record_inquiry_consent(
            get_session(),
            current_user.user,
            inquiry,
            tracing=bool(form.consent_tracing.data),
            sharing=bool(form.consent_sharing.data),
            ip=request.remote_addr,
        )
        flash(
            "Consent recorded."
            + (f" {len(ended['referrals'])} referral(s) withdrawn." if ended["referrals"] else "")
            + (f" {len(ended['matches'])} match(es) closed." if ended["matches"] else ""),
            "success",
        )
    else:
        flash("The form expired; please try again.", "error")
    return redirect(url_for("requests.show", inquiry_id=inquiry_id))


@bp.post("/<int:inquiry_id>/transfer")
@roles_required(*TRANSFER_ROLES)
def transfer(inquiry_id: int) -> Response:
    if access.visible_inquiry(get_session(), current_user.user, inquiry_id) is None:
        abort(404)
    return transferred(
        transfers.transfer_inquiry,
        inquiry_id,
        url_for("requests.show", inquiry_id=inquiry_id),
        url_for("requests.index" if current_user.role in INQUIRY_ROLES else "home.index"),
    )


@bp.route("/<int:inquiry_id>/sought/<int:sought_id>/edit", methods=["GET", "POST"])
@roles_required(*INQUIRY_ROLES)
def edit_sought(inquiry_id: int, sought_id: int) -> ResponseReturnValue:
    session = get_session()
    try:
        inquiry, sought = services.owned_sought_child(
            session, current_user.user, inquiry_id, sought_id
        )
    except NotFound:
        abort(404)
    if request.method == "GET":
        services.view_inquiry(session, current_user.user, inquiry, ip=request.remote_addr)
        form = SoughtChildEditForm(data=person_form_data(sought))
    else:
        form = SoughtChildEditForm()
    failed = False
    if form.validate_on_submit():
        try:
            changed, problems = services.update_sought_child(
                session,
                current_user.user,
                sought,
                contract_cells(form),
                {name: form[name].data for name in PERSON_EXTRA_FIELDS},
                ip=request.remote_addr,
                match=current_app.config["REALTIME_MATCHING"],
            )
        except ValidationFailed as exc:
            failed = True
            apply_problems(form, exc.problems)
        else:
            for message in apply_problems(form, problems):
                flash(message, "warning")
            flash("Saved." if changed else "Nothing changed.", "success")
            return redirect(url_for("requests.show", inquiry_id=inquiry.id))
    status = 400 if failed or form.errors else 200
    return render_template(
        "requests/edit_sought.html", form=form, inquiry=inquiry, sought=sought
    ), status
