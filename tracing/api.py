"""A JSON API over the same use cases as the pages.

Signed-in sessions as for the pages; every write carries the CSRF token in the
X-CSRFToken header (GET /api/csrf gives it), so the API is no way around CSRF.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, abort, current_app, jsonify, make_response, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from pydantic import BaseModel, ValidationError

from models import ChildRegistration, Inquiry

from . import access, contract
from .access import (
    ALL_ROLES,
    CASEWORK_ROLES,
    INQUIRY_ROLES,
    REGISTRATION_ROLES,
    SEARCH_ROLES,
    TRANSFER_ROLES,
    searchable_kinds,
)
from .casework import transfers
from .consent import record_inquiry_consent
from .db import get_session
from .errors import NotAllowed, NotFound, ServiceError, StaleDecision, ValidationFailed
from .inquiries.services import INQUIRER_FIELDS
from .inquiries.services import file_inquiry as file_inquiry_service
from .people import PERSON_EXTRA_FIELDS
from .registrations.services import CHILD_EXTRA_FIELDS
from .registrations.services import register_child as register_child_service
from .review import decisions
from .review.services import review_queue
from .routing import MAX_RECORD_ID
from .schemas import (
    ChildIn,
    ConsentIn,
    DecisionIn,
    InquiryIn,
    TransferIn,
    given,
    problems_of,
)
from .search.services import search_people
from .security import roles_required

bp = Blueprint("api", __name__, url_prefix="/api")
Body = TypeVar("Body", bound=BaseModel)


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="send a JSON object")
    return body


def _parsed(schema: type[Body], data: Any) -> Body:
    """The body read by its schema (tracing.schemas); a refusal (422) lists every problem
    with its field."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        abort(make_response(jsonify(errors=problems_of(exc)), 422))


def _cells(values: dict[str, Any], extra: tuple[str, ...] = ()) -> dict[str, str]:
    """The contract's cells of a person, as text: the contract judges the values."""
    return {
        k: "" if values.get(k) is None else str(values[k])
        for k in (*contract.PERSON_VALUE_COLUMNS, *extra)
    }


def _problems(problems: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "column": p.column,
            "message": p.message,
            "severity": p.severity,
            **({"child": p.line} if p.line else {}),
        }
        for p in problems
    ]


class BadValue(ValueError):
    """A request field with a value it cannot have; the message names the field."""


def _whole_number(value: Any, name: str, *, low: int = 0, high: int = MAX_RECORD_ID) -> int:
    """A JSON number or numeral text that is a whole number in [low, high]; else BadValue
    with a message for the client (never Python's own text)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadValue(f"{name} must be a whole number")
    try:
        number = int(value)
    except ValueError:
        raise BadValue(f"{name} must be a whole number") from None
    if not low <= number <= high:
        raise BadValue(f"{name} must be between {low} and {high}")
    return number


def _limit(text: str | None, default: int = 100, most: int = 500) -> int:
    try:
        return max(1, min(_whole_number(text, "limit"), most)) if text else default
    except BadValue as exc:
        abort(400, description=str(exc))


@bp.get("/csrf")
@roles_required(*ALL_ROLES)
def csrf() -> ResponseReturnValue:
    return jsonify(csrf_token=generate_csrf())


@bp.post("/children")
@roles_required(*REGISTRATION_ROLES)
def register_child() -> ResponseReturnValue:
    values = given(_parsed(ChildIn, _body()))
    extra = {k: values[k] for k in CHILD_EXTRA_FIELDS if k in values}
    try:
        child, problems = register_child_service(
            get_session(),
            current_user.user,
            _cells(values, ("current_lat", "current_lon", "registration_date")),
            extra,
            ip=request.remote_addr,
            match=current_app.config["REALTIME_MATCHING"],
        )
    except ValidationFailed as exc:
        return jsonify(errors=_problems(exc.problems)), 422
    except ServiceError as exc:
        return jsonify(errors=[{"column": None, "message": str(exc)}]), 422
    return jsonify(id=child.id, ref=child.ref, warnings=_problems(problems)), 201


@bp.post("/inquiries")
@roles_required(*INQUIRY_ROLES)
def file_inquiry() -> ResponseReturnValue:
    body = _parsed(InquiryIn, _body())
    values = given(body)
    inquirer: dict[str, Any] = {k: values[k] for k in INQUIRER_FIELDS if k in values}
    sought = [
        (_cells(child), {k: child[k] for k in PERSON_EXTRA_FIELDS if k in child})
        for child in (given(c) for c in body.children)
    ]
    try:
        inquiry, problems = file_inquiry_service(
            get_session(),
            current_user.user,
            inquirer,
            sought,
            ip=request.remote_addr,
            match=current_app.config["REALTIME_MATCHING"],
        )
    except ValidationFailed as exc:
        return jsonify(errors=_problems(exc.problems)), 422
    except ServiceError as exc:
        return jsonify(errors=[{"column": None, "message": str(exc)}]), 422
    return jsonify(
        id=inquiry.id,
        ref=inquiry.ref,
        sought=[{"id": s.id, "ref": s.ref} for s in inquiry.sought_children],
        warnings=_problems(problems),
    ), 201


@bp.post("/inquiries/<int:inquiry_id>/consent")
@roles_required(*INQUIRY_ROLES)
def inquiry_consent(inquiry_id: int) -> ResponseReturnValue:
    """`{"consent_tracing": true/false, "consent_sharing": true/false}`: the family's
    consent as it stands now, recorded by the inquiry's own agency."""
    inquiry = access.owned_inquiry(get_session(), current_user.user, inquiry_id)
    if inquiry is None:
        abort(404)
    body = _parsed(ConsentIn, _body())
    try:
        ended = record_inquiry_consent(
            get_session(),
            current_user.user,
            inquiry,
            tracing=body.consent_tracing,
            sharing=body.consent_sharing,
            ip=request.remote_addr,
        )
    except ValidationFailed as exc:
        return jsonify(errors=_problems(exc.problems)), 422
    return jsonify(
        id=inquiry.id,
        consent_tracing=inquiry.consent_tracing,
        consent_sharing=inquiry.consent_sharing,
        referrals_withdrawn=ended["referrals"],
        matches_closed=ended["matches"],
    )


@bp.get("/matches")
@roles_required(*CASEWORK_ROLES)
def matches() -> ResponseReturnValue:
    rows = review_queue(
        get_session(),
        current_user.user,
        status=request.args.get("status") or None,
        limit=_limit(request.args.get("limit")),
        offset=request.args.get("offset", 0, type=int) or 0,  # the service clamps it
        ip=request.remote_addr,
    )
    return jsonify(
        [
            {
                "id": r.match.id,
                "score": r.match.score,
                "status": r.match.status,
                "version": r.match.version,
                "sought_ref": r.match.sought_child.ref if r.sought_visible else None,
                "child_ref": r.match.child.ref if r.child_visible else None,
                "child_matched_to_inquiry": r.matched_elsewhere,
            }
            for r in rows
        ]
    )


@bp.post("/matches/<int:match_id>/decision")
@roles_required(*CASEWORK_ROLES)
def decide(match_id: int) -> ResponseReturnValue:
    session = get_session()
    match = access.visible_match(session, current_user.user, match_id)
    if match is None:
        abort(404)
    data = _body()
    try:
        version = _whole_number(data.get("version"), "version")
    except BadValue as exc:
        return jsonify(error=str(exc)), 422
    try:
        choice = DecisionIn.model_validate(data)
    except ValidationError:
        return jsonify(
            error="decision is confirm or reject; a reason is text of 2,000 characters at most"
        ), 422
    try:
        if choice.decision == "confirm":
            decisions.confirm_match(
                session, current_user.user, match, version, ip=request.remote_addr
            )
        else:
            decisions.reject_match(
                session,
                current_user.user,
                match,
                version,
                choice.reason or "",
                ip=request.remote_addr,
            )
    except StaleDecision as exc:
        return jsonify(error=str(exc)), 409
    except NotAllowed as exc:
        return jsonify(error=str(exc)), 403
    except ServiceError as exc:
        return jsonify(error=str(exc)), 422
    return jsonify(id=match.id, status=match.status, version=match.version)


def _transfer(
    transfer: Callable[..., ChildRegistration | Inquiry], record_id: int
) -> ResponseReturnValue:
    """`{"to_agency_id": ..., "reason": ...}`: hand the case to that agency."""
    data = _body()
    try:
        to_agency = _whole_number(data.get("to_agency_id"), "to_agency_id", low=1)
    except BadValue:
        message = "to_agency_id is the id of an agency"
        return jsonify(errors=[{"column": "to_agency_id", "message": message}]), 422
    try:
        record = transfer(
            get_session(),
            current_user.user,
            record_id,
            to_agency,
            _parsed(TransferIn, data).reason,
            ip=request.remote_addr,
        )
    except NotFound:
        abort(404)
    except NotAllowed as exc:
        return jsonify(errors=[{"column": None, "message": str(exc)}]), 403
    except ServiceError as exc:
        return jsonify(errors=[{"column": None, "message": str(exc)}]), 422
    return jsonify(
        id=record.id, ref=record.ref, agency_id=record.agency_id, agency=record.agency.name
    )


@bp.post("/children/<int:child_id>/transfer")
@roles_required(*TRANSFER_ROLES)
def transfer_child(child_id: int) -> ResponseReturnValue:
    if access.visible_child(get_session(), current_user.user, child_id) is None:
        abort(404)
    return _transfer(transfers.transfer_child, child_id)


@bp.post("/inquiries/<int:inquiry_id>/transfer")
@roles_required(*TRANSFER_ROLES)
def transfer_inquiry(inquiry_id: int) -> ResponseReturnValue:
    if access.visible_inquiry(get_session(), current_user.user, inquiry_id) is None:
        abort(404)
    return _transfer(transfers.transfer_inquiry, inquiry_id)


@bp.get("/search")
@roles_required(*SEARCH_ROLES)
def search() -> ResponseReturnValue:
    query = (request.args.get("q") or "").strip()[:200]
    kinds = searchable_kinds(current_user.role)
    hits = search_people(get_session(), current_user.user, query, kinds=kinds) if query else []
    return jsonify(
        [
            {
                "kind": h.kind,
                "ref": h.record.ref,
                "similarity": round(h.similarity, 3),
                "given_name": h.record.given_name,
                "family_name": h.record.family_name,
            }
            for h in hits
        ]
    )
