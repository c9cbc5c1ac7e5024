"""Glue between the store and the matching engine: frames out, proposals in.

The engine (`matching`) knows nothing of the database. This module loads records into
the engine's DESIGN §3 frames, retrieves candidates with the store's indexes, and
writes the engine's ranked output back as potential matches, in bulk.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import math
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql
from sqlalchemy import ColumnElement, Integer, Select, and_, any_, func, literal, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from matching import Linker
from matching.linker import ENGINE_VERSION
from models import (
    CaseStatus,
    ChildRegistration,
    Inquiry,
    LinkageModel,
    MatchStatus,
    SoughtChild,
)
from models.person import SINGLE_NAME_SQL

from .contract import partial_date

TOP_K = 10
# Proposals below this probability are not worth a caseworker's time.
MIN_PROPOSAL_SCORE = 0.05
# A name key shared by more children than this says little: block on pairs instead.
COMMON_KEY_LIMIT = 2000
POOL_LIMIT = 600
TOUCHED_LIMIT = 30
KEY_HITS_LIMIT = 3000
NEARBY_LIMIT = 100
COMMON_AGE_LIMIT = 200
NEARBY_METRES = 50_000
CLOSED_STATUSES = (
    CaseStatus.CLOSED.value,
    CaseStatus.REUNIFIED.value,
    CaseStatus.REUNIFIED_ELSEWHERE.value,
)
# A sought child with a match in one of these is found: no longer looked for.
MATCHED_STATUSES = (
    MatchStatus.CONFIRMED.value,
    MatchStatus.REUNIFIED.value,
    MatchStatus.REUNIFIED_ELSEWHERE.value,
)


# --------------------------------------------------------------------------- frames


def id_in(column: Any, ids: Iterable[int]) -> ColumnElement[bool]:
    """`column = ANY(array)`: one bound array instead of an IN list of a thousand bound
    parameters, which SQLAlchemy renders anew for every call (~10 ms for a candidate
    pool of 1,000 on a 2-core machine) and PostgreSQL plans the same either way."""
    condition: ColumnElement[bool] = column == any_(literal(list(ids), ARRAY(Integer)))
    return condition


def _lat(column: Any) -> ColumnElement[float]:
    return func.ST_Y(func.geometry(column))


def _lon(column: Any) -> ColumnElement[float]:
    return func.ST_X(func.geometry(column))


def _person_columns(model: type[ChildRegistration] | type[SoughtChild]) -> list[Any]:
    return [
        model.id,
        model.ref,
        model.given_name,
        model.family_name,
        func.array_to_string(model.other_names, ";").label("other_names"),
        model.sex,
        model.age,
        model.date_of_birth,
        model.date_of_birth_precision,
        model.separation_date,
        model.separation_date_precision,
        model.separation_place,
        _lat(model.separation_point).label("separation_lat"),
        _lon(model.separation_point).label("separation_lon"),
        model.mother_name,
        model.father_name,
        model.languages.label("language"),
        model.consent_tracing,
        model.revision,
    ]


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    frame["date_of_birth"] = [
        partial_date(d, p)
        for d, p in zip(
            frame.pop("date_of_birth"), frame.pop("date_of_birth_precision"), strict=True
        )
    ]
    frame["separation_date"] = [
        partial_date(d, p)
        for d, p in zip(
            frame.pop("separation_date"), frame.pop("separation_date_precision"), strict=True
        )
    ]
    return frame


def children_query() -> Select[Any]:
    return select(
        *_person_columns(ChildRegistration),
        _lat(ChildRegistration.current_point).label("current_lat"),
        _lon(ChildRegistration.current_point).label("current_lon"),
        ChildRegistration.registration_date,
        ChildRegistration.agency_id,
    )


def sought_query() -> Select[Any]:
    return select(
        *_person_columns(SoughtChild),
        Inquiry.ref.label("inquiry_ref"),
        Inquiry.inquirer_name,
        Inquiry.inquirer_relationship,
        Inquiry.request_date,
        Inquiry.agency_id,
        SoughtChild.inquiry_id,
    ).join(Inquiry, SoughtChild.inquiry_id == Inquiry.id)


def load_frame(
    session: Session, stmt: Select[Any], *, batch_size: int | None = None
) -> pd.DataFrame:
    """The rows of `stmt` as an engine frame (DESIGN §3 columns).

    With `batch_size`, rows come from a server-side cursor that many at a time and each
    batch becomes a frame before the next is fetched: a large store's rows are never all
    held as Python row objects next to the frame (the bulk pass loads this way).

    The frame's `attrs[LOADED_AT]` is the database clock just before the rows were read:
    `write_proposals` withdraws only proposals older than that.
    """
    loaded_at = database_clock(session)
    if batch_size is None:
        result = session.execute(stmt)
        frame = _frame(result.all(), list(result.keys()))
    else:
        result = session.execute(stmt, execution_options={"yield_per": batch_size})
        columns = list(result.keys())
        parts = [_frame(rows, columns) for rows in result.partitions()]
        if len(parts) == 1:
            frame = parts[0]
        else:
            frame = pd.concat(parts, ignore_index=True) if parts else _frame([], columns)
    frame.attrs[LOADED_AT] = loaded_at
    return frame


def _frame(rows: Sequence[Any], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("registration_date", "request_date"):
        if column in frame:
            frame[column] = [d.isoformat() if d is not None else "" for d in frame[column]]
    if frame.empty:
        frame = frame.assign(date_of_birth_precision=[], separation_date_precision=[])
    return _finish(frame)


# Rows fetched at a time when the bulk pass loads every open record.
LOAD_BATCH_SIZE = 20_000


def open_children(session: Session, *, batch_size: int | None = None) -> pd.DataFrame:
    return load_frame(
        session,
        children_query().where(ChildRegistration.status.not_in(CLOSED_STATUSES)),
        batch_size=batch_size,
    )


def still_sought() -> ColumnElement[bool]:
    """A sought child is still looked for: not closed, and no confirmed match yet."""
    from models import PotentialMatch

    confirmed = (
        select(PotentialMatch.id)
        .where(
            PotentialMatch.sought_child_id == SoughtChild.id,
            PotentialMatch.status.in_(MATCHED_STATUSES),
        )
        .exists()
    )
    return SoughtChild.status.not_in(CLOSED_STATUSES) & ~confirmed


def open_sought(session: Session, *, batch_size: int | None = None) -> pd.DataFrame:
    return load_frame(session, sought_query().where(still_sought()), batch_size=batch_size)


# --------------------------------------------------------------------------- the model


_LINKERS: dict[int, Linker] = {}
_LINKERS_LOCK = threading.Lock()


def current_linker(session: Session) -> tuple[int, Linker] | None:
    """The newest engine fitted by this engine version (cached per process), or None.

    Parameters fitted by another version of the engine may not fit its comparison
    levels: they are never used; `ftr match` fits the engine again.
    """
    model_id = session.scalar(
        select(func.max(LinkageModel.id)).where(LinkageModel.engine_version == ENGINE_VERSION)
    )
    if model_id is None:
        return None
    linker = _LINKERS.get(model_id)
    if linker is None:
        parameters = session.scalar(
            select(LinkageModel.parameters).where(LinkageModel.id == model_id)
        )
        linker = Linker.from_dict(parameters or {}).prepare()
        with _LINKERS_LOCK:  # threads of one server may load it at once: keep one
            _LINKERS.clear()
            _LINKERS[model_id] = linker
        # The fitted model is millions of objects that live as long as the process: out
        # of the collector's way, a full collection no longer walks them (70-100 ms
        # pauses that landed in whichever request was running).
        gc.collect()
        gc.freeze()
    return model_id, linker


def save_linker(session: Session, linker: Linker, created_by_id: int | None) -> LinkageModel:
    parameters = linker.to_dict()
    model = LinkageModel(
        engine_version=ENGINE_VERSION,
        parameters=json.loads(json.dumps(parameters)),
        trained_on=dict(linker.info),
        created_by_id=created_by_id,
    )
    session.add(model)
    session.flush()
    _LINKERS.clear()
    _LINKERS[model.id] = linker
    return model


def decision_labels(session: Session) -> pd.DataFrame:
    """Caseworkers' decisions as training labels: confirmed → match, rejected → non-match."""
    from models import MatchStatus, PotentialMatch

    rows = session.execute(
        select(SoughtChild.ref, ChildRegistration.ref, PotentialMatch.status)
        .join(SoughtChild, PotentialMatch.sought_child_id == SoughtChild.id)
        .join(ChildRegistration, PotentialMatch.child_id == ChildRegistration.id)
        .where(
            PotentialMatch.status.in_(
                (
                    MatchStatus.CONFIRMED.value,
                    MatchStatus.REUNIFIED.value,
                    MatchStatus.REJECTED.value,
                )
            )
        )
    ).all()
    return pd.DataFrame(
        [(s, c, "nonmatch" if status == "rejected" else "match") for s, c, status in rows],
        columns=["request_ref", "child_ref", "label"],
    )


# --------------------------------------------------------------------------- retrieval


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
# Counting every rare key again cost each new record ~10 ms; names repeat, so most keys
# are known within minutes. A key that grows common meanwhile keeps being queried as a
# selective one: the same records while it covers fewer than KEY_HITS_LIMIT (3,000), an
# arbitrary 3,000 of them after a bulk import grew it further. Imports clear this
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


def _geography(value: Any) -> Any:
    """A point as SQL: freshly set points are EWKT text, loaded ones WKB elements."""
    return func.ST_GeogFromText(value) if isinstance(value, str) else value


def _age_window(age: int) -> tuple[int, int]:
    """Ages a child estimated at `age` may have been given elsewhere (±1 when small)."""
    spread = 1 if age <= 5 else 3
    return age - spread, age + spread


def _best_hits(
    session: Session,
    model: type[ChildRegistration] | type[SoughtChild],
    condition: ColumnElement[bool],
    text_query: str,
    limit: int,
    age: int | None = None,
) -> list[int]:
    """Open records meeting an indexed condition, the `limit` most similar by name; among
    equally similar ones (all the Fatimas of a one-name query), those closest to `age`,
    then the newest."""
    hits = (
        select(model.id, model.search_text, model.age)
        .where(condition, model.status.not_in(CLOSED_STATUSES))
        .limit(KEY_HITS_LIMIT)
        .subquery()
    )
    order: list[Any] = [func.similarity(hits.c.search_text, text_query).desc()]
    if age is not None:
        order.append(func.abs(hits.c.age - age))
    stmt = select(hits.c.id).order_by(*order, hits.c.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def _retrieve(
    session: Session,
    model: type[ChildRegistration] | type[SoughtChild],
    people: Sequence[ChildRegistration | SoughtChild],
    limit: int,
) -> list[int]:
    """Open records of `model` that may be one of `people`, best first.

    Four ways in, all indexed, each its own query (OR-ed together under a LIMIT, the
    hits of one would crowd out the others): pair keys (two name tokens, or a name and
    a parent's name); name keys that are not too common (GIN); a common name key
    (Mohammed, Fatima) within the person's age window, for the small children known by
    one name only; and the nearest separation points of a similar age (GiST). Within
    each, the records with the most similar normalised names come first.
    """
    table = str(model.__tablename__)
    blocks = sorted({k for p in people for k in p.block_keys})
    all_keys = {k for p in people for k in p.name_keys}
    names = selective_keys(session, table, all_keys)
    text_query = " ".join(p.search_text for p in people)
    found: dict[int, None] = {}
    if blocks:
        found.update(
            dict.fromkeys(
                _best_hits(session, model, model.block_keys.overlap(blocks), text_query, limit)
            )
        )
    if names:
        found.update(
            dict.fromkeys(
                _best_hits(session, model, model.name_keys.overlap(names), text_query, limit)
            )
        )
    for person in people:
        common = sorted(set(person.name_keys) - set(names))
        if not common or person.age is None:
            continue
        low, high = _age_window(person.age)
        condition = and_(model.name_keys.overlap(common), model.age.between(low, high))
        if " " in person.search_text:
            # a person with two names or more reaches the others through pair keys:
            # here, only the records known by one name
            # (the pattern inline, not bound: the one-name partial index must be
            # provable from the query's text, also for a prepared statement's plan)
            condition = and_(condition, text(SINGLE_NAME_SQL))
        found.update(
            dict.fromkeys(
                # Real-time matching of a registration looks at `limit` (30) sought
                # children per way, so a one-name child re-checks the 30 Fatimas of its
                # age first, newest first; the others wait for the next `ftr match`.
                _best_hits(
                    session,
                    model,
                    condition,
                    person.search_text,
                    min(limit, COMMON_AGE_LIMIT),
                    age=person.age,
                )
            )
        )
    for person in people:
        if person.separation_point is None:
            continue
        found.update(dict.fromkeys(_nearest(session, model, person)))
    return list(found)


def _nearest(
    session: Session,
    model: type[ChildRegistration] | type[SoughtChild],
    person: ChildRegistration | SoughtChild,
) -> list[int]:
    """The NEARBY_LIMIT open records of a similar age separated nearest to the person,
    those within NEARBY_METRES, nearest first.

    The nearest come first from the GiST index, in distance order, and the distance cut
    follows: the same records as the cut first and the nearest of those, but the
    planner, which underestimates how many records one area holds (a camp: 14,000 within
    50 km, estimated at 300), chose to read and sort every one of those for the latter,
    20 ms a query, where the index gives the nearest 100 in 1 ms.
    """
    point = _geography(person.separation_point)
    distance = model.separation_point.op("<->")(point)
    nearest = (
        select(model.id, model.separation_point, distance.label("distance"))
        .where(model.status.not_in(CLOSED_STATUSES))
        .order_by(distance)
        .limit(NEARBY_LIMIT)
    )
    if person.age is not None:
        nearest = nearest.where(model.age.between(person.age - 3, person.age + 3))
    near = nearest.subquery()
    stmt = (
        select(near.c.id)
        .where(func.ST_DWithin(near.c.separation_point, point, NEARBY_METRES))
        .order_by(near.c.distance, near.c.id)
    )
    return list(session.scalars(stmt))


def child_pool_ids(session: Session, sought: Sequence[SoughtChild]) -> list[int]:
    """Registered children worth scoring against these sought children."""
    return _retrieve(session, ChildRegistration, sought, POOL_LIMIT)


def sought_touched_by(session: Session, child: ChildRegistration) -> list[int]:
    """Open sought children that a new or changed registration may be."""
    found = _retrieve(session, SoughtChild, [child], TOUCHED_LIMIT)
    if not found:
        return []
    return list(
        session.scalars(select(SoughtChild.id).where(SoughtChild.id.in_(found), still_sought()))
    )


# --------------------------------------------------------------------------- proposals


def evidence_of(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The engine's explanation as stored with a match: prior plus per-field weights."""
    records = Linker.explain(dict(row))
    prior = next((r["weight"] for r in records if r["field"] == "prior"), 0.0)
    fields = []
    for r in records:
        if r["field"] == "prior":
            continue
        if r["field"] in ("sibling", "competition") and abs(r["weight"]) < 0.005:
            continue
        level = r["level"] or {
            "sibling": "could be a sibling of the sought child",
            "competition": "other candidates, other sought children",
        }.get(r["field"], "")
        fields.append({"field": r["field"], "level": level, "weight": round(r["weight"], 4)})
    return {"prior_weight": round(float(prior), 4), "fields": fields}


# Stored with each frame (DataFrame.attrs) by `load_frame`: the database's wall clock
# just before the frame's rows were read.
LOADED_AT = "loaded_at"


def database_clock(session: Session) -> dt.datetime:
    """The database's wall clock, `clock_timestamp()` (not the transaction's start)."""
    stamp = session.scalar(select(func.clock_timestamp()))
    if not isinstance(stamp, dt.datetime):
        raise TypeError(f"clock_timestamp() gave {stamp!r}")
    return stamp


def frames_loaded_at(*frames: pd.DataFrame) -> dt.datetime | None:
    """When the oldest of these frames was loaded (`load_frame` stamps it), if known."""
    stamps = [f.attrs.get(LOADED_AT) for f in frames]
    known = [s for s in stamps if isinstance(s, dt.datetime)]
    return min(known) if known else None


# Keeps the staged pairs that the records' live values allow: across agencies, a pair is
# proposed only while both records consent to tracing (services.consent_allows_match).
# The frames may be minutes old in a bulk run: a transfer or a consent change committed
# since then counts, not the frame's copy.
# Also those of a record no longer open, or of a sought child matched meanwhile (a
# confirmation during a bulk run): no new proposal for a case that is done.
_PRUNE_FORBIDDEN_SQL = """
    DELETE FROM proposal_staging s
    USING child_registration c, sought_child sc, inquiry i
    WHERE c.id = s.child_id AND sc.id = s.sought_child_id AND i.id = sc.inquiry_id
      AND ((c.agency_id <> i.agency_id AND NOT (c.consent_tracing AND sc.consent_tracing))
           OR c.status = ANY(%(closed)s) OR sc.status = ANY(%(closed)s)
           OR EXISTS (SELECT 1 FROM potential_match m
                      WHERE m.sought_child_id = s.sought_child_id
                        AND m.status = ANY(%(matched)s)))
"""

# A stored proposal is rewritten only when its score moved more than this (or its
# evidence, records or owners changed): re-scoring a sought child's candidates next to a
# new registration moves most of their scores by 1e-9 (floating point), and rewriting
# them all cost a real-time match 150-200 row updates.
SCORE_TOLERANCE = 1e-6

# The agencies owning both records are read live, never taken from the frames. A pair
# is written when new; a proposal or a match in verification when its score (beyond
# SCORE_TOLERANCE), evidence, records' revisions or agencies changed, unless the stored
# row was scored on newer revisions than the frames' (a real-time match after the
# frames were loaded); a rejected pair only when one of its records has a newer
# revision than was rejected.
_UPSERT_SQL = """
    INSERT INTO potential_match AS pm (child_id, sought_child_id, score, evidence,
        engine_version, child_revision, sought_revision, child_agency_id,
        sought_agency_id, updated_at)
    SELECT s.child_id, s.sought_child_id, s.score, s.evidence, %(engine)s,
           s.child_revision, s.sought_revision, c.agency_id, i.agency_id, clock_timestamp()
    FROM proposal_staging s
    JOIN child_registration c ON c.id = s.child_id
    JOIN sought_child sc ON sc.id = s.sought_child_id
    JOIN inquiry i ON i.id = sc.inquiry_id
    ON CONFLICT (child_id, sought_child_id) DO UPDATE SET
        score = EXCLUDED.score,
        evidence = EXCLUDED.evidence,
        engine_version = EXCLUDED.engine_version,
        status = CASE WHEN pm.status = 'rejected' THEN 'proposed' ELSE pm.status END,
        reject_reason = CASE WHEN pm.status = 'rejected' THEN NULL
                             ELSE pm.reject_reason END,
        decided_by_id = CASE WHEN pm.status = 'rejected' THEN NULL
                             ELSE pm.decided_by_id END,
        decided_at = CASE WHEN pm.status = 'rejected' THEN NULL ELSE pm.decided_at END,
        version = CASE WHEN pm.status = 'rejected' THEN pm.version + 1
                       ELSE pm.version END,
        child_revision = EXCLUDED.child_revision,
        sought_revision = EXCLUDED.sought_revision,
        child_agency_id = EXCLUDED.child_agency_id,
        sought_agency_id = EXCLUDED.sought_agency_id,
        updated_at = clock_timestamp()
    WHERE (pm.status IN ('proposed', 'in_verification')
           AND pm.child_revision <= EXCLUDED.child_revision
           AND pm.sought_revision <= EXCLUDED.sought_revision
           AND (abs(pm.score - EXCLUDED.score) > %(score_tolerance)s
                OR (pm.evidence, pm.engine_version, pm.child_revision,
                    pm.sought_revision, pm.child_agency_id, pm.sought_agency_id)
                   IS DISTINCT FROM
                   (EXCLUDED.evidence, EXCLUDED.engine_version,
                    EXCLUDED.child_revision, EXCLUDED.sought_revision,
                    EXCLUDED.child_agency_id, EXCLUDED.sought_agency_id)))
       OR (pm.status = 'rejected' AND (EXCLUDED.child_revision > pm.child_revision
                                    OR EXCLUDED.sought_revision > pm.sought_revision))
    RETURNING (xmax = 0) AS inserted
"""

# Proposals of the sought children in scope that fell out of the ranking are withdrawn,
# but only those the frames could have produced: a proposal written after the frames
# were loaded (a real-time match of a child registered during a bulk run, which the
# bulk run's frames do not hold) is newer than what this run knows, and stays. Without
# a known load time, the transaction's start stands in for it (real-time matching loads
# its frames in the transaction that writes them).
_WITHDRAW_SQL = """
    DELETE FROM potential_match pm
    WHERE pm.status = 'proposed' AND pm.sought_child_id = ANY(%(scope)s)
      AND pm.updated_at < COALESCE(%(loaded_at)s, now())
      AND NOT EXISTS (SELECT 1 FROM follow_up f WHERE f.match_id = pm.id)
      AND NOT EXISTS (SELECT 1 FROM proposal_staging s
                      WHERE s.child_id = pm.child_id
                        AND s.sought_child_id = pm.sought_child_id)
"""


def write_proposals(
    session: Session,
    ranked: pd.DataFrame,
    children: pd.DataFrame,
    sought: pd.DataFrame,
    scope_sought_ids: Sequence[int],
    engine_version: str,
    *,
    loaded_at: dt.datetime | None = None,
) -> dict[str, int]:
    """Store ranked pairs as potential matches for the sought children in scope.

    Proposals and matches in verification get the new score and evidence when these
    changed (without touching their lock version); a rejected pair comes back only when
    one of its records has a newer revision than when it was rejected; decided matches
    are left alone; proposals that fell out of the ranking are withdrawn.

    The frames give the pairs' records and the revisions they were scored on; the
    owning agencies and the consent to tracing are read live from the store, so that a
    transfer or a consent change committed after the frames were loaded counts.
    `loaded_at` is the database clock (`database_clock`) taken before the frames were
    loaded; by default, the time `load_frame` stamped on them. Only proposals older than
    that are withdrawn.
    """
    if loaded_at is None:
        loaded_at = frames_loaded_at(children, sought)
    # Plain dict look-ups: for the few hundred pairs of a real-time match, pandas'
    # per-column mapping cost more than the SQL that follows.
    scope = set(scope_sought_ids)
    child_of = {
        ref: (record_id, revision)
        for ref, record_id, revision in zip(
            children["ref"], children["id"], children["revision"], strict=True
        )
    }
    sought_of = {
        ref: (record_id, revision)
        for ref, record_id, revision in zip(
            sought["ref"], sought["id"], sought["revision"], strict=True
        )
    }
    rows: list[tuple[int, int, float, str, int, int]] = []
    for row in ranked[ranked["score"] >= MIN_PROPOSAL_SCORE].to_dict("records"):
        sought_id, sought_revision = sought_of[row["request_ref"]]
        if sought_id not in scope:
            continue
        child_id, child_revision = child_of[row["child_ref"]]
        score = min(max(float(row["score"]), 0.0), 1.0)
        evidence = json.dumps(evidence_of(row))
        rows.append(
            (
                int(child_id),
                int(sought_id),
                score,
                evidence,
                int(child_revision),
                int(sought_revision),
            )
        )
    driver = session.connection().connection.driver_connection
    if not isinstance(driver, psycopg.Connection):
        raise TypeError("FTR needs the psycopg 3 driver")
    columns = [
        "child_id",
        "sought_child_id",
        "score",
        "evidence",
        "child_revision",
        "sought_revision",
    ]
    with driver.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE proposal_staging (child_id int, sought_child_id int, score float8,"
            " evidence jsonb, child_revision int, sought_revision int) ON COMMIT DROP"
        )
        with cursor.copy(
            sql.SQL("COPY proposal_staging ({}) FROM STDIN").format(
                sql.SQL(", ").join(map(sql.Identifier, columns))
            )
        ) as copy:
            for record in rows:
                copy.write_row(record)
        # Without statistics the planner guesses ~2,500 staged rows and hashes the whole
        # sought_child table to join a real-time match's few hundred: 50 ms a statement
        # on a 50,000-row table, instead of 1 ms through the primary keys.
        cursor.execute("ANALYZE proposal_staging")
        cursor.execute(
            _PRUNE_FORBIDDEN_SQL,
            {"closed": list(CLOSED_STATUSES), "matched": list(MATCHED_STATUSES)},
        )
        cursor.execute(_UPSERT_SQL, {"engine": engine_version, "score_tolerance": SCORE_TOLERANCE})
        written = cursor.fetchall()
        cursor.execute(_WITHDRAW_SQL, {"scope": list(scope_sought_ids), "loaded_at": loaded_at})
        withdrawn = cursor.rowcount
        cursor.execute("DROP TABLE proposal_staging")
    new = sum(1 for (inserted,) in written if inserted)
    return {"proposed": new, "updated": len(written) - new, "withdrawn": withdrawn}
