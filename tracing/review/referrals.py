"""Referrals: one agency asks the owner of a record to share it; the owner decides."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    LIVE_REFERRAL_STATUSES,
    ChildRegistration,
    Inquiry,
    PotentialMatch,
    Referral,
    ReferralStatus,
    User,
)
from models.db import transaction
from tracing.audit import record_audit
from tracing.errors import NotFound, ServiceError


def request_referral(
    session: Session, actor: User, match: PotentialMatch, *, ip: str | None
) -> Referral:
    """Ask the agency owning the other side of a match (the child, or the inquiry) to
    share its details with the actor's agency."""
    child, inquiry = match.child, match.sought_child.inquiry
    if child.agency_id != actor.agency_id:
        target = {"child_id": child.id, "from_agency_id": child.agency_id}
    elif inquiry.agency_id != actor.agency_id:
        target = {"inquiry_id": inquiry.id, "from_agency_id": inquiry.agency_id}
    else:
        raise ServiceError("your agency owns both records already")
    existing = session.scalar(
        select(Referral).where(
            Referral.child_id == target.get("child_id"),
            Referral.inquiry_id == target.get("inquiry_id"),
            Referral.to_agency_id == actor.agency_id,
            Referral.status.in_(LIVE_REFERRAL_STATUSES),
        )
    )
    if existing is not None:
        return existing
    referral = Referral(
        **target,
        to_agency_id=actor.agency_id,
        requested_by_id=actor.id,
        reason=f"potential match {match.id} for sought child {match.sought_child.ref}",
    )
    with transaction(session):
        session.add(referral)
        session.flush()
        record_audit(session, actor.id, "request_referral", record=referral, ip=ip)
    return referral


def decide_referral(
    session: Session, actor: User, referral: Referral, accept: bool, *, ip: str | None
) -> None:
    """The owning agency accepts or declines sharing a case with another agency."""
    if referral.from_agency_id != actor.agency_id:
        raise ServiceError("only the owning agency decides on a referral")
    if referral.status != ReferralStatus.PENDING.value:
        raise ServiceError(f"this referral is {referral.status} already")
    if accept:
        shared = (
            session.get(ChildRegistration, referral.child_id)
            if referral.child_id
            else session.get(Inquiry, referral.inquiry_id)
        )
        if shared is not None and not shared.consent_sharing:
            raise ServiceError(
                "the family did not consent to sharing this case with other agencies; "
                "record their consent on the case before accepting"
            )
    with transaction(session):
        referral.status = (ReferralStatus.ACCEPTED if accept else ReferralStatus.DECLINED).value
        referral.decided_by_id = actor.id
        record_audit(session, actor.id, f"referral_{referral.status}", record=referral, ip=ip)


def referrals_for(session: Session, actor: User) -> list[Referral]:
    """Referral requests waiting for the actor's agency (the owner) to decide."""
    return list(
        session.scalars(
            select(Referral)
            .where(
                Referral.from_agency_id == actor.agency_id,
                Referral.status == ReferralStatus.PENDING.value,
            )
            .order_by(Referral.created_at)
        )
    )


def referral_to_decide(session: Session, actor: User, referral_id: int) -> Referral:
    """A referral request of the actor's agency (the owner); another agency's is not found."""
    referral = session.get(Referral, referral_id)
    if referral is None or referral.from_agency_id != actor.agency_id:
        raise NotFound("no such referral")
    return referral
