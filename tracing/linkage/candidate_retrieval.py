"""Which name keys are selective enough to look records up by (name search).

Real-time matching finds its candidates through the engine's own blocking keys
(tracing.linkage.block_index); a name search looks records up by the name keys that are
not too common, counted here with the planner's statistics and a bounded count.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

# A name key shared by more records than this says little: search by pairs instead.
COMMON_KEY_LIMIT = 2000


# How many records a key may cover before it stops being a useful way in; each count
# stops at the limit, so a very common name costs no more than a rare one.
_SELECTIVE_SQL = {
    "child_registration": text(
        "SELECT k FROM unnest(CAST(:keys AS text[])) AS k WHERE (SELECT count(*) FROM"
        " (SELECT 1 FROM child_registration c WHERE c.name_keys @> ARRAY[k] LIMIT :lim) x)"
        " < :lim"
    ),
    "sought_child": text(
        "SELECT k FROM unnest(CAST(:keys AS text[])) AS k WHERE (SELECT count(*) FROM"
        " (SELECT 1 FROM sought_child s WHERE s.name_keys @> ARRAY[k] LIMIT :lim) x)"
        " < :lim"
    ),
}


# Keys seen covering COMMON_KEY_LIMIT records or more, per database and table. A store
# only grows (closed cases are few), so a key once common stays common: remembering it
# saves counting it again, which is the costly count (a GIN bitmap of thousands of rows).
_COMMON_KEYS: dict[tuple[str, str], set[str]] = {}


# Keys last seen selective, until when they are trusted so (per database and table).
# Counting every rare key again cost each search ~10 ms; names repeat, so most keys are
# known within minutes. A key that grows common meanwhile keeps being searched as a
# selective one (the search's pool is bounded all the same). Imports clear this
# process's memory; other processes' entries expire within RARE_KEY_SECONDS.
_RARE_KEYS: dict[tuple[str, str], dict[str, float]] = {}


RARE_KEY_SECONDS = 600.0


_RARE_KEYS_MAX = 200_000


def selective_keys(session: Session, table: str, keys: Iterable[str]) -> list[str]:
    """The keys shared by fewer than COMMON_KEY_LIMIT records of `table`, sorted; only
    the keys not known yet (or no longer trusted) are looked at, and of those only the
    keys that the planner's statistics leave in doubt are counted, in one query."""
    where = (str(session.get_bind().engine.url), table)
    common = _COMMON_KEYS.setdefault(where, set())
    rare = _RARE_KEYS.setdefault(where, {})
    now = time.monotonic()
    wanted = set(keys) - common
    known = {key for key in wanted if rare.get(key, 0.0) > now}
    unknown = wanted - known
    found: set[str] = set()
    if unknown:
        found, grown, doubtful = _classify_by_statistics(session, table, unknown)
        common.update(grown)
        if doubtful:
            counted = set(
                session.scalars(
                    _SELECTIVE_SQL[table], {"keys": sorted(doubtful), "lim": COMMON_KEY_LIMIT}
                )
            )
            common.update(doubtful - counted)
            found |= counted
        if len(rare) > _RARE_KEYS_MAX:
            rare.clear()
        rare.update(dict.fromkeys(found, now + RARE_KEY_SECONDS))
    return sorted(known | found)


@dataclass(frozen=True)
class _KeyStatistics:
    """What ANALYZE found of a table's name keys."""

    analysed: Any  # the time of that ANALYZE
    records: float  # the rows it counted
    estimates: dict[str, float]  # records per key, for the keys it lists
    unlisted: float  # the most records a key it does not list may have had


# per database and table
_KEY_STATISTICS: dict[tuple[str, str], _KeyStatistics] = {}


# How far a sampled estimate may be from the true count, as a share: keys closer to
# COMMON_KEY_LIMIT than this are counted
STATISTICS_MARGIN = 0.3


# An ANALYZE's time and row count are seen by other sessions as soon as it ends, its key
# statistics only when its transaction commits: statistics younger than this are not used
STATISTICS_SETTLE_SECONDS = 10.0


_ANALYSED_SQL = text(
    "SELECT greatest(last_analyze, last_autoanalyze), n_mod_since_analyze,"
    " extract(epoch FROM clock_timestamp() - greatest(last_analyze, last_autoanalyze)),"
    " n_live_tup"
    " FROM pg_stat_user_tables WHERE relid = CAST(:t AS regclass)"
)


_MOST_COMMON_KEYS_SQL = text(
    "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname"
    " WHERE c.oid = CAST(:t AS regclass) AND s.attname = 'name_keys'"
)


def _classify_by_statistics(
    session: Session, table: str, keys: set[str]
) -> tuple[set[str], set[str], set[str]]:
    """(rare, common, doubtful) keys by the planner's statistics on `table`.

    ANALYZE lists the most common keys of a table with the share of records holding
    each; a key it does not list is held by no more records than the least common listed
    key. Counting a key's records, up to the limit, reads that many heap rows (10-35 ms
    for the keys of a new inquiry in a 200,000-record store); the statistics cost one
    catalog read per ANALYZE. A key is taken as rare or common only when its estimate,
    give or take STATISTICS_MARGIN and every record added since that ANALYZE (the live
    rows now, less those it counted), is on one side of COMMON_KEY_LIMIT; the rest are
    doubtful and counted. Updates are not counted: they change statuses all day long (a
    proposal marks a dozen records), and a name corrected here and there moves one
    record's keys; nor are deletions (cases are closed, not deleted). With no statistics
    (a table never analysed), or statistics younger than STATISTICS_SETTLE_SECONDS,
    every key is doubtful.
    """
    analysed = session.execute(_ANALYSED_SQL, {"t": table}).first()
    if analysed is None or analysed[0] is None or analysed[2] < STATISTICS_SETTLE_SECONDS:
        return set(), set(), keys
    stamp, live = analysed[0], float(analysed[3] or 0)
    where = (str(session.get_bind().engine.url), table)
    stats = _KEY_STATISTICS.get(where)
    if stats is None or stats.analysed != stamp:
        row = session.execute(_MOST_COMMON_KEYS_SQL, {"t": table}).first()
        if row is None or row[0] is None or row[2] is None or row[2] <= 0:
            stats = _KeyStatistics(stamp, math.inf, {}, math.inf)
        else:
            listed, shares, records = list(row[0]), list(row[1]), float(row[2])
            estimates = {k: f * records for k, f in zip(listed, shares, strict=False)}
            # after the per-key shares come their minimum and maximum
            unlisted = shares[len(listed)] * records if len(shares) > len(listed) else math.inf
            stats = _KeyStatistics(stamp, records, estimates, unlisted)
        _KEY_STATISTICS[where] = stats
    added = max(live - stats.records, 0.0)
    rare: set[str] = set()
    common: set[str] = set()
    doubtful: set[str] = set()
    for key in keys:
        estimate = stats.estimates.get(key)
        most = (stats.unlisted if estimate is None else estimate) * (1 + STATISTICS_MARGIN)
        if most + added < COMMON_KEY_LIMIT:
            rare.add(key)
        elif estimate is not None and estimate * (1 - STATISTICS_MARGIN) >= COMMON_KEY_LIMIT:
            common.add(key)
        else:
            doubtful.add(key)
    return rare, common, doubtful


def forget_rare_keys() -> None:
    """After a bulk load, count every key again: many rare ones may have grown common."""
    _RARE_KEYS.clear()
