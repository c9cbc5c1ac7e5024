"""The review queue, the side-by-side comparison with evidence, and the decisions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from models import PotentialMatch

from . import services
from .db import get_session
from .forms import (
    ActionForm,
    CloseForm,
    DecisionForm,
    FollowUpForm,
    QueueFilterForm,
    ReunificationForm,
)
from .security import CASEWORK_ROLES, roles_required

bp = Blueprint("review", __name__, url_prefix="/review")


def _match_or_404(match_id: int) -> PotentialMatch:
    match = services.visible_match(get_session(), current_user.user, match_id)
    if match is None:
        abort(404)
    return match


@bp.get("/")
@roles_required(*CASEWORK_ROLES)
def queue() -> str:
    form = QueueFilterForm(request.args)
    try:
        min_score = float(form.min_score.data) if form.min_score.data else None
    except ValueError:
        form.min_score.errors = ["a number between 0 and 1"]
        min_score = None
    rows = services.review_queue(
        get_session(),
        current_user.user,
        status=form.status.data or None,
        agency=form.agency.data or None,
        area=form.area.data or None,
        min_score=min_score,
    )
    return render_template("review/queue.html", form=form, rows=rows)


@bp.get("/<int:match_id>")
@roles_required(*CASEWORK_ROLES)
def compare(match_id: int) -> str:
    session = get_session()
    match = _match_or_404(match_id)
    comparison = services.compare_match(session, current_user.user, match, ip=request.remote_addr)
    return render_template(
        "review/compare.html",
        c=comparison,
        match=match,
        decision=DecisionForm(version=match.version),
        follow_up=FollowUpForm(),
        reunification=ReunificationForm(version=match.version),
        close=CloseForm(),
        action=ActionForm(),
    )


@bp.post("/<int:match_id>/decide")
@roles_required(*CASEWORK_ROLES)
def decide(match_id: int) -> Response:
    session = get_session()
    match = _match_or_404(match_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash("The form expired or was incomplete; please try again.", "error")
        return redirect(url_for("review.compare", match_id=match.id))
    version = int(form.version.data)
    try:
        if form.confirm.data:
            closed = services.confirm_match(
                session, current_user.user, match, version, ip=request.remote_addr
            )
            flash(
                f"Match confirmed. {closed} other proposal(s) for this sought child closed.",
                "success",
            )
        elif form.reject.data:
            services.reject_match(
                session,
                current_user.user,
                match,
                version,
                form.reason.data or "",
                ip=request.remote_addr,
            )
            flash(
                "Match rejected. It will not be proposed again unless a record changes.", "success"
            )
        else:
            services.start_verification(
                session, current_user.user, match, version, ip=request.remote_addr
            )
            flash("Verification started.", "success")
    except services.ServiceError as exc:
        session.rollback()
        flash(str(exc), "error")
    return redirect(url_for("review.compare", match_id=match.id))


@bp.post("/<int:match_id>/follow-up")
@roles_required(*CASEWORK_ROLES)
def follow_up(match_id: int) -> ResponseReturnValue:
    session = get_session()
    match = _match_or_404(match_id)
    form = FollowUpForm()
    if form.validate_on_submit():
        try:
            services.record_follow_up(
                session,
                current_user.user,
                form.kind.data or "note",
                match=match,
                occurred_on=form.occurred_on.data,
                place=form.place.data,
                outcome=form.outcome.data,
                note=form.note.data,
                ip=request.remote_addr,
            )
            session.commit()
            flash("Recorded.", "success")
        except services.ServiceError as exc:
            session.rollback()
            flash(str(exc), "error")
    else:
        flash("; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in form.errors.items()), "error")
    return redirect(url_for("review.compare", match_id=match.id))


@bp.post("/<int:match_id>/reunify")
@roles_required(*CASEWORK_ROLES)
def reunify(match_id: int) -> Response:
    session = get_session()
    match = _match_or_404(match_id)
    form = ReunificationForm()
    if form.validate_on_submit() and form.occurred_on.data:
        try:
            services.record_reunification(
                session,
                current_user.user,
                match,
                int(form.version.data),
                occurred_on=form.occurred_on.data,
                place=form.place.data or "",
                by=form.by.data or "",
                elsewhere=bool(form.elsewhere.data),
                note=form.note.data,
                ip=request.remote_addr,
            )
            flash("Reunification recorded.", "success")
        except services.ServiceError as exc:
            session.rollback()
            flash(str(exc), "error")
    else:
        flash("; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in form.errors.items()), "error")
    return redirect(url_for("review.compare", match_id=match.id))


@bp.post("/<int:match_id>/close")
@roles_required(*CASEWORK_ROLES)
def close(match_id: int) -> Response:
    session = get_session()
    match = _match_or_404(match_id)
    form = CloseForm()
    if form.validate_on_submit():
        child = services.visible_child(session, current_user.user, match.child_id)
        if child is None:
            abort(404)
        try:
            services.close_case(
                session, current_user.user, child, form.reason.data or "", ip=request.remote_addr
            )
            flash(f"Case {child.ref} closed.", "success")
        except services.ServiceError as exc:
            session.rollback()
            flash(str(exc), "error")
    else:
        flash("Give a reason for closing the case.", "error")
    return redirect(url_for("review.compare", match_id=match.id))


@bp.post("/<int:match_id>/referral")
@roles_required(*CASEWORK_ROLES)
def request_referral(match_id: int) -> Response:
    session = get_session()
    match = _match_or_404(match_id)
    if ActionForm().validate_on_submit():
        try:
            services.request_referral(session, current_user.user, match, ip=request.remote_addr)
            flash("Referral requested from the owning agency.", "success")
        except services.ServiceError as exc:
            session.rollback()
            flash(str(exc), "error")
    return redirect(url_for("review.compare", match_id=match.id))
