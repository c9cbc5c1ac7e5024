"""Follow-ups, reunification, closure and a case's history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    AuditEvent,
    CaseStatus,
    ChildRegistration,
    FollowUp,
    FollowUpKind,
    Inquiry,
    MatchStatus,
    PotentialMatch,
    SoughtChild,
    User,
)
from models.db import transaction
from tracing.access import check_may_decide, follow_up_visible_to
from tracing.audit import record_audit
from tracing.errors import ServiceError
from tracing.linkage import block_index
from tracing.review.decisions import check_version, optimistic


def record_follow_up(
    session: Session,
    actor: User,
    kind: str,
    *,
    child: ChildRegistration | None = None,
    sought_child: SoughtChild | None = None,
    match: PotentialMatch | None = None,
    occurred_on: dt.date | None = None,
    place: str | None = None,
    outcome: str | None = None,
    note: str | None = None,
    ip: str | None = None,
) -> FollowUp:
    """Record a verification step, visit or note (DESIGN §1 follow-ups)."""
    if kind not in {k.value for k in FollowUpKind}:
        raise ServiceError(f"unknown follow-up kind {kind!r}")
    if occurred_on and occurred_on > dt.date.today():
        raise ServiceError("the date is in the future")
    if match is not None:
        child, sought_child = child or match.child, sought_child or match.sought_child
    follow_up = FollowUp(
        kind=kind,
        child_id=child.id if child else None,
        sought_child_id=sought_child.id if sought_child else None,
        match_id=match.id if match else None,
        occurred_on=occurred_on or dt.date.today(),
        place=place or None,
        outcome=outcome or None,
        note=note or None,
        author_id=actor.id,
    )
    with transaction(session):
        session.add(follow_up)
        session.flush()
        record_audit(
            session,
            actor.id,
            f"follow_up:{kind}",
            record=follow_up,
            ip=ip,
            details={"match": match.id if match else None},
        )
    return follow_up


@optimistic
def record_reunification(
    session: Session,
    actor: User,
    match: PotentialMatch,
    expected_version: int,
    *,
    occurred_on: dt.date,
    place: str,
    by: str,
    elsewhere: bool = False,
    note: str | None = None,
    ip: str | None = None,
) -> None:
    """A confirmed match ends in reunification (or the child was reunified elsewhere),
    recorded by an agency that sees both records (`access.check_may_decide`)."""
    check_version(session, match, expected_version)
    check_may_decide(session, actor, match)
    if match.status != MatchStatus.CONFIRMED.value:
        raise ServiceError("only a confirmed match can be reunified")
    status = CaseStatus.REUNIFIED_ELSEWHERE if elsewhere else CaseStatus.REUNIFIED
    match.status = (MatchStatus.REUNIFIED_ELSEWHERE if elsewhere else MatchStatus.REUNIFIED).value
    match.child.status = status.value
    match.sought_child.status = status.value
    block_index.forget_children(session, [match.child_id])  # no candidate any more
    inquiry = match.sought_child.inquiry
    if all(
        s.status
        in (
            CaseStatus.REUNIFIED.value,
            CaseStatus.REUNIFIED_ELSEWHERE.value,
            CaseStatus.CLOSED.value,
        )
        for s in inquiry.sought_children
    ):
        inquiry.status = status.value
    record_follow_up(
        session,
        actor,
        "reunification",
        match=match,
        occurred_on=occurred_on,
        place=place,
        outcome=f"reunified{' elsewhere' if elsewhere else ''} by {by}",
        note=note,
        ip=ip,
    )


def close_case(
    session: Session, actor: User, child: ChildRegistration, reason: str, *, ip: str | None
) -> None:
    if not reason.strip():
        raise ServiceError("give a reason for closing the case")
    with transaction(session):
        child.status = CaseStatus.CLOSED.value
        block_index.forget_children(session, [child.id])  # no candidate any more
        record_follow_up(session, actor, "closure", child=child, outcome=reason.strip(), ip=ip)


@dataclass
class HistoryEntry:
    at: dt.datetime
    on: dt.date
    what: str
    outcome: str
    note: str


def case_history(
    session: Session, record: ChildRegistration | Inquiry, actor: User
) -> list[HistoryEntry]:
    """A case's history as the actor may read it, oldest first: its follow-ups (an
    inquiry's are those of its sought children; see `follow_up_visible_to`) and, from
    the audit trail, its transfers between agencies. A transfer's reason shows only to
    the agency owning the case now and to those it went from and to."""
    if isinstance(record, ChildRegistration):
        about = FollowUp.child_id == record.id
        label: dict[int | None, str] = {}
    else:
        label = {s.id: f" ({s.ref})" for s in record.sought_children}
        about = FollowUp.sought_child_id.in_(list(label))
    entries = [
        HistoryEntry(
            f.created_at,
            f.occurred_on or f.created_at.date(),
            f.kind.replace("_", " ") + label.get(f.sought_child_id, ""),
            f.outcome or "",
            f.note or "",
        )
        for f in session.scalars(select(FollowUp).where(about, follow_up_visible_to(actor)))
    ]
    transfers = session.scalars(
        select(AuditEvent).where(
            AuditEvent.record_type == record.__tablename__,
            AuditEvent.record_id == record.id,
            AuditEvent.action == "transfer",
        )
    )
    for event in transfers:
        parties = {
            record.agency_id,
            event.details.get("from_agency_id"),
            event.details.get("to_agency_id"),
        }
        entries.append(
            HistoryEntry(
                event.at,
                event.at.date(),
                "transfer",
                f"from {event.details.get('from_agency')} to {event.details.get('to_agency')}",
                str(event.details.get("reason") or "") if actor.agency_id in parties else "",
            )
        )
    entries.sort(key=lambda entry: entry.at)
    return entries
