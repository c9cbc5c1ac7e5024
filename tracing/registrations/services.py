"""Registering a separated child, correcting the case, reading it (audited)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from models import ChildRegistration, User
from models.db import transaction
from tracing.access import may_see_exact_location
from tracing.audit import record_audit
from tracing.consent import honour_withdrawals
from tracing.contract import Problem
from tracing.linkage.jobs import add_counts, match_child
from tracing.people import (
    PERSON_EXTRA_FIELDS,
    apply_person,
    checked,
    ewkt,
    ewkt_of,
    next_ref,
    person_form_data,
    point_of,
    validated_record,
)
from tracing.schemas import ChildIn

CHILD_EXTRA_FIELDS = (
    *PERSON_EXTRA_FIELDS,
    "current_place",
    "care_arrangement",
    "consent_tracing",
    "consent_sharing",
)


def register_child(
    session: Session,
    actor: User,
    cells: dict[str, str],
    extra: dict[str, Any],
    *,
    ip: str | None = None,
    match: bool = True,
    stats: dict[str, int] | None = None,
) -> tuple[ChildRegistration, list[Problem]]:
    """Register a separated child found by a field team, then match it against open requests."""
    checked(ChildIn, {**cells, **extra})
    cells = {**cells, "ref": "new"}
    record, problems = validated_record("children", cells)
    with transaction(session):
        child_id, ref = next_ref(session, ChildRegistration, "CH")
        child = ChildRegistration(
            id=child_id, ref=ref, agency_id=actor.agency_id, registered_by_id=actor.id
        )
        apply_person(child, record, extra, CHILD_EXTRA_FIELDS)
        registration = record["registration_date"]
        child.registration_date = registration.value if registration else dt.date.today()
        child.current_point = ewkt(record["current_point"])
        session.add(child)
        session.flush()
        record_audit(session, actor.id, "register_child", record=child, ip=ip)
    # Stored first: a failure while matching never loses the registration.
    if match:
        add_counts(stats, match_child(session, child))
    return child, problems


def update_child(
    session: Session,
    actor: User,
    child: ChildRegistration,
    cells: dict[str, str],
    extra: dict[str, Any],
    *,
    ip: str | None = None,
    match: bool = True,
    stats: dict[str, int] | None = None,
) -> tuple[bool, list[Problem]]:
    if not may_see_exact_location(actor, child):
        # The form never showed the exact location to this user: keep the stored one.
        cells = {**cells, "current_lat": "", "current_lon": ""}
    checked(ChildIn, {**cells, **extra})
    record, problems = validated_record("children", {**cells, "ref": child.ref})
    with transaction(session):
        changed = apply_person(child, record, extra, CHILD_EXTRA_FIELDS)
        current = ewkt(record["current_point"])
        if may_see_exact_location(actor, child) and ewkt_of(child.current_point) != current:
            child.current_point = current
            changed = True
        registration = record["registration_date"]
        if registration and child.registration_date != registration.value:
            child.registration_date = registration.value
            changed = True
        if changed:
            child.revision += 1
            record_audit(session, actor.id, "update_child", record=child, ip=ip)
            honour_withdrawals(session, actor, child, ip=ip)
    if changed and match:
        add_counts(stats, match_child(session, child))
    return changed, problems


def view_child(session: Session, actor: User, child: ChildRegistration, *, ip: str | None) -> None:
    """Record that the actor opened a case's sensitive fields."""
    with transaction(session):
        record_audit(session, actor.id, "view_child", record=child, ip=ip)


def child_form_data(child: ChildRegistration, *, exact_location: bool) -> dict[str, Any]:
    """A registration as form data; the exact current location only for those who may see it."""
    current = point_of(child.current_point) if exact_location else None
    return {
        **person_form_data(child),
        "current_place": child.current_place,
        "current_lat": "" if current is None else str(current[0]),
        "current_lon": "" if current is None else str(current[1]),
        "care_arrangement": child.care_arrangement or "",
        "registration_date": child.registration_date.isoformat() if child.registration_date else "",
        "consent_tracing": child.consent_tracing,
        "consent_sharing": child.consent_sharing,
    }
