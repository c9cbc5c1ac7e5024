"""The audit trail: every sensitive read and every decision or refusal is an event."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, insert
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


def record_refusal(
    engine: Engine,
    actor_id: int | None,
    *,
    status: int,
    method: str,
    path: str,
    endpoint: str | None,
    ip: str | None,
) -> None:
    """A refused request (403, 404, 429, 400 for a NUL byte) as an audit event, written
    on a connection of its own: the request's session is left as the view left it."""
    with engine.begin() as connection:
        connection.execute(
            insert(AuditEvent).values(
                user_id=actor_id,
                action=f"refused_{status}",
                ip=ip,
                details={"method": method, "path": path[:500], "endpoint": endpoint},
            )
        )


def command_details(**details: Any) -> dict[str, Any]:
    """What an audited `ftr` command records of itself: who ran it on which machine."""
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        user = "unknown"
    return {"os_user": user, "host": socket.gethostname(), **details}
