"""Casework events: notes, verification steps, reunification, follow-up visits, closure."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .agency import User
from .base import Base, Timestamped


class FollowUpKind(enum.StrEnum):
    NOTE = "note"
    INTERVIEW_CHILD = "interview_child"
    INTERVIEW_FAMILY = "interview_family"
    PHOTO_RECOGNITION = "photo_recognition"
    REUNIFICATION = "reunification"
    FOLLOW_UP_VISIT = "follow_up_visit"
    CLOSURE = "closure"


FOLLOW_UP_KIND_VALUES = tuple(k.value for k in FollowUpKind)


class FollowUp(Timestamped, Base):
    __tablename__ = "follow_up"
    __table_args__ = (
        CheckConstraint(f"kind IN {FOLLOW_UP_KIND_VALUES!r}", name="kind_allowed"),
        CheckConstraint(
            "child_id IS NOT NULL OR sought_child_id IS NOT NULL OR match_id IS NOT NULL",
            name="about_something",
        ),
        CheckConstraint("occurred_on IS NULL OR occurred_on <= CURRENT_DATE", name="not_future"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    child_id: Mapped[int | None] = mapped_column(
        ForeignKey("child_registration.id", ondelete="CASCADE"), index=True
    )
    sought_child_id: Mapped[int | None] = mapped_column(
        ForeignKey("sought_child.id", ondelete="CASCADE"), index=True
    )
    match_id: Mapped[int | None] = mapped_column(
        ForeignKey("potential_match.id", ondelete="CASCADE"), index=True
    )
    occurred_on: Mapped[dt.date | None] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    author: Mapped[User | None] = relationship()
