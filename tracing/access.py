"""Who may see and do what, record by record: agency ownership, accepted referrals,
consent to tracing across agencies, exact locations. The web guards (roles per page)
are in `tracing.security`; these rules hold for every door (pages, API, CLI).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from models import (
    MATCHED_STATUSES,
    ChildRegistration,
    FollowUp,
    Inquiry,
    PotentialMatch,
    Referral,
    ReferralStatus,
    Role,
    User,
)
from models.db import transaction
from tracing.audit import record_audit
from tracing.errors import NotAllowed

ALL_ROLES = frozenset(r.value for r in Role)
# Least privilege: field teams work on registrations, help desks on inquiries,
# caseworkers and supervisors on both and on matches; administrators manage accounts
# and read the audit trail, not case files.
REGISTRATION_ROLES = frozenset({Role.REGISTRAR.value, Role.CASEWORKER.value, Role.SUPERVISOR.value})
INQUIRY_ROLES = frozenset({Role.HELPDESK.value, Role.CASEWORKER.value, Role.SUPERVISOR.value})
CASEWORK_ROLES = frozenset({Role.CASEWORKER.value, Role.SUPERVISOR.value})
OVERSIGHT_ROLES = frozenset({Role.SUPERVISOR.value, Role.ADMIN.value})
# The audit trail: an agency's supervisors and administrators read their agency's, the
# platform administrator everyone's.
AUDIT_ROLES = OVERSIGHT_ROLES | {Role.PLATFORM_ADMIN.value}
# Accounts: an agency's administrator manages its own agency's users; the platform
# administrator any agency's, and alone creates agencies.
ACCOUNT_ROLES = frozenset({Role.ADMIN.value, Role.PLATFORM_ADMIN.value})
AGENCY_ROLES = frozenset({Role.PLATFORM_ADMIN.value})
SEARCH_ROLES = REGISTRATION_ROLES | INQUIRY_ROLES
# A transfer hands a whole case to another agency: a decision for the owning agency's
# supervisors (and administrators, e.g. when an agency leaves a response), never for a
# caseworker alone, and never for an agency that only had the case referred.
# (Administrators transfer through the API, as they read no case files.)
TRANSFER_ROLES = frozenset({Role.SUPERVISOR.value, Role.ADMIN.value})
# The exact current location of a child: caseworkers of the owning agency only.
EXACT_LOCATION_ROLES = frozenset({Role.CASEWORKER.value, Role.SUPERVISOR.value})


def sees_every_agency(actor: User) -> bool:
    """The platform administrator's accounts and audit span every agency."""
    return actor.role == Role.PLATFORM_ADMIN.value


def searchable_kinds(role: str) -> tuple[str, ...]:
    """The kinds of record a role may find by name: those it may open."""
    return tuple(
        kind
        for kind, roles in (("child", REGISTRATION_ROLES), ("sought", INQUIRY_ROLES))
        if role in roles
    )


def referred_ids(session: Session, actor: User, column: Any, ids: Iterable[int]) -> set[int]:
    """Of these record ids, those referred to the actor's agency and accepted.

    `column` is `Referral.child_id` or `Referral.inquiry_id`."""
    wanted = list(ids)
    if not wanted:
        return set()
    return set(
        session.scalars(
            select(column).where(
                Referral.to_agency_id == actor.agency_id,
                Referral.status == ReferralStatus.ACCEPTED.value,
                column.in_(wanted),
            )
        )
    )


def accepted_referrals(actor: User, column: Any) -> Select[Any]:
    """The ids (`Referral.child_id` or `Referral.inquiry_id`) shared with the actor's
    agency by an accepted referral, as a subquery."""
    return select(column).where(
        Referral.to_agency_id == actor.agency_id,
        Referral.status == ReferralStatus.ACCEPTED.value,
        column.is_not(None),
    )


def escape_like(text: str) -> str:
    """`text` for a LIKE pattern (with ESCAPE '\\'), matched as written."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def sides_seen(
    session: Session, actor: User, matches: Sequence[PotentialMatch]
) -> list[tuple[bool, bool]]:
    """For each match, whether the actor sees its child and its sought child's inquiry
    (as `sees_child` and `sees_inquiry` do), with one query per kind for all of them."""
    return pair_sides_seen(session, actor, [(m.child, m.sought_child.inquiry) for m in matches])


def pair_sides_seen(
    session: Session, actor: User, pairs: Sequence[tuple[ChildRegistration, Inquiry]]
) -> list[tuple[bool, bool]]:
    """`sides_seen` of (child, inquiry) pairs, whether or not they are a match."""
    children = referred_ids(session, actor, Referral.child_id, (c.id for c, _ in pairs))
    inquiries = referred_ids(session, actor, Referral.inquiry_id, (i.id for _, i in pairs))
    seen = []
    for child, inquiry in pairs:
        seen.append(
            (
                child.agency_id == actor.agency_id
                or (child.consent_sharing and child.id in children),
                inquiry.agency_id == actor.agency_id
                or (inquiry.consent_sharing and inquiry.id in inquiries),
            )
        )
    return seen


def own_records(
    session: Session,
    actor: User,
    model: type[ChildRegistration] | type[Inquiry],
    *,
    limit: int = 100,
    ip: str | None = None,
) -> list[Any]:
    """The actor's agency's registrations or inquiries, newest first. The list shows
    names: its read is audited (`list_children`, `list_inquiries`)."""
    records = list(
        session.scalars(
            select(model)
            .where(model.agency_id == actor.agency_id)
            .order_by(model.id.desc())
            .limit(limit)
        )
    )
    action = "list_children" if model is ChildRegistration else "list_inquiries"
    with transaction(session):
        record_audit(session, actor.id, action, ip=ip, details={"rows": len(records)})
    return records


def sees_child(session: Session, actor: User, child: ChildRegistration) -> bool:
    """The actor's agency owns the child, or had it referred while the family consents
    to sharing (a withdrawal ends the referrals too: `tracing.consent`)."""
    return child.agency_id == actor.agency_id or (
        child.consent_sharing and bool(referred_ids(session, actor, Referral.child_id, [child.id]))
    )


def sees_inquiry(session: Session, actor: User, inquiry: Inquiry) -> bool:
    return inquiry.agency_id == actor.agency_id or (
        inquiry.consent_sharing
        and bool(referred_ids(session, actor, Referral.inquiry_id, [inquiry.id]))
    )


def visible_child(session: Session, actor: User, child_id: int) -> ChildRegistration | None:
    """The child when the actor's agency owns it or had it referred; None otherwise."""
    child = session.get(ChildRegistration, child_id)
    return child if child is not None and sees_child(session, actor, child) else None


def owned_child(session: Session, actor: User, child_id: int) -> ChildRegistration | None:
    """The child when the actor's agency owns it: a referral shares reading, not writing."""
    child = session.get(ChildRegistration, child_id)
    return child if child is not None and child.agency_id == actor.agency_id else None


def visible_inquiry(session: Session, actor: User, inquiry_id: int) -> Inquiry | None:
    inquiry = session.get(Inquiry, inquiry_id)
    return inquiry if inquiry is not None and sees_inquiry(session, actor, inquiry) else None


def owned_inquiry(session: Session, actor: User, inquiry_id: int) -> Inquiry | None:
    """The inquiry when the actor's agency filed it: a referral shares reading only."""
    inquiry = session.get(Inquiry, inquiry_id)
    return inquiry if inquiry is not None and inquiry.agency_id == actor.agency_id else None


def may_see_exact_location(actor: User, child: ChildRegistration) -> bool:
    """The exact current location of a child: caseworkers of the owning agency only."""
    return actor.agency_id == child.agency_id and actor.role in EXACT_LOCATION_ROLES


def both_consent(match: PotentialMatch) -> bool:
    """Both records of a match consent to tracing across agencies."""
    return match.child.consent_tracing and match.sought_child.consent_tracing


def consent_allows_match(match: PotentialMatch) -> bool:
    """Across agencies, a match exists only while both records consent to tracing; a
    match already decided (confirmed, reunified) is casework under way and stays in view
    of both agencies, so that the reunification can be recorded."""
    return (
        match.child_agency_id == match.sought_agency_id
        or both_consent(match)
        or match.status in MATCHED_STATUSES
    )


def visible_match(session: Session, actor: User, match_id: int) -> PotentialMatch | None:
    """A match is the actor's to see when their agency owns either of its records (and,
    across agencies, while both records consent to tracing)."""
    match = session.get(PotentialMatch, match_id)
    if match is None:
        return None
    owners = {match.child_agency_id, match.sought_agency_id}
    if actor.agency_id not in owners or not consent_allows_match(match):
        return None
    return match


def check_may_decide(session: Session, actor: User, match: PotentialMatch) -> None:
    """Confirming or reunifying a match decides for both its records: the actor's agency
    must see both, its own or shared with it by an accepted referral (the other agency's
    agreement). Refused (NotAllowed) otherwise, with what to do."""
    for owner, seen in (
        (match.child.agency, sees_child(session, actor, match.child)),
        (
            match.sought_child.inquiry.agency,
            sees_inquiry(session, actor, match.sought_child.inquiry),
        ),
    ):
        if not seen:
            raise NotAllowed(
                f"this match involves a record of {owner.name}, which has not shared it with "
                "your agency: request a referral, and decide once they accept it"
            )


def may_transfer(actor: User, record: ChildRegistration | Inquiry) -> bool:
    return actor.role in TRANSFER_ROLES and record.agency_id == actor.agency_id


def follow_up_visible_to(actor: User) -> Any:
    """The follow-ups of a case the actor sees that the actor may read. One about a match
    (a verification interview, a reunification visit) holds the notes and places of the
    agency that wrote it, possibly not the case's: it shows only to the agency that wrote
    it, or to one owning both sides of the match. Other follow-ups go with the case."""
    return or_(
        FollowUp.match_id.is_(None),
        FollowUp.author_id.in_(select(User.id).where(User.agency_id == actor.agency_id)),
        FollowUp.match_id.in_(
            select(PotentialMatch.id).where(
                PotentialMatch.child_agency_id == actor.agency_id,
                PotentialMatch.sought_agency_id == actor.agency_id,
            )
        ),
    )
