"""Consent follows the record: what a family withdraws is withdrawn everywhere it reached.

Withdrawing consent to sharing ends every referral of the record at once, so that no
other agency reads its page, photo or details any more (pages, API and exports read
access through referrals). Withdrawing consent to tracing takes the record out of
matching everywhere: its open matches end, in its own agency too, and matching
proposes none again while the consent is withheld (`proposal_writes`). Decided matches
(confirmed, reunified) are casework already done and stay.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    LIVE_REFERRAL_STATUSES,
    OPEN_MATCH_STATUSES,
    ChildRegistration,
    Inquiry,
    MatchStatus,
    PotentialMatch,
    Referral,
    ReferralStatus,
    User,
)
from models.db import transaction
from tracing.audit import record_audit
from tracing.people import as_flag


def honour_withdrawals(
    session: Session, actor: User, record: ChildRegistration | Inquiry, *, ip: str | None = None
) -> dict[str, list[int]]:
    """End what the record's consents no longer allow; return the referrals withdrawn
    and the matches superseded. Runs in the caller's transaction."""
    ended: dict[str, list[int]] = {"referrals": [], "matches": []}
    if not record.consent_sharing:
        column = Referral.child_id if isinstance(record, ChildRegistration) else Referral.inquiry_id
        for referral in session.scalars(
            select(Referral).where(column == record.id, Referral.status.in_(LIVE_REFERRAL_STATUSES))
        ):
            referral.status = ReferralStatus.WITHDRAWN.value
            referral.decided_by_id = actor.id
            ended["referrals"].append(referral.id)
            record_audit(session, actor.id, "withdraw_referral_no_consent", record=referral, ip=ip)
    if not record.consent_tracing:
        if isinstance(record, ChildRegistration):
            mine = PotentialMatch.child_id == record.id
        else:
            mine = PotentialMatch.sought_child_id.in_([s.id for s in record.sought_children])
        now = dt.datetime.now(dt.UTC)
        for match in session.scalars(
            select(PotentialMatch).where(mine, PotentialMatch.status.in_(OPEN_MATCH_STATUSES))
        ):
            match.status = MatchStatus.SUPERSEDED.value
            match.decided_by_id, match.decided_at = actor.id, now
            # as of these revisions: consent given again (a newer revision) brings the
            # pair back at the next matching (`proposal_writes`)
            match.child_revision = match.child.revision
            match.sought_revision = match.sought_child.revision
            ended["matches"].append(match.id)
            record_audit(session, actor.id, "withdraw_match_no_consent", record=match, ip=ip)
    return ended


def record_inquiry_consent(
    session: Session,
    actor: User,
    inquiry: Inquiry,
    *,
    tracing: object,
    sharing: object,
    ip: str | None = None,
) -> dict[str, list[int]]:
    """The family's consent to tracing and to sharing, as it stands now, for the
    inquiry and each child it seeks; withdrawals reach everything they had allowed."""
    tracing_now, sharing_now = (
        as_flag(tracing, "consent_tracing"),
        as_flag(sharing, "consent_sharing"),
    )
    with transaction(session):
        before = {"tracing": inquiry.consent_tracing, "sharing": inquiry.consent_sharing}
        inquiry.consent_tracing, inquiry.consent_sharing = tracing_now, sharing_now
        for sought in inquiry.sought_children:
            if (sought.consent_tracing, sought.consent_sharing) != (tracing_now, sharing_now):
                sought.consent_tracing, sought.consent_sharing = tracing_now, sharing_now
                sought.revision += 1  # a change of the record: matching looks at it again
        ended = honour_withdrawals(session, actor, inquiry, ip=ip)
        record_audit(
            session,
            actor.id,
            "record_consent",
            record=inquiry,
            ip=ip,
            details={
                "before": before,
                "after": {"tracing": tracing_now, "sharing": sharing_now},
                **ended,
            },
        )
    return ended
