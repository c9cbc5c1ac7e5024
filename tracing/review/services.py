"""The review queue and the side-by-side comparison of a match with its evidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, defer, joinedload

from models import (
    CLOSED_STATUSES,
    MATCHED_STATUSES,
    OPEN_MATCH_STATUSES,
    Agency,
    ChildRegistration,
    FollowUp,
    Inquiry,
    MatchStatus,
    PotentialMatch,
    RankedCandidate,
    Referral,
    ReferralStatus,
    SoughtChild,
    User,
)
from models.db import transaction
from tracing.access import (
    accepted_referrals,
    consent_allows_match,
    escape_like,
    follow_up_visible_to,
    may_see_exact_location,
    pair_sides_seen,
    sees_child,
    sees_inquiry,
    sides_seen,
)
from tracing.audit import record_audit


@dataclass
class QueueRow:
    match: PotentialMatch
    child_visible: bool
    sought_visible: bool
    matched_elsewhere: str | None


QUEUE_PAGE_SIZE = 50


MAX_QUEUE_ROWS = 1000


# Far past any real queue, well inside PostgreSQL's bigint: a forged ?page=1e20 gets an
# empty page, not an error.
MAX_QUEUE_OFFSET = 10**9


def review_queue(
    session: Session,
    actor: User,
    *,
    status: str | None = None,
    agency: str | None = None,
    area: str | None = None,
    min_score: float | None = None,
    limit: int = QUEUE_PAGE_SIZE,
    offset: int = 0,
    ip: str | None = None,
) -> list[QueueRow]:
    """Matches that touch the actor's agency, most probable first: `limit` rows from
    `offset` on (rows another agency's missing consent hides are left out). The list
    shows names: the read is audited, with its filters."""
    # First the ids, from the match table alone (its agency columns are indexed); the
    # joins are made only for the filters that need them; then the rows. The consent
    # rule (`consent_allows_match`) is part of the query, so that LIMIT and OFFSET count
    # only rows the actor may see and the pages neither skip nor repeat one.
    consented = or_(
        PotentialMatch.child_agency_id == PotentialMatch.sought_agency_id,
        PotentialMatch.status.in_(MATCHED_STATUSES),  # decided: casework under way
        and_(
            exists()
            .where(
                ChildRegistration.id == PotentialMatch.child_id, ChildRegistration.consent_tracing
            )
            .correlate(PotentialMatch),  # not the area filter's join of the same table
            exists()
            .where(SoughtChild.id == PotentialMatch.sought_child_id, SoughtChild.consent_tracing)
            .correlate(PotentialMatch),
        ),
    )
    stmt = (
        select(PotentialMatch.id)
        .where(
            or_(
                PotentialMatch.child_agency_id == actor.agency_id,
                PotentialMatch.sought_agency_id == actor.agency_id,
            ),
            consented,
        )
        .order_by(PotentialMatch.score.desc(), PotentialMatch.id)
        .limit(max(0, min(limit, MAX_QUEUE_ROWS)))
        .offset(max(0, min(offset, MAX_QUEUE_OFFSET)))
    )
    if status:
        stmt = stmt.where(PotentialMatch.status == status)
    else:
        stmt = stmt.where(PotentialMatch.status.in_(OPEN_MATCH_STATUSES))
    if agency:
        pattern = f"%{escape_like(agency)}%"
        named = select(Agency.id).where(Agency.name.ilike(pattern, escape="\\"))
        stmt = stmt.where(
            or_(
                PotentialMatch.child_agency_id.in_(named),
                PotentialMatch.sought_agency_id.in_(named),
            )
        )
    if area:
        # Only the places of records the actor may open: another agency's places would
        # make the filter an oracle for where its children are. The text is matched as
        # written (% and _ are not wildcards).
        pattern = f"%{escape_like(area)}%"
        child_seen = or_(
            ChildRegistration.agency_id == actor.agency_id,
            ChildRegistration.consent_sharing
            & ChildRegistration.id.in_(accepted_referrals(actor, Referral.child_id)),
        )
        inquiry_seen = or_(
            Inquiry.agency_id == actor.agency_id,
            Inquiry.consent_sharing
            & Inquiry.id.in_(accepted_referrals(actor, Referral.inquiry_id)),
        )
        stmt = (
            stmt.join(ChildRegistration, PotentialMatch.child_id == ChildRegistration.id)
            .join(SoughtChild, PotentialMatch.sought_child_id == SoughtChild.id)
            .join(Inquiry, SoughtChild.inquiry_id == Inquiry.id)
            .where(
                or_(
                    child_seen
                    & or_(
                        ChildRegistration.separation_place.ilike(pattern, escape="\\"),
                        ChildRegistration.current_place.ilike(pattern, escape="\\"),
                    ),
                    inquiry_seen & SoughtChild.separation_place.ilike(pattern, escape="\\"),
                )
            )
        )
    if min_score is not None:
        stmt = stmt.where(PotentialMatch.score >= min_score)
    ids = list(session.scalars(stmt))
    matches = list(
        session.scalars(
            select(PotentialMatch)
            .where(PotentialMatch.id.in_(ids))
            .options(
                defer(PotentialMatch.evidence),  # the queue shows no evidence: skip its JSON
                joinedload(PotentialMatch.child),
                joinedload(PotentialMatch.sought_child).joinedload(SoughtChild.inquiry),
            )
            .order_by(PotentialMatch.score.desc(), PotentialMatch.id)
        ).unique()
    )
    seen = sides_seen(session, actor, matches)
    elsewhere = matched_elsewhere(session, matches)
    filters = {"status": status, "agency": agency, "area": area, "min_score": min_score}
    with transaction(session):
        record_audit(
            session,
            actor.id,
            "list_matches",
            ip=ip,
            details={
                "filters": {k: v for k, v in filters.items() if v is not None},
                "offset": offset,
                "rows": len(matches),
            },
        )
    return [
        QueueRow(m, child_seen, sought_seen, elsewhere.get(m.id))
        for m, (child_seen, sought_seen) in zip(matches, seen, strict=True)
    ]


def matched_elsewhere(session: Session, matches: Sequence[PotentialMatch]) -> dict[int, str]:
    """For each match whose child another confirmed (or reunified) match already ties to
    an inquiry: match id -> that inquiry's ref. One query for a whole page."""
    decided = session.execute(
        select(PotentialMatch.child_id, PotentialMatch.id, Inquiry.ref)
        .join(SoughtChild, PotentialMatch.sought_child_id == SoughtChild.id)
        .join(Inquiry, SoughtChild.inquiry_id == Inquiry.id)
        .where(
            PotentialMatch.child_id.in_([m.child_id for m in matches]),
            PotentialMatch.status.in_((MatchStatus.CONFIRMED.value, MatchStatus.REUNIFIED.value)),
        )
    ).all()
    found: dict[int, str] = {}
    for m in matches:
        ref = next((r for c, mid, r in decided if c == m.child_id and mid != m.id), None)
        if ref is not None:
            found[m.id] = ref
    return found


@dataclass
class Comparison:
    match: PotentialMatch
    child_visible: bool
    sought_visible: bool
    exact_location: bool
    evidence: list[dict[str, Any]]
    prior_weight: float
    siblings: list[tuple[SoughtChild, list[PotentialMatch]]]
    matched_elsewhere: str | None
    history: list[FollowUp]
    referral_pending: bool


def compare_match(
    session: Session, actor: User, match: PotentialMatch, *, ip: str | None
) -> Comparison:
    """Both records side by side with the engine's evidence; the read is audited."""
    child, sought = match.child, match.sought_child
    child_visible = sees_child(session, actor, child)
    sought_visible = sees_inquiry(session, actor, sought.inquiry)
    siblings = []
    for other in sought.inquiry.sought_children:
        if other.id == sought.id:
            continue
        proposals = session.scalars(
            select(PotentialMatch)
            .where(PotentialMatch.sought_child_id == other.id)
            .order_by(PotentialMatch.score.desc())
            .limit(3)
        ).all()
        siblings.append((other, list(proposals)))
    # Notes about a record the actor may not see stay with that record's agency; notes
    # of this match go to both agencies working it, those of the records' other matches
    # only as `follow_up_visible_to` allows.
    about = [FollowUp.match_id == match.id]
    if child_visible:
        about.append(and_(FollowUp.child_id == child.id, follow_up_visible_to(actor)))
    if sought_visible:
        about.append(and_(FollowUp.sought_child_id == sought.id, follow_up_visible_to(actor)))
    history = session.scalars(
        select(FollowUp).where(or_(*about)).order_by(FollowUp.created_at)
    ).all()
    pending = session.scalar(
        select(Referral.id).where(
            or_(Referral.child_id == child.id, Referral.inquiry_id == sought.inquiry_id),
            Referral.to_agency_id == actor.agency_id,
            Referral.status == ReferralStatus.PENDING.value,
        )
    )
    evidence = match.evidence or {}
    with transaction(session):
        record_audit(
            session,
            actor.id,
            "view_match",
            record=match,
            ip=ip,
            details={"child": child.ref if child_visible else None, "sought": sought.ref},
        )
    return Comparison(
        match=match,
        child_visible=child_visible,
        sought_visible=sought_visible,
        exact_location=may_see_exact_location(actor, child),
        evidence=list(evidence.get("fields", [])),
        prior_weight=float(evidence.get("prior_weight", 0.0)),
        siblings=siblings,
        matched_elsewhere=matched_elsewhere(session, [match]).get(match.id),
        history=list(history),
        referral_pending=pending is not None,
    )


@dataclass
class ProposalRow:
    """A potential match on a case page: the refs of the records the actor may open
    (None: another agency's record, not shared with the actor's agency)."""

    match: PotentialMatch
    child_ref: str | None
    sought_ref: str | None


def proposals_for(
    session: Session,
    actor: User,
    *,
    child_ids: Sequence[int] = (),
    sought_ids: Sequence[int] = (),
) -> list[ProposalRow]:
    """Every potential match (any status) of these records, most probable first; across
    agencies only while both records consent to tracing, and another agency's record
    named only once it is shared."""
    matches = [
        m
        for m in session.scalars(
            select(PotentialMatch)
            .where(
                or_(
                    PotentialMatch.child_id.in_(list(child_ids)),
                    PotentialMatch.sought_child_id.in_(list(sought_ids)),
                )
            )
            .options(
                joinedload(PotentialMatch.sought_child).joinedload(SoughtChild.inquiry),
                joinedload(PotentialMatch.child),
            )
            .order_by(PotentialMatch.score.desc())
        ).unique()
        if consent_allows_match(m)
    ]
    return [
        ProposalRow(
            m, m.child.ref if child_seen else None, m.sought_child.ref if sought_seen else None
        )
        for m, (child_seen, sought_seen) in zip(
            matches, sides_seen(session, actor, matches), strict=True
        )
    ]


@dataclass
class BelowFloorRow:
    """A candidate the engine ranked below the proposal floor (None: another agency's
    record, not shared with the actor's agency)."""

    rank: int
    score: float
    sought_ref: str | None
    child_ref: str | None


def candidates_below_floor(
    session: Session, actor: User, sought_ids: Sequence[int], floor: float
) -> list[BelowFloorRow]:
    """The ranked candidates of these sought children below `floor` that are no potential
    match, by sought child and rank: open registrations, while both families consent to
    tracing (a pair too weak to propose is no business of an agency without it); another
    agency's record named only once shared, as on the proposals."""
    has_match = (
        select(PotentialMatch.id)
        .where(
            PotentialMatch.child_id == RankedCandidate.child_id,
            PotentialMatch.sought_child_id == RankedCandidate.sought_child_id,
        )
        .exists()
    )
    rows = session.execute(
        select(RankedCandidate, ChildRegistration, SoughtChild)
        .join(ChildRegistration, ChildRegistration.id == RankedCandidate.child_id)
        .join(SoughtChild, SoughtChild.id == RankedCandidate.sought_child_id)
        .options(joinedload(SoughtChild.inquiry))
        .where(
            RankedCandidate.sought_child_id.in_(list(sought_ids)),
            RankedCandidate.score < floor,
            ChildRegistration.status.not_in(CLOSED_STATUSES),
            ChildRegistration.consent_tracing,
            SoughtChild.consent_tracing,
            ~has_match,
        )
        .order_by(SoughtChild.ref, RankedCandidate.rank)
    ).all()
    seen = pair_sides_seen(session, actor, [(c, s.inquiry) for _r, c, s in rows])
    return [
        BelowFloorRow(
            r.rank, r.score, s.ref if sought_seen else None, c.ref if child_seen else None
        )
        for (r, c, s), (child_seen, sought_seen) in zip(rows, seen, strict=True)
    ]
