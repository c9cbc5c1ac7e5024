"""Rate-limit counters shared by every server process (`tracing.rate_limits`).

Unlogged: a crash may forget a minute's counts, which costs nothing, and the counters
are not written to the write-ahead log on every sign-in attempt.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class RateLimitCounter(Base):
    """One fixed window of one limit (`limits` key), counted until it expires."""

    __tablename__ = "rate_limit_counter"
    __table_args__ = {"prefixes": ["UNLOGGED"]}  # noqa: RUF012

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    count: Mapped[int]
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
