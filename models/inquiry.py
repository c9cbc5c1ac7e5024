"""A tracing request filed by a searching relative, seeking one or more children."""

from __future__ import annotations

import datetime as dt

from geoalchemy2 import WKBElement
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, false, true
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from .agency import Agency, User
from .base import Base, Timestamped
from .child import CASE_STATUS_VALUES, CaseStatus
from .person import PersonFields, person_constraints, person_indexes, point_column


class Inquiry(Timestamped, Base):
    __tablename__ = "inquiry"
    __table_args__ = (
        CheckConstraint(f"status IN {CASE_STATUS_VALUES!r}", name="status_allowed"),
        CheckConstraint(
            "request_date IS NULL OR request_date <= CURRENT_DATE", name="request_date_past"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    inquirer_name: Mapped[str | None] = mapped_column(Text)
    inquirer_relationship: Mapped[str | None] = mapped_column(Text)
    inquirer_contact: Mapped[str | None] = mapped_column(Text)
    inquirer_place: Mapped[str | None] = mapped_column(Text)
    inquirer_language: Mapped[str | None] = mapped_column(Text)
    consent_tracing: Mapped[bool] = mapped_column(default=True, server_default=true())
    consent_sharing: Mapped[bool] = mapped_column(default=False, server_default=false())
    request_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(
        String(30), default=CaseStatus.OPEN.value, server_default=CaseStatus.OPEN.value
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    agency: Mapped[Agency] = relationship()
    filed_by: Mapped[User | None] = relationship()
    sought_children: Mapped[list[SoughtChild]] = relationship(
        back_populates="inquiry", cascade="all, delete-orphan", order_by="SoughtChild.ref"
    )

    @declared_attr
    def inquirer_point(cls) -> Mapped[WKBElement | None]:
        return point_column()

    def __repr__(self) -> str:
        return f"<Inquiry {self.ref}>"


class SoughtChild(PersonFields, Timestamped, Base):
    """One child sought by an inquiry; its `ref` identifies it in imports and exports."""

    __tablename__ = "sought_child"

    @declared_attr.directive
    def __table_args__(cls) -> tuple[CheckConstraint | Index, ...]:
        return (
            *person_constraints(),
            *person_indexes("sought_child"),
            CheckConstraint(f"status IN {CASE_STATUS_VALUES!r}", name="status_allowed"),
        )

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(
        ForeignKey("inquiry.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(
        String(30), default=CaseStatus.OPEN.value, server_default=CaseStatus.OPEN.value, index=True
    )

    inquiry: Mapped[Inquiry] = relationship(back_populates="sought_children")

    def __repr__(self) -> str:
        return f"<SoughtChild {self.ref}>"
