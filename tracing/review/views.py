"""The review queue, the side-by-side comparison with evidence, the decisions, and the
casework recorded from a match (follow-ups, reunification, closure, referrals)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from models import PotentialMatch

from .. import access
from ..access import CASEWORK_ROLES
from ..accounts.services import agency_names
from ..casework import services as casework
from ..casework.forms import CloseForm, FollowUpForm, ReunificationForm
from ..db import get_session
from ..errors import NotFound, ServiceError
from ..forms import ActionForm
from ..security import roles_required
from . import decisions, services
from . import referrals as sharing
from .forms import DecisionForm, QueueFilterForm

bp = Blueprint("review", __name__, url_prefix="/review")

QUEUE_FILTERS = ("status", "agency", "area", "min_score")


def _match_or_404(match_id: int) -> PotentialMatch:
    match = access.visible_match(get_session(), current_user.user, match_id)
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
    size = services.QUEUE_PAGE_SIZE
    last_page = services.MAX_QUEUE_OFFSET // size
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), last_page)
    # one row more than a page tells whether there is a next page
    rows = services.review_queue(
        get_session(),
        current_user.user,
        status=form.status.data or None,
        agency=form.agency.data or None,
        area=form.area.data or None,
        min_score=min_score,
        limit=size + 1,
        offset=(page - 1) * size,
        ip=request.remote_addr,
    )
    # Only the form's own filters go into the paging links: any other argument would
    # reach url_for (which refuses some names, e.g. _external) or rewrite the link.
    filters = {name: request.args[name] for name in QUEUE_FILTERS if request.args.get(name)}
    return render_template(
        "review/queue.html",
        form=form,
        rows=rows[:size],
        page=page,
        has_next=len(rows) > size,
        filters=filters,
    )


@bp.get("/<int:match_id>")
@roles_required(*CASEWORK_ROLES)
def compare(match_id: int) -> str:
    match = _match_or_404(match_id)
    comparison = services.compare_match(
        get_session(), current_user.user, match, ip=request.remote_addr
    )
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


def _attempt(match: PotentialMatch, action: Callable[[], str]) -> Response:
    """Run a decision; flash its message, or the refusal, and go back to the comparison."""
    try:
        flash(action(), "success")
    except ServiceError as exc:
        flash(str(exc), "error")
    return redirect(url_for("review.compare", match_id=match.id))


def _refused(match: PotentialMatch, message: str) -> Response:
    flash(message, "error")
    return redirect(url_for("review.compare", match_id=match.id))


def _form_problems(form: FlaskForm) -> str:
    return "; ".join(
        f"{name}: {', '.join(map(str, errors))}" for name, errors in form.errors.items()
    )


@bp.post("/<int:match_id>/decide")
@roles_required(*CASEWORK_ROLES)
def decide(match_id: int) -> Response:
    session, match, actor, ip = (
        get_session(),
        _match_or_404(match_id),
        current_user.user,
        request.remote_addr,
    )
    form = DecisionForm()
    if not form.validate_on_submit():
        return _refused(match, "The form expired or was incomplete; please try again.")
    version = int(form.version.data)

    def decide_it() -> str:
        if form.confirm.data:
            closed = decisions.confirm_match(session, actor, match, version, ip=ip)
            return f"Match confirmed. {closed} other proposal(s) for this sought child closed."
        if form.reject.data:
            decisions.reject_match(session, actor, match, version, form.reason.data or "", ip=ip)
            return "Match rejected. It will not be proposed again unless a record changes."
        decisions.start_verification(session, actor, match, version, ip=ip)
        return "Verification started."

    return _attempt(match, decide_it)


@bp.post("/<int:match_id>/follow-up")
@roles_required(*CASEWORK_ROLES)
def follow_up(match_id: int) -> Response:
    match = _match_or_404(match_id)
    form = FollowUpForm()
    if not form.validate_on_submit():
        return _refused(match, _form_problems(form))

    def record_it() -> str:
        casework.record_follow_up(
            get_session(),
            current_user.user,
            form.kind.data or "note",
            match=match,
            occurred_on=form.occurred_on.data,
            place=form.place.data,
            outcome=form.outcome.data,
            note=form.note.data,
            ip=request.remote_addr,
        )
        return "Recorded."

    return _attempt(match, record_it)


@bp.post("/<int:match_id>/reunify")
@roles_required(*CASEWORK_ROLES)
def reunify(match_id: int) -> Response:
    match = _match_or_404(match_id)
    form = ReunificationForm()
    if not form.validate_on_submit() or not form.occurred_on.data:
        return _refused(match, _form_problems(form))
    occurred_on = form.occurred_on.data

    def reunify_it() -> str:
        casework.record_reunification(
            get_session(),
            current_user.user,
            match,
            int(form.version.data),
            occurred_on=occurred_on,
            place=form.place.data or "",
            by=form.by.data or "",
            elsewhere=bool(form.elsewhere.data),
            note=form.note.data,
            ip=request.remote_addr,
        )
        return "Reunification recorded."

    return _attempt(match, reunify_it)


@bp.post("/<int:match_id>/close")
@roles_required(*CASEWORK_ROLES)
def close(match_id: int) -> Response:
    session, match = get_session(), _match_or_404(match_id)
    form = CloseForm()
    if not form.validate_on_submit():
        return _refused(match, "Give a reason for closing the case.")
    child = access.owned_child(session, current_user.user, match.child_id)
    if child is None:
        abort(404)

    def close_it() -> str:
        casework.close_case(
            session, current_user.user, child, form.reason.data or "", ip=request.remote_addr
        )
        return f"Case {child.ref} closed."

    return _attempt(match, close_it)


@bp.post("/<int:match_id>/referral")
@roles_required(*CASEWORK_ROLES)
def request_referral(match_id: int) -> Response:
    match = _match_or_404(match_id)
    if not ActionForm().validate_on_submit():
        return _refused(match, "The form expired; please try again.")

    def refer_it() -> str:
        sharing.request_referral(get_session(), current_user.user, match, ip=request.remote_addr)
        return "Referral requested from the owning agency."

    return _attempt(match, refer_it)


@bp.get("/referrals")
@roles_required(*CASEWORK_ROLES)
def referrals() -> str:
    session = get_session()
    return render_template(
        "review/referrals.html",
        referrals=sharing.referrals_for(session, current_user.user),
        agencies=agency_names(session),
        action=ActionForm(),
    )


@bp.post("/referrals/<int:referral_id>/<any(accept, decline):verdict>")
@roles_required(*CASEWORK_ROLES)
def decide_referral(referral_id: int, verdict: str) -> Response:
    session = get_session()
    # Only the owning agency sees (and decides) its referral requests.
    try:
        referral = sharing.referral_to_decide(session, current_user.user, referral_id)
    except NotFound:
        abort(404)
    if ActionForm().validate_on_submit():
        try:
            sharing.decide_referral(
                session, current_user.user, referral, verdict == "accept", ip=request.remote_addr
            )
            flash(f"Referral {verdict}ed.", "success")
        except ServiceError as exc:
            flash(str(exc), "error")
    return redirect(url_for("review.referrals"))
