"""The engine's ranked pairs written back as potential matches, in bulk."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import pandas as pd
import psycopg
from psycopg import sql
from sqlalchemy.orm import Session

from matching import Linker
from matching.linker import TERM_COLUMNS, own_logodds, stored_terms
from models import CLOSED_STATUSES, MATCHED_STATUSES, OPEN_MATCH_STATUSES, MatchStatus
from tracing.linkage.store_frames import frames_loaded_at

TOP_K = 10


# The proposal floor: candidates below it are kept in the ranking, shown on request, not
# proposed. Measured with bench/proposal_floor.py on `ftr link`'s output of both
# generators (20,000 x 5,000, three cultures each, 2026-12-07): at 0.05, 2.7-10.7% of the
# true children in the top 10 scored below it, at 1.0-1.9 proposals per sought child; at
# 0.02, 1.4-5.3%, at 1.3-3.6 proposals; at 0.01, 0.9-3.8%, at 1.6-5.2. A true child never
# proposed costs a family its reunification; a weak proposal costs a caseworker a look
# (the queue puts it last): 0.02 halves the loss for under two more proposals each.
MIN_PROPOSAL_SCORE = 0.02


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


# Keeps the staged pairs that the records' live values allow: a pair is proposed only
# while both records consent to tracing (a family that withdrew it is not traced, inside
# its own agency either: `tracing.consent`). The frames may be minutes old in a bulk
# run: a transfer or a consent change committed since then counts, not the frame's copy.
# Also those of a record no longer open, or of a sought child matched meanwhile (a
# confirmation during a bulk run): no new proposal for a case that is done.
_PRUNE_FORBIDDEN_SQL = """
    DELETE FROM proposal_staging s
    USING child_registration c, sought_child sc, inquiry i
    WHERE c.id = s.child_id AND sc.id = s.sought_child_id AND i.id = sc.inquiry_id
      AND (NOT (c.consent_tracing AND sc.consent_tracing)
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
    WHERE s.proposed
    ON CONFLICT (child_id, sought_child_id) DO UPDATE SET
        score = EXCLUDED.score,
        evidence = EXCLUDED.evidence,
        engine_version = EXCLUDED.engine_version,
        status = CASE WHEN pm.status = ANY(%(reopened)s) THEN %(proposed)s ELSE pm.status END,
        reject_reason = CASE WHEN pm.status = ANY(%(reopened)s) THEN NULL
                             ELSE pm.reject_reason END,
        decided_by_id = CASE WHEN pm.status = ANY(%(reopened)s) THEN NULL
                             ELSE pm.decided_by_id END,
        decided_at = CASE WHEN pm.status = ANY(%(reopened)s) THEN NULL ELSE pm.decided_at END,
        version = CASE WHEN pm.status = ANY(%(reopened)s) THEN pm.version + 1
                       ELSE pm.version END,
        child_revision = EXCLUDED.child_revision,
        sought_revision = EXCLUDED.sought_revision,
        child_agency_id = EXCLUDED.child_agency_id,
        sought_agency_id = EXCLUDED.sought_agency_id,
        updated_at = clock_timestamp()
    WHERE (pm.status = ANY(%(open)s)
           AND pm.child_revision <= EXCLUDED.child_revision
           AND pm.sought_revision <= EXCLUDED.sought_revision
           AND (abs(pm.score - EXCLUDED.score) > %(score_tolerance)s
                OR (pm.evidence, pm.engine_version, pm.child_revision,
                    pm.sought_revision, pm.child_agency_id, pm.sought_agency_id)
                   IS DISTINCT FROM
                   (EXCLUDED.evidence, EXCLUDED.engine_version,
                    EXCLUDED.child_revision, EXCLUDED.sought_revision,
                    EXCLUDED.child_agency_id, EXCLUDED.sought_agency_id)))
       OR (pm.status = ANY(%(reopened)s) AND (EXCLUDED.child_revision > pm.child_revision
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
    WHERE pm.status = %(proposed)s AND pm.sought_child_id = ANY(%(scope)s)
      AND pm.updated_at < COALESCE(%(loaded_at)s, now())
      AND NOT EXISTS (SELECT 1 FROM follow_up f WHERE f.match_id = pm.id)
      AND NOT EXISTS (SELECT 1 FROM proposal_staging s
                      WHERE s.child_id = pm.child_id
                        AND s.sought_child_id = pm.sought_child_id AND s.proposed)
"""


# The ranking of the sought children in scope: what this pass ranked replaces what an
# earlier pass had; a row ranked after this pass's frames were loaded (a real-time match
# during a bulk run) stays beside it, and the ranks are counted again by probability,
# the TOP_K best kept. A pair ranked again is updated in place, not deleted and inserted:
# a sought child is ranked again at every registration that enters its ranking, and each
# deleted row left a dead entry in the child_id index that every later look-up of the
# child's claims read (30,000 for 1,000 live rows after a 1,500-record real-time run).
_RANKING_SQL = (
    """
    DELETE FROM ranked_candidate r
    WHERE r.sought_child_id = ANY(%(scope)s) AND r.ranked_at < COALESCE(%(loaded_at)s, now())
      AND NOT EXISTS (SELECT 1 FROM proposal_staging s
                      WHERE s.sought_child_id = r.sought_child_id AND s.child_id = r.child_id)
""",
    """
    INSERT INTO ranked_candidate AS r (sought_child_id, child_id, rank, score, engine_version,
                                       ranked_at, model_id, child_revision, sought_revision,
                                       logodds, levels, weights)
    SELECT s.sought_child_id, s.child_id, s.rank, s.score, %(engine)s, clock_timestamp(),
           %(model)s, s.child_revision, s.sought_revision, s.logodds, s.levels, s.weights
    FROM proposal_staging s
    ON CONFLICT (sought_child_id, child_id) DO UPDATE SET
        rank = EXCLUDED.rank, score = EXCLUDED.score, engine_version = EXCLUDED.engine_version,
        ranked_at = EXCLUDED.ranked_at, model_id = EXCLUDED.model_id,
        child_revision = EXCLUDED.child_revision, sought_revision = EXCLUDED.sought_revision,
        logodds = EXCLUDED.logodds, levels = EXCLUDED.levels, weights = EXCLUDED.weights
""",
    """
    WITH ordered AS (
        SELECT sought_child_id, child_id,
               row_number() OVER (PARTITION BY sought_child_id
                                  ORDER BY score DESC, rank, child_id) AS place
        FROM ranked_candidate WHERE sought_child_id = ANY(%(scope)s))
    UPDATE ranked_candidate r SET rank = o.place
    FROM ordered o
    WHERE r.sought_child_id = o.sought_child_id AND r.child_id = o.child_id
      AND r.rank IS DISTINCT FROM o.place
""",
    """
    DELETE FROM ranked_candidate r
    WHERE r.sought_child_id = ANY(%(scope)s) AND r.rank > %(top_k)s
""",
)


# COPY's types of the staged columns, in order (a Python list is an array only if told;
# the evidence goes as the JSON text it is: told "jsonb", a str would become a JSON string)
_STAGED_TYPES = [
    *("int4", "int4", "float8", "text", "int4", "int4", "int4", "bool"),
    *("float8", "int2[]", "float8[]"),
]


def write_proposals(
    session: Session,
    ranked: pd.DataFrame,
    children: pd.DataFrame,
    sought: pd.DataFrame,
    scope_sought_ids: Sequence[int],
    engine_version: str,
    *,
    model_id: int | None,
    loaded_at: dt.datetime | None = None,
) -> dict[str, int]:
    """Store the ranking of the sought children in scope (their TOP_K best candidates,
    below the floor too: `RankedCandidate`) and, as potential matches, the pairs at
    MIN_PROPOSAL_SCORE or above. Pairs that consent or a closed case forbid are neither.

    Proposals and matches in verification get the new score and evidence when these
    changed (without touching their lock version); a rejected pair comes back only when
    one of its records has a newer revision than when it was rejected; decided matches
    are left alone; proposals that fell out of the ranking are withdrawn.

    The frames give the pairs' records and the revisions they were scored on; the
    owning agencies and the consent to tracing are read live from the store, so that a
    transfer or a consent change committed after the frames were loaded counts.
    `loaded_at` is the database clock (`database_clock`) taken before the frames were
    loaded; by default, the time `load_frame` stamped on them. Only proposals and ranked
    rows older than that are withdrawn.
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
    ranked = ranked[ranked["rank"] <= TOP_K]
    # scores without the engine's evidence (given by hand) keep none: such a ranking is
    # ranked again from the records
    n = len(ranked)
    levels: list[Any] = [None] * n
    weights: list[Any] = [None] * n
    logodds: list[Any] = [None] * n
    if set(TERM_COLUMNS) <= set(ranked.columns):
        levels, weights = stored_terms(ranked)
        logodds = own_logodds(ranked).tolist()
    rows: list[StagedPair] = []
    for i, row in enumerate(ranked.to_dict("records")):
        sought_id, sought_revision = sought_of[row["request_ref"]]
        if sought_id not in scope:
            continue
        child_id, child_revision = child_of[row["child_ref"]]
        rows.append(
            staged_pair(
                row,
                child_id,
                sought_id,
                row["score"],
                child_revision,
                sought_revision,
                row["rank"],
                logodds[i],
                levels[i],
                weights[i],
            )
        )
    return write_staged(
        session, rows, scope_sought_ids, engine_version, model_id=model_id, loaded_at=loaded_at
    )


class StagedPair(NamedTuple):
    """A ranked pair as `write_staged` stores it (the staging table's columns)."""

    child_id: int
    sought_child_id: int
    score: float
    evidence: str | None  # JSON, for a proposal only
    child_revision: int
    sought_revision: int
    rank: int
    proposed: bool
    logodds: float | None
    levels: list[int] | None
    weights: list[float] | None


def staged_pair(
    row: Mapping[Any, Any],
    child_id: int,
    sought_id: int,
    score: float,
    child_revision: int,
    sought_revision: int,
    rank: int,
    logodds: float | None,
    levels: list[int] | None,
    weights: list[float] | None,
) -> StagedPair:
    """A ranked pair to stage; ``row`` its evidence as a scored frame's row carries it,
    turned into words only when the pair is proposed."""
    score = min(max(float(score), 0.0), 1.0)
    proposed = score >= MIN_PROPOSAL_SCORE
    return StagedPair(
        int(child_id),
        int(sought_id),
        score,
        # the evidence in words is kept with a proposal only (see RankedCandidate)
        json.dumps(evidence_of(row)) if proposed else None,
        int(child_revision),
        int(sought_revision),
        int(rank),
        proposed,
        None if logodds is None else float(logodds),
        levels,
        weights,
    )


def write_staged(
    session: Session,
    rows: Sequence[StagedPair],
    scope_sought_ids: Sequence[int],
    engine_version: str,
    *,
    model_id: int | None,
    loaded_at: dt.datetime | None,
) -> dict[str, int]:
    """`write_proposals` of pairs staged already (`staged_pair`): a ranking ranked again
    from its stored evidence has no frames to give."""
    driver = session.connection().connection.driver_connection
    if not isinstance(driver, psycopg.Connection):
        raise TypeError("FTR needs the psycopg 3 driver")
    columns = list(StagedPair._fields)
    with driver.cursor() as cursor:
        # Two matches ranking one sought child at once (two registrations entering its
        # ranking) take their turns: each rewrites the ranking's rows, in an order of its
        # own, and without the sought children locked first, in one order, they deadlocked.
        cursor.execute(
            "SELECT id FROM sought_child WHERE id = ANY(%(ids)s) ORDER BY id FOR NO KEY UPDATE",
            {"ids": list(scope_sought_ids)},
        )
        cursor.execute(
            "CREATE TEMP TABLE proposal_staging (child_id int, sought_child_id int, score float8,"
            " evidence jsonb, child_revision int, sought_revision int, rank int,"
            " proposed boolean, logodds float8, levels smallint[], weights float8[])"
            " ON COMMIT DROP"
        )
        with cursor.copy(
            sql.SQL("COPY proposal_staging ({}) FROM STDIN").format(
                sql.SQL(", ").join(map(sql.Identifier, columns))
            )
        ) as copy:
            copy.set_types(_STAGED_TYPES)
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
        cursor.execute(
            _UPSERT_SQL,
            {
                "engine": engine_version,
                "score_tolerance": SCORE_TOLERANCE,
                # a rejected pair, or one closed when a family withdrew consent, comes
                # back when one of its records has changed since (consent given again)
                "reopened": [MatchStatus.REJECTED.value, MatchStatus.SUPERSEDED.value],
                "proposed": MatchStatus.PROPOSED.value,
                "open": list(OPEN_MATCH_STATUSES),
            },
        )
        written = cursor.fetchall()
        cursor.execute(
            _WITHDRAW_SQL,
            {
                "scope": list(scope_sought_ids),
                "loaded_at": loaded_at,
                "proposed": MatchStatus.PROPOSED.value,
            },
        )
        withdrawn = cursor.rowcount
        ranking = {
            "scope": list(scope_sought_ids),
            "loaded_at": loaded_at,
            "engine": engine_version,
            "model": model_id,
            "top_k": TOP_K,
        }
        for statement in _RANKING_SQL:
            cursor.execute(statement, ranking)
        cursor.execute("DROP TABLE proposal_staging")
    new = sum(1 for (inserted,) in written if inserted)
    return {"proposed": new, "updated": len(written) - new, "withdrawn": withdrawn}
