"""Agencies and users: creating accounts, signing in with lockout, (de)activating."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Agency, Role, User
from models.db import transaction
from tracing.access import sees_every_agency
from tracing.audit import record_audit
from tracing.errors import NotAllowed, NotFound, ServiceError

DEFAULT_AGENCY = "Demo Agency"


def ensure_agency(session: Session, name: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.name == name))
    if agency is None:
        agency = Agency(name=name)
        session.add(agency)
        session.flush()
    return agency


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def create_user(
    session: Session,
    email: str,
    role: str,
    agency_name: str,
    password: str,
    *,
    reset_if_exists: bool = False,
    audit_actor_id: int | None = None,
    ip: str | None = None,
) -> User:
    """Create a user (or, when asked, reset an existing user's password and role)."""
    email = email.strip().lower()
    if "@" not in email:
        raise ServiceError(f"{email!r} is not an email address")
    if role not in {r.value for r in Role}:
        raise ServiceError(f"unknown role {role!r}; one of {', '.join(r.value for r in Role)}")
    if len(password) < 10:
        raise ServiceError("the password needs at least 10 characters")
    with transaction(session):
        agency = ensure_agency(session, agency_name)
        user = session.scalar(select(User).where(User.email == email))
        if user is not None and not reset_if_exists:
            raise ServiceError(f"a user {email} exists already")
        created = user is None
        if user is None:
            user = User(email=email, role=role, agency=agency)
            session.add(user)
        user.role, user.agency, user.active = role, agency, True
        user.failed_logins, user.locked_until = 0, None
        user.set_password(password)
        session.flush()
        action = "create_user" if created else "reset_user"
        record_audit(session, audit_actor_id, action, record=user, ip=ip)
    return user


@dataclass
class AuthOutcome:
    user: User | None
    message: str = ""


GENERIC_LOGIN_FAILURE = "Email or password is wrong, or the account is locked."


def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    ip: str | None,
    max_failures: int = 5,
    lockout_minutes: int = 15,
) -> AuthOutcome:
    """Check a password; lock the account for a while after repeated failures.

    The message never says whether the email exists or the account is locked, so that
    nobody can probe for accounts. The failure count lives on the user's row, locked
    while it is read: several server processes count one lockout.
    """
    now = dt.datetime.now(dt.UTC)
    with transaction(session):
        query = select(User).where(User.email == email.strip().lower()).with_for_update()
        user = session.scalar(query)
        if user is None:
            record_audit(session, None, "login_failed", ip=ip, details={"email": email[:320]})
            return AuthOutcome(None, GENERIC_LOGIN_FAILURE)
        if not user.active or (user.locked_until is not None and user.locked_until > now):
            record_audit(session, user.id, "login_refused_locked", record=user, ip=ip)
            return AuthOutcome(None, GENERIC_LOGIN_FAILURE)
        if not user.check_password(password):
            user.failed_logins += 1
            details: dict[str, Any] = {"failures": user.failed_logins}
            if user.failed_logins >= max_failures:
                user.locked_until = now + dt.timedelta(minutes=lockout_minutes)
                user.failed_logins = 0
                details["locked_until"] = user.locked_until.isoformat()
            record_audit(session, user.id, "login_failed", record=user, ip=ip, details=details)
            return AuthOutcome(None, GENERIC_LOGIN_FAILURE)
        user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
        record_audit(session, user.id, "login", record=user, ip=ip)
    return AuthOutcome(user)


def manageable_agencies(session: Session, actor: User) -> list[Agency]:
    """The agencies whose users the actor manages: its own, or every one for the
    platform administrator."""
    if sees_every_agency(actor):
        return agencies(session)
    return [actor.agency]


def assignable_roles(actor: User) -> list[str]:
    """The roles the actor may give: the platform administrator makes agencies'
    administrators (and other platform administrators), who make their agency's users;
    an agency's administrator never makes a platform administrator."""
    if sees_every_agency(actor):
        return [Role.ADMIN.value, Role.PLATFORM_ADMIN.value]
    return [r.value for r in Role if r != Role.PLATFORM_ADMIN]


def manages(actor: User, user: User) -> bool:
    """An agency's administrator manages its own agency's users, platform
    administrators excepted; the platform administrator manages everyone."""
    if sees_every_agency(actor):
        return True
    return user.agency_id == actor.agency_id and user.role != Role.PLATFORM_ADMIN.value


def create_account(
    session: Session,
    actor: User,
    email: str,
    role: str,
    agency_id: int,
    password: str,
    *,
    ip: str | None = None,
) -> User:
    """A new account made on the administrators' page: in the actor's own agency (any
    existing agency for the platform administrator), with a role the actor may give."""
    if agency_id not in {a.id for a in manageable_agencies(session, actor)}:
        raise NotAllowed("you manage the users of your own agency only")
    if role not in assignable_roles(actor):
        raise NotAllowed("only the platform administrator makes platform administrators")
    agency = session.get(Agency, agency_id)
    if agency is None:  # listed a moment ago, never deleted: kept for the type checker
        raise NotFound("no such agency")
    return create_user(session, email, role, agency.name, password, audit_actor_id=actor.id, ip=ip)


def user_by_id(session: Session, actor: User, user_id: int) -> User:
    """A user the actor manages; another agency's is not found (for an agency admin)."""
    user = session.get(User, user_id)
    if user is None or not manages(actor, user):
        raise NotFound("no such user")
    return user


def set_user_active(
    session: Session, actor: User, user: User, active: bool, *, ip: str | None
) -> None:
    if not manages(actor, user):
        raise NotAllowed("you manage the users of your own agency only")
    if user.id == actor.id and not active:
        raise ServiceError("you cannot deactivate your own account")
    with transaction(session):
        user.active = active
        if active:
            user.failed_logins, user.locked_until = 0, None
        action = "activate_user" if active else "deactivate_user"
        record_audit(session, actor.id, action, record=user, ip=ip)


def users_by_agency(session: Session, actor: User) -> list[tuple[User, str]]:
    """The accounts the actor manages, with their agency's name, by agency then email."""
    stmt = select(User, Agency.name).join(Agency).order_by(Agency.name, User.email)
    if not sees_every_agency(actor):
        stmt = stmt.where(User.agency_id == actor.agency_id, User.role != Role.PLATFORM_ADMIN.value)
    return [(user, agency) for user, agency in session.execute(stmt).all()]


def agencies(session: Session) -> list[Agency]:
    return list(session.scalars(select(Agency).order_by(Agency.name)))


def agency_names(session: Session) -> dict[int, str]:
    return {agency.id: agency.name for agency in agencies(session)}


def create_agency(
    session: Session, actor: User, name: str, code: str | None, *, ip: str | None
) -> Agency:
    if not sees_every_agency(actor):
        raise NotAllowed("only the platform administrator creates agencies")
    name, code = name.strip(), (code or "").strip() or None
    if not name:
        raise ServiceError("give the agency a name")
    with transaction(session):
        if session.scalar(select(Agency).where(Agency.name == name)):
            raise ServiceError("an agency of that name exists")
        if code and session.scalar(select(Agency).where(Agency.code == code)):
            raise ServiceError("an agency with that short code exists")
        agency = Agency(name=name, code=code)
        session.add(agency)
        session.flush()
        record_audit(session, actor.id, "create_agency", record=agency, ip=ip)
    return agency
