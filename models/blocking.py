"""The engine's blocking keys of each record, kept so that real-time matching meets the
same candidates as `ftr link` (matching.candidates; tracing.linkage.block_index).

A key's value is stable (a hash of its text, `matching.candidates.stable_key`), but it
depends on the fitted engine's variant table and compound names: each profile holds the
signature of the engine that keyed it, and a pass of `ftr match` keys again the records
whose signature is not the current engine's.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class ChildBlockKey(Base):
    """A key of a registered child, with the child's two age bands (-1: no age known): a
    sought child looks a small block up by its key, a large one by key and age band."""

    __tablename__ = "child_block_key"
    # covering: an inquiry reads tens of thousands of block members, from the index alone
    # (with the child's id only in the table, each was a heap fetch: 60 -> 7 ms an inquiry
    # in a store of 200,000 children)
    __table_args__ = (
        Index("ix_child_block_key_key_band_a", "key", "band_a", postgresql_include=["child_id"]),
        Index("ix_child_block_key_key_band_b", "key", "band_b", postgresql_include=["child_id"]),
    )

    child_id: Mapped[int] = mapped_column(
        ForeignKey("child_registration.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    band_a: Mapped[int] = mapped_column(SmallInteger)
    band_b: Mapped[int] = mapped_column(SmallInteger)


class BlockNumbers:
    """A record's numbers for blocking's pre-score (matching.records.BlockNumbers), and
    the signature of the engine that keyed it."""

    signature: Mapped[str] = mapped_column(String(32), index=True)
    revision: Mapped[int]  # the record's revision that was keyed: a later one is keyed again
    birth: Mapped[float | None] = mapped_column(Float)
    sex: Mapped[int] = mapped_column(SmallInteger)
    sep: Mapped[float | None] = mapped_column(Float)
    sep_month: Mapped[bool] = mapped_column(Boolean)
    day: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)


class ChildBlockProfile(BlockNumbers, Base):
    """What blocking's pre-score reads of a registered child besides its keys (the
    engine's numbers: birth year, sex, separation, record date and point)."""

    __tablename__ = "child_block_profile"

    child_id: Mapped[int] = mapped_column(
        ForeignKey("child_registration.id", ondelete="CASCADE"), primary_key=True
    )


class SoughtBlockKey(Base):
    """A blocking key of a sought child, with the piece of evidence it stands for (its
    slot) and the discount on its rarity (a kin's name part, one of several chances of
    agreeing by accident): a registration holding the key may be that sought child. How
    the key is looked up (alone or with an age band) and its weight depend on how many
    registered children hold it, counted when a registration meets it, as `ftr link`
    counts them when it ranks."""

    __tablename__ = "sought_block_key"
    # covering, as the registered children's: a registration reads thousands of rows
    __table_args__ = (
        Index(
            "ix_sought_block_key_key_band_a",
            "key",
            "band_a",
            postgresql_include=["sought_child_id", "slot", "discount"],
        ),
        Index(
            "ix_sought_block_key_key_band_b",
            "key",
            "band_b",
            postgresql_include=["sought_child_id", "slot", "discount"],
        ),
    )

    sought_child_id: Mapped[int] = mapped_column(
        ForeignKey("sought_child.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    slot: Mapped[int] = mapped_column(SmallInteger)
    discount: Mapped[float] = mapped_column(Float)
    # the sought child's age bands (-1: no age): a large block is met within a band only
    band_a: Mapped[int] = mapped_column(SmallInteger)
    band_b: Mapped[int] = mapped_column(SmallInteger)


class SoughtBlockProfile(BlockNumbers, Base):
    """A sought child's numbers for the pre-score (as ChildBlockProfile's)."""

    __tablename__ = "sought_block_profile"

    sought_child_id: Mapped[int] = mapped_column(
        ForeignKey("sought_child.id", ondelete="CASCADE"), primary_key=True
    )
