"""Supervisors' figures (cases by status, days to reunification) and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from models import (
    AuditEvent,
    ChildRegistration,
    FollowUp,
    FollowUpKind,
    Inquiry,
    PotentialMatch,
    SoughtChild,
    User,
)
from tracing.access import sees_every_agency


@dataclass
class Overview:
    children_by_status: list[tuple[str, int]]
    sought_by_status: list[tuple[str, int]]
    matches_by_status: list[tuple[str, int]]
    days_to_reunification: list[int]

    @property
    def median_days(self) -> float | None:
        values = sorted(self.days_to_reunification)
        if not values:
            return None
        middle = len(values) // 2
        return (
            float(values[middle]) if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
        )


def _status_counts(session: Session, statuses: Select[Any]) -> list[tuple[str, int]]:
    """(status, count) for a query selecting one status column, in status order."""
    column = statuses.selected_columns[0]
    stmt = statuses.add_columns(func.count()).group_by(column).order_by(column)
    return [(status, count) for status, count in session.execute(stmt).all()]


def overview(session: Session, actor: User) -> Overview:
    """Cases by status and time from registration to reunification, for the actor's agency."""
    agency = actor.agency_id
    children = _status_counts(
        session, select(ChildRegistration.status).where(ChildRegistration.agency_id == agency)
    )
    sought = _status_counts(
        session,
        select(SoughtChild.status)
        .join(Inquiry, SoughtChild.inquiry_id == Inquiry.id)
        .where(Inquiry.agency_id == agency),
    )
    matches = _status_counts(
        session, select(PotentialMatch.status).where(PotentialMatch.child_agency_id == agency)
    )
    dates = session.execute(
        select(FollowUp.occurred_on, ChildRegistration.registration_date)
        .join(ChildRegistration, FollowUp.child_id == ChildRegistration.id)
        .where(
            ChildRegistration.agency_id == agency,
            FollowUp.kind == FollowUpKind.REUNIFICATION.value,
            ChildRegistration.registration_date.is_not(None),
        )
    ).all()
    return Overview(
        children,
        sought,
        matches,
        [(done - registered).days for done, registered in dates if done and registered],
    )


def audit_events(
    session: Session,
    actor: User,
    *,
    action: str | None = None,
    ref: str | None = None,
    limit: int = 200,
) -> list[tuple[AuditEvent, str | None]]:
    """The newest audit events: a supervisor or an agency's administrator sees their
    agency's people and anyone's reads of its cases; the platform administrator all."""
    stmt = (
        select(AuditEvent, User.email)
        .outerjoin(User, AuditEvent.user_id == User.id)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    if not sees_every_agency(actor):
        # Their own people's actions, and anyone's reads of their agency's cases.
        own_children = select(ChildRegistration.id).where(
            ChildRegistration.agency_id == actor.agency_id
        )
        own_inquiries = select(Inquiry.id).where(Inquiry.agency_id == actor.agency_id)
        stmt = stmt.where(
            or_(
                User.agency_id == actor.agency_id,
                (AuditEvent.record_type == "child_registration")
                & AuditEvent.record_id.in_(own_children),
                (AuditEvent.record_type == "inquiry") & AuditEvent.record_id.in_(own_inquiries),
            )
        )
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if ref:
        stmt = stmt.where(AuditEvent.record_ref == ref)
    return [(event, email) for event, email in session.execute(stmt).all()]
