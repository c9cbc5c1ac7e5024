"""A registered separated or unaccompanied child: a case."""

from __future__ import annotations

import datetime as dt
import enum

from geoalchemy2 import WKBElement
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from .agency import Agency, User
from .base import Base, Timestamped
from .person import PersonFields, person_constraints, person_indexes, point_column


class CaseStatus(enum.StrEnum):
    """Case statuses as in Primero/CPIMS+ and RapidFTR."""

    OPEN = "open"
    TRACING = "tracing"
    MATCH_PROPOSED = "match_proposed"
    VERIFICATION = "verification"
    REUNIFIED = "reunified"
    REUNIFIED_ELSEWHERE = "reunified_elsewhere"
    FOLLOW_UP = "follow_up"
    # Kept for records brought from systems that mark transfers this way. FTR's own
    # transfers (tracing.casework.transfers) keep the case's status, so that the
    # case goes on being matched and worked; it is not a closed status either.
    TRANSFERRED = "transferred"
    CLOSED = "closed"


CASE_STATUS_VALUES = tuple(s.value for s in CaseStatus)
# A case that is done: matching leaves it alone.
CLOSED_STATUSES = (
    CaseStatus.CLOSED.value,
    CaseStatus.REUNIFIED.value,
    CaseStatus.REUNIFIED_ELSEWHERE.value,
)


class ChildRegistration(PersonFields, Timestamped, Base):
    __tablename__ = "child_registration"

    @declared_attr.directive
    def __table_args__(cls) -> tuple[CheckConstraint | Index, ...]:
        return (
            *person_constraints(),
            *person_indexes("child_registration"),
            CheckConstraint(f"status IN {CASE_STATUS_VALUES!r}", name="status_allowed"),
            CheckConstraint(
                "registration_date IS NULL OR registration_date <= CURRENT_DATE",
                name="registration_date_past",
            ),
        )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_date: Mapped[dt.date | None] = mapped_column(Date)
    current_place: Mapped[str | None] = mapped_column(Text)
    care_arrangement: Mapped[str | None] = mapped_column(Text)
    photo_path: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        String(30), default=CaseStatus.OPEN.value, server_default=CaseStatus.OPEN.value, index=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    agency: Mapped[Agency] = relationship()
    registered_by: Mapped[User | None] = relationship()

    @declared_attr
    def current_point(cls) -> Mapped[WKBElement | None]:
        # The exact current location: shown only to caseworkers of the owning agency.
        return point_column()

    def __repr__(self) -> str:
        return f"<ChildRegistration {self.ref}>"
