"""Agencies, their users and roles, and referrals of cases between agencies."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    String,
    Text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .base import Base, Timestamped


class Role(enum.StrEnum):
    """Roles, from least to most privileged in casework."""

    REGISTRAR = "registrar"
    HELPDESK = "helpdesk"
    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    # An agency's administrator: its own users and its own audit trail.
    ADMIN = "admin"
    # Runs the deployment: creates agencies and their first administrators, reads every
    # agency's audit trail; reads no case file.
    PLATFORM_ADMIN = "platform_admin"


ROLE_VALUES = tuple(r.value for r in Role)


class ReferralStatus(enum.StrEnum):
    """A request to share a case with another agency, as the owning agency decided it."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


REFERRAL_STATUS_VALUES = tuple(s.value for s in ReferralStatus)
# A referral that still counts: asked for, or granted.
LIVE_REFERRAL_STATUSES = (ReferralStatus.PENDING.value, ReferralStatus.ACCEPTED.value)


class Agency(Timestamped, Base):
    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    code: Mapped[str | None] = mapped_column(String(20), unique=True)

    users: Mapped[list[User]] = relationship(back_populates="agency")

    def __repr__(self) -> str:
        return f"<Agency {self.name!r}>"


class User(Timestamped, Base):
    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLE_VALUES!r}", name="role_allowed"),
        CheckConstraint("failed_logins >= 0", name="failed_logins_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased by the service: one account per address.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    agency: Mapped[Agency] = relationship(back_populates="users")

    def set_password(self, password: str) -> None:
        # werkzeug's default is scrypt with a per-password salt.
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.email!r} {self.role}>"


class Referral(Timestamped, Base):
    """A case shared with another agency; personal details stay hidden until accepted."""

    __tablename__ = "referral"
    __table_args__ = (
        CheckConstraint(f"status IN {REFERRAL_STATUS_VALUES!r}", name="status_allowed"),
        CheckConstraint(
            "(child_id IS NOT NULL) <> (inquiry_id IS NOT NULL)", name="exactly_one_record"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int | None] = mapped_column(
        ForeignKey("child_registration.id", ondelete="CASCADE"), index=True
    )
    inquiry_id: Mapped[int | None] = mapped_column(
        ForeignKey("inquiry.id", ondelete="CASCADE"), index=True
    )
    from_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    to_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    status: Mapped[str] = mapped_column(
        String(20),
        default=ReferralStatus.PENDING.value,
        server_default=ReferralStatus.PENDING.value,
    )
    reason: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
