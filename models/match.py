"""A potential match proposed by the engine, and the caseworkers' decisions on it."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Connection,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .agency import User
from .base import Base, Timestamped
from .child import ChildRegistration
from .inquiry import Inquiry, SoughtChild


class MatchStatus(enum.StrEnum):
    PROPOSED = "proposed"
    IN_VERIFICATION = "in_verification"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    REUNIFIED = "reunified"
    REUNIFIED_ELSEWHERE = "reunified_elsewhere"
    # Closed without a decision, e.g. when the sought child was confirmed elsewhere.
    SUPERSEDED = "superseded"


MATCH_STATUS_VALUES = tuple(s.value for s in MatchStatus)
# A match still open for a decision.
OPEN_MATCH_STATUSES = (MatchStatus.PROPOSED.value, MatchStatus.IN_VERIFICATION.value)
# A sought child with a match in one of these is found: no longer looked for.
MATCHED_STATUSES = (
    MatchStatus.CONFIRMED.value,
    MatchStatus.REUNIFIED.value,
    MatchStatus.REUNIFIED_ELSEWHERE.value,
)
# A match still being worked: proposed, in verification, or confirmed and awaiting the
# reunification (which needs the match in view too).
WORKED_MATCH_STATUSES = (*OPEN_MATCH_STATUSES, MatchStatus.CONFIRMED.value)
# A match closed without being one: nobody needs the record on its other side for it.
NO_MATCH_STATUSES = (MatchStatus.REJECTED.value, MatchStatus.SUPERSEDED.value)


class PotentialMatch(Timestamped, Base):
    __tablename__ = "potential_match"
    __table_args__ = (
        UniqueConstraint("child_id", "sought_child_id", name="uq_potential_match_pair"),
        CheckConstraint("score BETWEEN 0 AND 1", name="score_is_probability"),
        CheckConstraint(f"status IN {MATCH_STATUS_VALUES!r}", name="status_allowed"),
        CheckConstraint(
            f"status <> '{MatchStatus.REJECTED.value}' OR reject_reason IS NOT NULL",
            name="rejection_has_reason",
        ),
        # A sought child is one child: at most one confirmed (or reunified) match.
        Index(
            "uq_potential_match_one_confirmed_per_sought_child",
            "sought_child_id",
            unique=True,
            postgresql_where=text(f"status IN {MATCHED_STATUSES!r}"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(
        ForeignKey("child_registration.id", ondelete="CASCADE"), index=True
    )
    sought_child_id: Mapped[int] = mapped_column(
        ForeignKey("sought_child.id", ondelete="CASCADE"), index=True
    )
    # The agencies owning both records, copied here so that an agency's review queue is
    # one indexed scan rather than a join through every match (a transfer updates them).
    child_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    sought_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    score: Mapped[float] = mapped_column(Float, index=True)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    engine_version: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(
        String(30),
        default=MatchStatus.PROPOSED.value,
        server_default=MatchStatus.PROPOSED.value,
        index=True,
    )
    reject_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Revisions of both records when last scored or decided: a rejection holds
    # until either record changes.
    child_revision: Mapped[int] = mapped_column(default=1, server_default="1")
    sought_revision: Mapped[int] = mapped_column(default=1, server_default="1")
    # Optimistic locking: two caseworkers deciding at once, only one wins.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    child: Mapped[ChildRegistration] = relationship()
    sought_child: Mapped[SoughtChild] = relationship()
    decided_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    def __repr__(self) -> str:
        return f"<PotentialMatch child={self.child_id} sought={self.sought_child_id} {self.status}>"


@event.listens_for(PotentialMatch, "before_insert")
def _copy_agencies(_mapper: Any, connection: Connection, target: PotentialMatch) -> None:
    """Fill the agency columns of a match made through the ORM from its two records."""
    if target.child_agency_id is None or target.sought_agency_id is None:
        row = connection.execute(
            select(ChildRegistration.agency_id, Inquiry.agency_id)
            .select_from(ChildRegistration)
            .join(SoughtChild, SoughtChild.id == target.sought_child_id)
            .join(Inquiry, Inquiry.id == SoughtChild.inquiry_id)
            .where(ChildRegistration.id == target.child_id)
        ).one()
        target.child_agency_id, target.sought_agency_id = row


class RankedCandidate(Base):
    """The engine's latest ranking of an open sought child: its best candidates, up to
    the top 10, whatever their probability.

    Proposals (`PotentialMatch`) are the candidates above the proposal floor, which are
    worth a caseworker's time; the ranking also keeps those below it, so that a help
    desk can look at them on request, real-time matching can weigh a new registration
    against every candidate the sought child already has (the one-to-one rule), and the
    real-time path can be measured against `ftr link`'s output. It is rewritten whole by
    each matching pass of the sought child and says nothing of any decision.

    Each row keeps the pair's own evidence (before the one-to-one rule), compact: the
    model and the records' revisions it was scored with, its log-odds, the fields'
    level indexes and weights (`matching.linker.stored_terms`). A new registration is
    then ranked beside a sought child's candidates from these numbers, without loading
    and comparing their records again, as long as the model and the revisions are
    current. A ranking of every open sought child is rows by the hundred thousand: a
    JSON explanation per row would be ten times larger.
    """

    __tablename__ = "ranked_candidate"
    __table_args__ = (
        CheckConstraint("score BETWEEN 0 AND 1", name="score_is_probability"),
        CheckConstraint("rank >= 1", name="rank_from_one"),
        # rows are updated at each real-time ranking: room on the page keeps the update in
        # place (no index entry), and a small dead share starts the vacuum
        {"postgresql_with": {"fillfactor": 70, "autovacuum_vacuum_scale_factor": 0.02}},
    )

    sought_child_id: Mapped[int] = mapped_column(
        ForeignKey("sought_child.id", ondelete="CASCADE"), primary_key=True
    )
    child_id: Mapped[int] = mapped_column(
        ForeignKey("child_registration.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    rank: Mapped[int] = mapped_column(SmallInteger)
    score: Mapped[float] = mapped_column(Float)
    engine_version: Mapped[str] = mapped_column(String(40))
    ranked_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    # the pair's own evidence, with what it was scored on (None: ranked before it was kept)
    model_id: Mapped[int | None] = mapped_column(Integer)
    child_revision: Mapped[int | None] = mapped_column(Integer)
    sought_revision: Mapped[int | None] = mapped_column(Integer)
    logodds: Mapped[float | None] = mapped_column(Float)
    levels: Mapped[list[int] | None] = mapped_column(ARRAY(SmallInteger))
    weights: Mapped[list[float] | None] = mapped_column(ARRAY(Float))
