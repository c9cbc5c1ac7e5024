"""Handing a whole case to another agency (Primero's "transfer")."""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from sqlalchemy import exists, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from models import (
    LIVE_REFERRAL_STATUSES,
    NO_MATCH_STATUSES,
    WORKED_MATCH_STATUSES,
    Agency,
    ChildRegistration,
    Inquiry,
    PotentialMatch,
    Referral,
    ReferralStatus,
    Role,
    SoughtChild,
    User,
)
from models.db import transaction
from tracing.access import both_consent, may_transfer, sees_child, sees_inquiry
from tracing.audit import record_audit
from tracing.errors import NotAllowed, NotFound, ServiceError

log = logging.getLogger(__name__)


def _has_active_user() -> Any:
    """An agency with at least one active account that works cases: a platform
    administrator alone (the deployment's own agency) works none."""
    return exists().where(
        User.agency_id == Agency.id,
        User.active.is_(True),
        User.role != Role.PLATFORM_ADMIN.value,
    )


def transfer_targets(session: Session, actor: User) -> list[Agency]:
    """The agencies a case of the actor's agency may go to, by name: every other one with
    an active user (a case handed to an agency nobody works for would be orphaned)."""
    return list(
        session.scalars(
            select(Agency)
            .where(Agency.id != actor.agency_id, _has_active_user())
            .order_by(Agency.name)
        )
    )


def _carry_referrals(
    session: Session, column: Any, record_id: int, to_agency_id: int
) -> dict[str, list[int]]:
    """The referrals of a transferred case. One to the new owner is pointless now (it
    owns the case) and is withdrawn. The others, pending or accepted, now answer to the
    new owner: it decides the pending requests, and sharing already accepted goes on
    (the family consented to sharing, which a transfer requires), so that another
    agency working a match with the case keeps reading it. Declined and withdrawn
    referrals are history and stay as they were."""
    live = session.scalars(
        select(Referral).where(column == record_id, Referral.status.in_(LIVE_REFERRAL_STATUSES))
    ).all()
    carried: dict[str, list[int]] = {"withdrawn": [], "moved": []}
    for referral in live:
        if referral.to_agency_id == to_agency_id:
            referral.status = ReferralStatus.WITHDRAWN.value
            carried["withdrawn"].append(referral.id)
        else:
            referral.from_agency_id = to_agency_id
            carried["moved"].append(referral.id)
    return carried


Counterpart = ChildRegistration | Inquiry


def _case_matches(
    session: Session, record: ChildRegistration | Inquiry
) -> list[tuple[PotentialMatch, Counterpart]]:
    """Each match of a case with the record on its other side, its counterpart: the
    inquiry of a child's match, the child of a match of an inquiry's sought children."""
    if isinstance(record, ChildRegistration):
        inquiries = session.execute(
            select(PotentialMatch, Inquiry)
            .join(SoughtChild, PotentialMatch.sought_child_id == SoughtChild.id)
            .join(Inquiry, SoughtChild.inquiry_id == Inquiry.id)
            .where(PotentialMatch.child_id == record.id)
            .order_by(PotentialMatch.id)
        )
        return [(match, inquiry) for match, inquiry in inquiries]
    children = session.execute(
        select(PotentialMatch, ChildRegistration)
        .join(ChildRegistration, PotentialMatch.child_id == ChildRegistration.id)
        .join(SoughtChild, PotentialMatch.sought_child_id == SoughtChild.id)
        .where(SoughtChild.inquiry_id == record.id)
        .order_by(PotentialMatch.id)
    )
    return [(match, child) for match, child in children]


def _refuse_hiding_matches(
    matches: list[tuple[PotentialMatch, Counterpart]], source_id: int
) -> None:
    """Across agencies a match shows only while both records consent to tracing
    (`consent_allows_match`): a transfer that turns a match still being worked, now
    within one agency, into one between two agencies without that consent would make it
    vanish for both of them. Such a transfer is refused rather than the match closed: a
    verification (or a confirmed match awaiting reunification) must not end unseen, and
    whether the family consents, or the match is decided first, is for the caseworkers."""
    hidden = [
        match
        for match, other in matches
        if match.status in WORKED_MATCH_STATUSES
        and other.agency_id == source_id
        and not both_consent(match)
    ]
    if not hidden:
        return
    listed = ", ".join(
        f"{m.child.ref} with {m.sought_child.ref} ({m.status.replace('_', ' ')})" for m in hidden
    )
    refusing = sorted(
        {r.ref for m in hidden for r in (m.child, m.sought_child) if not r.consent_tracing}
    )
    raise ServiceError(
        f"the transfer would leave the match {listed} between two agencies, and "
        f"{', '.join(refusing)} did not consent to tracing across agencies, so neither "
        "agency would see the match any more; decide the match, or record the family's "
        "consent to tracing, before transferring the case"
    )


def _counterpart_referrals(
    session: Session,
    actor: User,
    record: ChildRegistration | Inquiry,
    matches: list[tuple[PotentialMatch, Counterpart]],
    source_id: int,
    target: Agency,
) -> dict[str, list[int]]:
    """The referrals of the records on the other side of a transferred case's matches
    (called once the match table's owner copies follow the transfer).

    The old owner obtained them to work its matches with the case: one (pending or
    accepted) is withdrawn when the old owner no longer owns any record with a match
    against that counterpart. The new owner gets none of them: for each counterpart of
    a match that is not closed unmatched, and visible across agencies, it gets a
    *pending* request to the counterpart's agency, which decides as on any referral
    (nothing is shared by the transfer itself), unless it owns the counterpart, sees
    it already or has asked already."""
    if isinstance(record, ChildRegistration):
        column: Any = Referral.inquiry_id
        old_owner_matched = (
            select(PotentialMatch.id)
            .join(SoughtChild, PotentialMatch.sought_child_id == SoughtChild.id)
            .where(
                PotentialMatch.child_agency_id == source_id,
                PotentialMatch.status.not_in(NO_MATCH_STATUSES),
            )
        )
        matched_with: Any = SoughtChild.inquiry_id
    else:
        column = Referral.child_id
        old_owner_matched = select(PotentialMatch.id).where(
            PotentialMatch.sought_agency_id == source_id,
            PotentialMatch.status.not_in(NO_MATCH_STATUSES),
        )
        matched_with = PotentialMatch.child_id
    by_counterpart: dict[int, tuple[Counterpart, list[PotentialMatch]]] = {}
    for match, other in matches:
        by_counterpart.setdefault(other.id, (other, []))[1].append(match)
    done: dict[str, list[int]] = {"withdrawn": [], "requested": []}
    requests: list[Referral] = []
    for other, its_matches in by_counterpart.values():
        still_matched = session.scalar(old_owner_matched.where(matched_with == other.id).limit(1))
        if other.agency_id != source_id and still_matched is None:
            for referral in session.scalars(
                select(Referral)
                .where(
                    column == other.id,
                    Referral.to_agency_id == source_id,
                    Referral.status.in_(LIVE_REFERRAL_STATUSES),
                )
                .order_by(Referral.id)
            ):
                referral.status = ReferralStatus.WITHDRAWN.value
                done["withdrawn"].append(referral.id)
        wanted = [m for m in its_matches if m.status not in NO_MATCH_STATUSES and both_consent(m)]
        if other.agency_id == target.id or not wanted:
            continue
        asked = session.scalar(
            select(Referral.id)
            .where(
                column == other.id,
                Referral.to_agency_id == target.id,
                Referral.status.in_(LIVE_REFERRAL_STATUSES),
            )
            .limit(1)
        )
        if asked is not None:
            continue
        first = wanted[0]
        requests.append(
            Referral(
                child_id=other.id if isinstance(other, ChildRegistration) else None,
                inquiry_id=other.id if isinstance(other, Inquiry) else None,
                from_agency_id=other.agency_id,
                to_agency_id=target.id,
                requested_by_id=actor.id,
                reason=f"{record.ref} transferred to {target.name}: potential match "
                f"{first.id} for sought child {first.sought_child.ref}",
            )
        )
    session.add_all(requests)
    session.flush()
    done["requested"] = [referral.id for referral in requests]
    return done


def _audit_refusal(
    session: Session,
    actor: User,
    record: ChildRegistration | Inquiry,
    to_agency_id: int,
    reason: str,
    refusal: ServiceError,
    *,
    ip: str | None,
) -> None:
    """A refused transfer (of a case the actor sees) is audited too, in a transaction of
    its own: the transfer's was rolled back. A failure to store the event is logged and
    the refusal, not that failure, goes back to the caller."""
    try:
        with transaction(session, own=True):
            record_audit(
                session,
                actor.id,
                "transfer_refused",
                record=record,
                ip=ip,
                details={
                    "refusal": str(refusal)[:2000],
                    "to_agency_id": to_agency_id,
                    "reason": (reason or "").strip()[:2000],
                },
            )
    except DBAPIError:
        log.exception("could not audit a refused transfer")


Case = TypeVar("Case", ChildRegistration, Inquiry)


def _transfer(
    session: Session,
    actor: User,
    model: type[Case],
    record_id: int,
    to_agency_id: int,
    reason: str,
    *,
    ip: str | None,
) -> Case:
    """Lock a case the actor sees and hand it to another agency, in one transaction.

    The case keeps its status: a transfer changes who works the case, not how far the
    case has come, so matching goes on as before and a verification under way stays
    under way. `CaseStatus.TRANSFERRED` is deliberately not used: it would erase the
    step the case had reached, the case flow (`mark_proposed`, `_refresh_status`)
    would no longer move it, and the new owner would inherit a case that looks done.
    The transfer is an event in the case history (the audit trail) instead.

    Referrals follow: those of the case itself (`_carry_referrals`), and those of the
    records matched with it (`_counterpart_referrals`), all listed in the audit event.
    """
    record: Case | None = None
    try:
        # Its own transaction: a refusal is rolled back and then audited (`_audit_refusal`).
        with transaction(session, own=True):
            record = session.get(model, record_id, with_for_update=True, populate_existing=True)
            if record is None or not (
                sees_child(session, actor, record)
                if isinstance(record, ChildRegistration)
                else sees_inquiry(session, actor, record)
            ):
                raise NotFound("no such case" if model is ChildRegistration else "no such inquiry")
            _hand_over(session, actor, record, to_agency_id, reason, ip=ip)
            return record
    except NotFound:
        raise  # a case the actor does not see: nothing of it is written, not even a refusal
    except ServiceError as refusal:
        if record is not None:
            _audit_refusal(session, actor, record, to_agency_id, reason, refusal, ip=ip)
        raise


def _hand_over(
    session: Session,
    actor: User,
    record: ChildRegistration | Inquiry,
    to_agency_id: int,
    reason: str,
    *,
    ip: str | None,
) -> None:
    """The transfer itself, on a locked case (see `_transfer`)."""
    if not may_transfer(actor, record):
        raise NotAllowed(
            "only a supervisor or administrator of the agency that owns the case may transfer it"
        )
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("give a reason for the transfer")
    target = session.get(Agency, to_agency_id)
    if target is None:
        raise ServiceError("there is no such agency to transfer the case to")
    source = record.agency
    if target.id == source.id:
        raise ServiceError(f"the case belongs to {source.name} already")
    active = select(User.id).where(User.agency_id == target.id, User.active.is_(True))
    if session.scalar(active.limit(1)) is None:
        raise ServiceError(f"{target.name} has no active user to take the case over")
    if not record.consent_sharing:
        raise ServiceError(
            "the family did not consent to sharing this case with other agencies, and "
            "a transfer hands it to another agency; record their consent on the case "
            "before transferring it"
        )
    case_matches = _case_matches(session, record)
    _refuse_hiding_matches(case_matches, source.id)
    details: dict[str, Any] = {}
    record.agency = target
    # The match table's copies of the owners follow, so that the new owner's review
    # queue shows the case's proposals and the old owner's no longer does.
    if isinstance(record, ChildRegistration):
        matches = update(PotentialMatch).where(PotentialMatch.child_id == record.id)
        matches = matches.values(child_agency_id=target.id)
        referral_column = Referral.child_id
    else:
        # Sought children have no owner of their own: they follow their inquiry.
        sought_ids = [s.id for s in record.sought_children]
        matches = update(PotentialMatch).where(PotentialMatch.sought_child_id.in_(sought_ids))
        matches = matches.values(sought_agency_id=target.id)
        referral_column = Referral.inquiry_id
        details["sought_children"] = [s.ref for s in record.sought_children]
    session.execute(matches, execution_options={"synchronize_session": "fetch"})
    carried = _carry_referrals(session, referral_column, record.id, target.id)
    counterparts = _counterpart_referrals(session, actor, record, case_matches, source.id, target)
    record_audit(
        session,
        actor.id,
        "transfer",
        record=record,
        ip=ip,
        details={
            "from_agency_id": source.id,
            "from_agency": source.name,
            "to_agency_id": target.id,
            "to_agency": target.name,
            "reason": reason[:2000],
            "referrals_withdrawn": carried["withdrawn"],
            "referrals_moved": carried["moved"],
            # Those the old owner had of the records matched with the case, and the
            # new owner's requests for them (the owning agencies decide).
            "counterpart_referrals_withdrawn": counterparts["withdrawn"],
            "referrals_requested": counterparts["requested"],
            **details,
        },
    )


def transfer_child(
    session: Session,
    actor: User,
    child_id: int,
    to_agency_id: int,
    reason: str,
    *,
    ip: str | None = None,
) -> ChildRegistration:
    """Transfer a registered child's case to another agency (Primero's "transfer").

    Refused (NotFound) when the actor's agency cannot see the case, (NotAllowed) unless
    the actor is a supervisor or administrator of the owning agency, and (ServiceError)
    without a reason, to an unknown agency, the owner itself or an agency without an
    active user, without the family's consent to sharing, or when a match still being
    worked would vanish (`_refuse_hiding_matches`). A refusal of a case the actor sees
    is audited ("transfer_refused")."""
    return _transfer(session, actor, ChildRegistration, child_id, to_agency_id, reason, ip=ip)


def transfer_inquiry(
    session: Session,
    actor: User,
    inquiry_id: int,
    to_agency_id: int,
    reason: str,
    *,
    ip: str | None = None,
) -> Inquiry:
    """Transfer an inquiry, with its sought children, to another agency (rules as for
    `transfer_child`)."""
    return _transfer(session, actor, Inquiry, inquiry_id, to_agency_id, reason, ip=ip)
