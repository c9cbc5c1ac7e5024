"""The dashboard: counts, recent records and top matches for the signed-in role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from models import OPEN_MATCH_STATUSES, ChildRegistration, Inquiry, PotentialMatch, Role, User
from tracing.review.referrals import referrals_for
from tracing.review.services import QueueRow, review_queue


@dataclass
class Dashboard:
    counts: dict[str, int]
    recent_children: list[ChildRegistration]
    recent_inquiries: list[Inquiry]
    top_matches: list[QueueRow]  # with what the actor may see of each record
    pending_referrals: int


def dashboard(session: Session, actor: User) -> Dashboard:
    """What the actor's role works on first thing in the morning, for their agency."""
    agency = actor.agency_id
    role = actor.role
    counts = {
        "children": session.scalar(
            select(func.count())
            .select_from(ChildRegistration)
            .where(ChildRegistration.agency_id == agency)
        )
        or 0,
        "inquiries": session.scalar(
            select(func.count()).select_from(Inquiry).where(Inquiry.agency_id == agency)
        )
        or 0,
        "open_matches": session.scalar(
            select(func.count())
            .select_from(PotentialMatch)
            .where(
                or_(
                    PotentialMatch.child_agency_id == agency,
                    PotentialMatch.sought_agency_id == agency,
                ),
                PotentialMatch.status.in_(OPEN_MATCH_STATUSES),
            )
        )
        or 0,
    }
    casework = role in (Role.CASEWORKER.value, Role.SUPERVISOR.value)
    recent_children: list[ChildRegistration] = []
    if casework or role == Role.REGISTRAR.value:
        recent_children = list(
            session.scalars(
                select(ChildRegistration)
                .where(ChildRegistration.agency_id == agency)
                .order_by(ChildRegistration.id.desc())
                .limit(8)
            )
        )
    recent_inquiries: list[Inquiry] = []
    if casework or role == Role.HELPDESK.value:
        recent_inquiries = list(
            session.scalars(
                select(Inquiry)
                .where(Inquiry.agency_id == agency)
                .order_by(Inquiry.id.desc())
                .limit(8)
            )
        )
    top = review_queue(session, actor, limit=5) if casework else []
    pending = len(referrals_for(session, actor)) if casework else 0
    return Dashboard(counts, recent_children, recent_inquiries, top, pending)
