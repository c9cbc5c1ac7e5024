"""The audit trail: every sensitive read and every decision or refusal is an event."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models import AuditEvent


def record_audit(
    session: Session,
    actor_id: int | None,
    action: str,
    *,
    record: Any = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session's transaction; the caller commits."""
    event = AuditEvent(
        user_id=actor_id,
        action=action,
        record_type=record.__tablename__ if record is not None else None,
        record_id=getattr(record, "id", None),
        record_ref=getattr(record, "ref", None),
        ip=ip,
        details=details or {},
    )
    session.add(event)
    return event
