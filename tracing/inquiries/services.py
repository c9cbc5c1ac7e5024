"""Filing a tracing request for one or more sought children; correcting a sought child."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from models import Inquiry, SoughtChild, User
from models.db import transaction
from tracing.access import owned_inquiry
from tracing.audit import record_audit
from tracing.contract import Problem
from tracing.errors import NotFound, ServiceError, ValidationFailed
from tracing.linkage.jobs import add_counts, match_sought_children
from tracing.people import (
    PERSON_EXTRA_FIELDS,
    apply_person,
    as_flag,
    checked,
    next_ref,
    validated_record,
)
from tracing.schemas import InquiryIn, PersonIn

INQUIRER_FIELDS = (
    "inquirer_name",
    "inquirer_relationship",
    "inquirer_contact",
    "inquirer_place",
    "inquirer_language",
    "request_date",
    "consent_tracing",
    "consent_sharing",
)


def file_inquiry(
    session: Session,
    actor: User,
    inquirer: dict[str, Any],
    children: list[tuple[dict[str, str], dict[str, Any]]],
    *,
    ip: str | None = None,
    match: bool = True,
    stats: dict[str, int] | None = None,
) -> tuple[Inquiry, list[Problem]]:
    """File a tracing request for one or more sought children, in one transaction."""
    if not children:
        raise ServiceError("an inquiry seeks at least one child")
    checked(InquiryIn, {**inquirer, "children": [{**c, **e} for c, e in children]})
    inquiry_id, ref = next_ref(session, Inquiry, "INQ")
    request_date = str(inquirer.get("request_date") or "")
    problems: list[Problem] = []
    records = []
    failed: list[Problem] = []
    for index, (cells, extra) in enumerate(children, start=1):
        try:
            record, row_problems = validated_record(
                "requests", {**cells, "ref": f"{ref}-{index}", "request_date": request_date}
            )
        except ValidationFailed as exc:
            failed.extend(
                Problem(index, p.column, p.message, p.severity, p.ref) for p in exc.problems
            )
            continue
        problems.extend(Problem(index, p.column, p.message, p.severity) for p in row_problems)
        records.append((record, extra))
    if failed:
        raise ValidationFailed(failed)
    with transaction(session):
        inquiry = Inquiry(
            id=inquiry_id,
            ref=ref,
            agency_id=actor.agency_id,
            filed_by_id=actor.id,
            inquirer_name=inquirer.get("inquirer_name") or None,
            inquirer_relationship=inquirer.get("inquirer_relationship") or None,
            inquirer_contact=inquirer.get("inquirer_contact") or None,
            inquirer_place=inquirer.get("inquirer_place") or None,
            inquirer_language=inquirer.get("inquirer_language") or None,
            consent_tracing=as_flag(inquirer.get("consent_tracing", True), "consent_tracing"),
            consent_sharing=as_flag(inquirer.get("consent_sharing", False), "consent_sharing"),
            request_date=records[0][0]["request_date"].value
            if records[0][0]["request_date"]
            else dt.date.today(),
        )
        session.add(inquiry)
        for index, (record, extra) in enumerate(records, start=1):
            sought = SoughtChild(ref=f"{ref}-{index}", inquiry=inquiry)
            apply_person(sought, record, extra, PERSON_EXTRA_FIELDS)
            sought.consent_tracing = inquiry.consent_tracing
            sought.consent_sharing = inquiry.consent_sharing
            session.add(sought)
        session.flush()
        record_audit(
            session,
            actor.id,
            "file_inquiry",
            record=inquiry,
            ip=ip,
            details={"sought_children": len(records)},
        )
    if match:
        add_counts(stats, match_sought_children(session, [s.id for s in inquiry.sought_children]))
    return inquiry, problems


def view_inquiry(session: Session, actor: User, inquiry: Inquiry, *, ip: str | None) -> None:
    with transaction(session):
        record_audit(session, actor.id, "view_inquiry", record=inquiry, ip=ip)


def update_sought_child(
    session: Session,
    actor: User,
    sought: SoughtChild,
    cells: dict[str, str],
    extra: dict[str, Any],
    *,
    ip: str | None = None,
    match: bool = True,
    stats: dict[str, int] | None = None,
) -> tuple[bool, list[Problem]]:
    """Correct a sought child's details; a change is matched again at once."""
    checked(PersonIn, {**cells, **extra})
    request_date = sought.inquiry.request_date
    record, problems = validated_record(
        "requests",
        {
            **cells,
            "ref": sought.ref,
            "request_date": request_date.isoformat() if request_date else "",
        },
    )
    with transaction(session):
        changed = apply_person(sought, record, extra, PERSON_EXTRA_FIELDS)
        if changed:
            sought.revision += 1
            record_audit(session, actor.id, "update_sought_child", record=sought, ip=ip)
    if changed and match:
        add_counts(stats, match_sought_children(session, [sought.id]))
    return changed, problems


def owned_sought_child(
    session: Session, actor: User, inquiry_id: int, sought_id: int
) -> tuple[Inquiry, SoughtChild]:
    """A sought child of an inquiry the actor's agency filed: a referral shares reading
    only, so another agency's is not found."""
    inquiry = owned_inquiry(session, actor, inquiry_id)
    sought = session.get(SoughtChild, sought_id)
    if inquiry is None or sought is None or sought.inquiry_id != inquiry.id:
        raise NotFound("no such sought child")
    return inquiry, sought
