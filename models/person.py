"""Fields shared by a registered child and a sought child (DESIGN §1).

Dates may be partial (a year, or a year and month): each is stored as the first day
of the known period plus its precision, so that range queries and constraints work
while the export can write back exactly what was known.
"""

from __future__ import annotations

import datetime as dt

from geoalchemy2 import Geography, WKBElement
from sqlalchemy import CheckConstraint, Date, Index, SmallInteger, String, Text, false, text, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

SEX_VALUES = ("male", "female", "unknown")
DATE_PRECISIONS = ("year", "month", "day")
MAX_AGE = 25


def point_column() -> Mapped[WKBElement | None]:
    # GeoAlchemy2 adds a GiST index for each Geography column (spatial_index=True).
    return mapped_column(Geography(geometry_type="POINT", srid=4326), nullable=True)


def person_constraints() -> tuple[CheckConstraint, ...]:
    """Constraints that keep impossible values out, whatever the entry path.

    Coordinates are checked on entry (contract, forms): PostGIS silently coerces an
    out-of-range geography point into range, so no constraint could see the original.
    """
    checks = [
        CheckConstraint(f"sex IN {SEX_VALUES!r}", name="sex_allowed"),
        CheckConstraint(f"age IS NULL OR age BETWEEN 0 AND {MAX_AGE}", name="age_plausible"),
        CheckConstraint(
            "given_name IS NOT NULL OR family_name IS NOT NULL OR cardinality(other_names) > 0",
            name="has_a_name",
        ),
    ]
    for column in ("date_of_birth", "separation_date"):
        checks.append(
            CheckConstraint(f"{column} IS NULL OR {column} <= CURRENT_DATE", name=f"{column}_past")
        )
        checks.append(
            CheckConstraint(
                f"({column} IS NULL) = ({column}_precision IS NULL)"
                f" AND ({column}_precision IS NULL OR {column}_precision IN {DATE_PRECISIONS!r})",
                name=f"{column}_precision_valid",
            )
        )
    return tuple(checks)


# A GIN index collects new entries in a pending list that every query reads in full
# until a vacuum or an overflow merges it. At the default 4 MB, a bulk status update
# made each name-key query of real-time matching take 300 ms instead of 10 ms; a small
# list keeps that cost bounded, and imports and `ftr match` merge it when they finish.
GIN_PENDING_LIST_KB = 256
# A record whose names normalise to a single token (its search text has no space).
SINGLE_NAME_SQL = "search_text NOT LIKE '% %'"


def person_indexes(table: str) -> tuple[Index, ...]:
    """Candidate retrieval and name search: GIN on key arrays and on trigrams."""
    pending = {"gin_pending_list_limit": GIN_PENDING_LIST_KB}
    return (
        Index(
            f"ix_{table}_name_keys", "name_keys", postgresql_using="gin", postgresql_with=pending
        ),
        Index(
            f"ix_{table}_block_keys", "block_keys", postgresql_using="gin", postgresql_with=pending
        ),
        Index(
            f"ix_{table}_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            postgresql_with=pending,
        ),
        # Children known by one name only (small children: a given name or a nickname)
        # are reached through a common name key within an age window: on 200,000
        # children a key like Mohammed's covers 20,000 rows to filter in the heap, but a
        # few thousand among the one-name records (63 ms -> 6 ms a query).
        Index(
            f"ix_{table}_single_name_keys",
            "name_keys",
            postgresql_using="gin",
            postgresql_with=pending,
            postgresql_where=text(SINGLE_NAME_SQL),
        ),
    )


class PersonFields:
    """A child as described by whoever filled the form: every field may be unknown."""

    ref: Mapped[str] = mapped_column(String(64), unique=True)
    given_name: Mapped[str | None] = mapped_column(Text)
    family_name: Mapped[str | None] = mapped_column(Text)
    other_names: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    sex: Mapped[str] = mapped_column(String(10), default="unknown", server_default="unknown")
    age: Mapped[int | None] = mapped_column(SmallInteger)
    age_estimated: Mapped[bool] = mapped_column(default=True, server_default=true())
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    date_of_birth_precision: Mapped[str | None] = mapped_column(String(5))
    languages: Mapped[str | None] = mapped_column(Text)
    distinctive_features: Mapped[str | None] = mapped_column(Text)
    separation_date: Mapped[dt.date | None] = mapped_column(Date)
    separation_date_precision: Mapped[str | None] = mapped_column(String(5))
    separation_place: Mapped[str | None] = mapped_column(Text)
    separation_cause: Mapped[str | None] = mapped_column(Text)
    mother_name: Mapped[str | None] = mapped_column(Text)
    father_name: Mapped[str | None] = mapped_column(Text)
    other_relatives: Mapped[str | None] = mapped_column(Text)
    consent_tracing: Mapped[bool] = mapped_column(default=True, server_default=true())
    consent_sharing: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Written by the service from the names (matching.normalize): phonetic and variant
    # keys of each name token, pair keys for very common names, and the normalised
    # tokens as text for trigram search. GIN-indexed; see person_indexes().
    name_keys: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    block_keys: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Bumped on every change of the record's content: a rejected match is proposed
    # again only when one of its two records has a newer revision.
    revision: Mapped[int] = mapped_column(default=1, server_default="1")

    @declared_attr
    def separation_point(cls) -> Mapped[WKBElement | None]:
        return point_column()
