"""Decisions on a potential match: start verification, confirm, reject. Each decides for
both records, so the actor's agency must see both (`access.check_may_decide`).

Two caseworkers deciding the same match at once: the match's version column lets one
win and the other get `StaleDecision`, nothing stored.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from models import (
    MATCHED_STATUSES,
    OPEN_MATCH_STATUSES,
    CaseStatus,
    ChildRegistration,
    MatchStatus,
    PotentialMatch,
    SoughtChild,
    User,
)
from models.db import run_in_transaction
from tracing.access import check_may_decide
from tracing.audit import record_audit
from tracing.errors import ServiceError, StaleDecision


def check_version(session: Session, match: PotentialMatch, expected_version: int) -> None:
    if match.version != expected_version:
        raise StaleDecision(
            "Another caseworker decided this match while you were looking at it; "
            "the page now shows their decision."
        )


Decision = TypeVar("Decision", bound=Callable[..., Any])
ALREADY_CONFIRMED = "this sought child has a confirmed match already; reject that one first"


def optimistic(func: Decision) -> Decision:
    """Run a decision on a match in one transaction (`func` takes the session first),
    again if PostgreSQL aborted it to break a deadlock (`run_in_transaction`).

    A concurrent decision on the same match surfaces as StaleDecision, nothing stored:
    the version column makes the second UPDATE match no row, wherever the session
    flushes it (an autoflush before a query, or the commit). A second confirmed match
    for one sought child is refused by the store's unique index, and said in words.
    """

    @functools.wraps(func)
    def wrapper(session: Session, *args: Any, **kwargs: Any) -> Any:
        try:
            return run_in_transaction(session, lambda: func(session, *args, **kwargs))
        except StaleDataError:
            raise StaleDecision(
                "Another caseworker decided this match at the same moment; "
                "their decision was kept. Reload to see it."
            ) from None
        except IntegrityError as exc:
            if "one_confirmed" in str(exc.orig):
                raise ServiceError(ALREADY_CONFIRMED) from None
            raise

    return wrapper  # type: ignore[return-value]


@optimistic
def start_verification(
    session: Session, actor: User, match: PotentialMatch, expected_version: int, *, ip: str | None
) -> None:
    check_version(session, match, expected_version)
    check_may_decide(session, actor, match)
    if match.status != MatchStatus.PROPOSED.value:
        raise ServiceError(f"this match is {match.status.replace('_', ' ')}, not proposed")
    match.status = MatchStatus.IN_VERIFICATION.value
    match.child.status = CaseStatus.VERIFICATION.value
    match.sought_child.status = CaseStatus.VERIFICATION.value
    record_audit(session, actor.id, "start_verification", record=match, ip=ip)


@optimistic
def confirm_match(
    session: Session, actor: User, match: PotentialMatch, expected_version: int, *, ip: str | None
) -> int:
    """Confirm child C for sought child S. Every other open proposal for S is closed;
    other proposals for C stay open (a second relative may have filed for the same
    child) and are flagged by `matched_elsewhere`. Returns how many were closed.

    One confirmation at a time per sought child: the sought child's row is locked first,
    so a second caseworker confirming another child for it at the same moment waits, then
    finds it decided and is told so (without the lock both transactions deadlocked on the
    one-confirmed-match index)."""
    session.execute(
        select(SoughtChild.id).where(SoughtChild.id == match.sought_child_id).with_for_update()
    )
    session.refresh(match)  # as the caseworker who held the lock left it
    check_version(session, match, expected_version)
    check_may_decide(session, actor, match)
    if match.status not in OPEN_MATCH_STATUSES:
        raise ServiceError(f"this match is {match.status.replace('_', ' ')} already")
    confirmed_elsewhere = session.scalar(
        select(PotentialMatch.id)
        .where(
            PotentialMatch.sought_child_id == match.sought_child_id,
            PotentialMatch.id != match.id,
            PotentialMatch.status.in_(MATCHED_STATUSES),
        )
        .limit(1)
    )
    if confirmed_elsewhere is not None:
        raise ServiceError(ALREADY_CONFIRMED)
    now = dt.datetime.now(dt.UTC)
    match.status = MatchStatus.CONFIRMED.value
    match.decided_by_id, match.decided_at = actor.id, now
    match.child_revision, match.sought_revision = match.child.revision, match.sought_child.revision
    match.child.status = CaseStatus.VERIFICATION.value
    match.sought_child.status = CaseStatus.VERIFICATION.value
    others = session.scalars(
        select(PotentialMatch).where(
            PotentialMatch.sought_child_id == match.sought_child_id,
            PotentialMatch.id != match.id,
            PotentialMatch.status.in_(OPEN_MATCH_STATUSES),
        )
    ).all()
    for other in others:
        other.status = MatchStatus.SUPERSEDED.value
        other.decided_by_id, other.decided_at = actor.id, now
    record_audit(
        session,
        actor.id,
        "confirm_match",
        record=match,
        ip=ip,
        details={
            "child": match.child.ref,
            "sought": match.sought_child.ref,
            "score": match.score,
            "superseded": [o.id for o in others],
        },
    )
    return len(others)


@optimistic
def reject_match(
    session: Session,
    actor: User,
    match: PotentialMatch,
    expected_version: int,
    reason: str,
    *,
    ip: str | None,
) -> None:
    """Reject a proposal; it is not proposed again unless one of its records changes."""
    reason = reason.strip()
    if not reason:
        raise ServiceError("give a reason for the rejection")
    check_version(session, match, expected_version)
    check_may_decide(session, actor, match)
    if match.status not in OPEN_MATCH_STATUSES:
        raise ServiceError(f"this match is {match.status.replace('_', ' ')} already")
    match.status = MatchStatus.REJECTED.value
    match.reject_reason = reason[:2000]
    match.decided_by_id, match.decided_at = actor.id, dt.datetime.now(dt.UTC)
    match.child_revision, match.sought_revision = match.child.revision, match.sought_child.revision
    session.flush()
    _refresh_status(session, match.child, PotentialMatch.child_id)
    _refresh_status(session, match.sought_child, PotentialMatch.sought_child_id)
    record_audit(session, actor.id, "reject_match", record=match, ip=ip, details={"reason": reason})


def _refresh_status(session: Session, record: ChildRegistration | SoughtChild, column: Any) -> None:
    """After a rejection, a record's status follows the matches it still has."""
    if record.status not in (CaseStatus.VERIFICATION.value, CaseStatus.MATCH_PROPOSED.value):
        return
    statuses = set(session.scalars(select(PotentialMatch.status).where(column == record.id)))
    if statuses & {MatchStatus.CONFIRMED.value, MatchStatus.IN_VERIFICATION.value}:
        record.status = CaseStatus.VERIFICATION.value
    elif MatchStatus.PROPOSED.value in statuses:
        record.status = CaseStatus.MATCH_PROPOSED.value
    else:
        record.status = CaseStatus.TRACING.value
