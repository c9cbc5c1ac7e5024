"""Matching passes over the store: real-time (a new or changed record) and bulk
(`ftr match`), the engine's fit, and the export of stored matches.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select, union, update
from sqlalchemy.orm import Session

import matching.linker
from matching import Linker
from matching.linker import ENGINE_VERSION, RANK_CHUNK_SIZE, PairTerms, terms_row
from matching.rank import compete
from models import (
    CLOSED_STATUSES,
    OPEN_MATCH_STATUSES,
    CaseStatus,
    ChildRegistration,
    MatchStatus,
    PotentialMatch,
    RankedCandidate,
    SoughtChild,
)
from models.db import transaction, transactional
from tracing.audit import command_details, record_audit
from tracing.contract import neutralise_cell
from tracing.errors import ServiceError
from tracing.linkage import (
    block_index,
    fitted_engines,
    proposal_writes,
    store_frames,
)
from tracing.linkage.store_upkeep import refresh_keys, refresh_statistics, vacuum_tables

# `ftr match` ranks this many sought children (whole inquiries) at a time. Measured with
# 200,000 registered children on a 2-core machine: 35 s and 1.0 GB of working memory a
# chunk of 5,000 (10,000: 64 s, 2.1 GB), on top of ~0.5 GB of frames and encoded records;
# the whole 200,000 x 50,000 pass peaks at 2.0 GB.
MATCH_CHUNK_SIZE = RANK_CHUNK_SIZE


BULK_WITHDRAW_MARGIN = dt.timedelta(minutes=1)


# Registered children per statement when marking them 'match proposed'.
_MARK_BATCH = 10_000

# Tables a bulk pass rewrites, analysed after it
_MATCHING_TABLES = (
    "potential_match",
    "ranked_candidate",
    "child_block_key",
    "child_block_profile",
    "sought_block_key",
    "sought_block_profile",
)

# The counts of a real-time matching pass that had nothing to do
_NOTHING = {"proposed": 0, "updated": 0, "withdrawn": 0, "candidates": 0}


@dataclass
class MatchSummary:
    children: int = 0
    sought: int = 0
    candidates_scored: int = 0
    proposed: int = 0
    updated: int = 0
    withdrawn: int = 0
    fitted: bool = False
    fitted_on_sample: bool = False
    model_id: int | None = None
    chunks: int = 0
    rekeyed: int = 0  # records whose index keys were written again (see refresh_keys)
    keyed: int = 0  # registered children whose blocking keys were written (block_index)
    seconds: dict[str, float] = field(default_factory=dict)


def fit_engine(session: Session, actor_id: int | None = None, *, seed: int = 0) -> int:
    """Fit the engine on the open records and the caseworkers' decisions; store it.

    A large store is fitted on a sample (`Linker.fit_sample`, as `ftr match --refit`).
    """
    children, sought = store_frames.open_children(session), store_frames.open_sought(session)
    if children.empty or sought.empty:
        raise ServiceError("nothing to learn from: the store needs children and requests")
    if fitted_engines.current_linker(session) is None:
        refresh_keys(session)  # the first engine of this version: see match_all
    labels = fitted_engines.decision_labels(session)
    linker = Linker.fit_sample(children, sought, seed=seed, labels=labels if len(labels) else None)
    with transaction(session):
        model = fitted_engines.save_linker(session, linker, actor_id)
    block_index.refresh_child_keys(session, linker, children)
    block_index.refresh_sought_keys(session, linker, sought)
    return model.id


def match_all(
    session: Session,
    *,
    refit: bool = False,
    top_k: int = proposal_writes.TOP_K,
    chunk_size: int = MATCH_CHUNK_SIZE,
    on_stage: Callable[[str], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> MatchSummary:
    """Re-run matching over every open record in one bulk pass (`ftr match`).

    Every open sought child is ranked against every open registered child, `chunk_size`
    sought children at a time (whole inquiries: siblings are ranked together). The
    registered children are tokenised and encoded once; each chunk's proposals are
    written and committed before the next chunk is ranked, so memory follows the chunk,
    a crash loses at most the chunk in progress, and running again is idempotent
    (proposals are upserted, those that fell out of a sought child's ranking withdrawn).
    Across chunks, only the competition of other inquiries' sought children for the same
    registered child is lost (see `Linker.rank_chunks` for how little that moves).

    With `refit`, or when no engine fitted by this engine version is stored, the engine
    is fitted first (`Linker.fit_sample`): on every open record up to FIT_MAX_CHILDREN x
    FIT_MAX_SOUGHT, beyond that on a sample of whole inquiries, their best candidates
    and other children at random, with the whole store's term frequencies and prior.

    `on_stage(name)` is called as each stage begins, `on_progress(done, total)` with the
    chunks done (0 before the first).
    """
    import time

    clock = time.perf_counter
    summary = MatchSummary()
    stage = on_stage or (lambda _name: None)
    t = clock()
    stage("loading records")
    # Proposals written after this (by real-time matching meanwhile) are not this run's
    # to withdraw; said explicitly, as the frames are cut down below. A minute's margin:
    # a real-time match written just before this moment but committed after the frames'
    # snapshot is invisible to them, and must stay (a proposal withdrawn late is the
    # lesser harm; the next run withdraws it).
    loaded_at = store_frames.database_clock(session) - BULK_WITHDRAW_MARGIN
    children = store_frames.open_children(session, batch_size=store_frames.LOAD_BATCH_SIZE)
    sought = store_frames.open_sought(session, batch_size=store_frames.LOAD_BATCH_SIZE)
    summary.children, summary.sought = len(children), len(sought)
    summary.seconds["load"] = clock() - t
    if children.empty or sought.empty:
        return summary
    current = fitted_engines.current_linker(session)
    if current is None:
        # no engine of this version: perhaps an upgrade, whose normalisation may key
        # names differently from the stored keys (a fresh store's are all current)
        stage("refreshing the index keys")
        t = clock()
        summary.rekeyed = refresh_keys(session).updated
        summary.seconds["rekey"] = clock() - t
    if refit or current is None:
        large = (
            len(children) > matching.linker.FIT_MAX_CHILDREN
            or len(sought) > matching.linker.FIT_MAX_SOUGHT
        )
        stage("fitting the engine on a sample" if large else "fitting the engine")
        t = clock()
        labels = fitted_engines.decision_labels(session)
        linker = Linker.fit_sample(children, sought, seed=0, labels=labels if len(labels) else None)
        with transaction(session):
            model = fitted_engines.save_linker(session, linker, None)
        summary.fitted, summary.model_id = True, model.id
        summary.fitted_on_sample = bool(linker.info.get("sample"))
        summary.seconds["fit"] = clock() - t
    else:
        summary.model_id, linker = current
    stage("keying the records")
    t = clock()
    summary.keyed = block_index.refresh_child_keys(session, linker, children)
    block_index.refresh_sought_keys(session, linker, sought)
    summary.seconds["keys"] = clock() - t
    stage("encoding the records")
    t = clock()
    ranking = linker.rank_chunks(children, sought, top_k=top_k, chunk_size=chunk_size)
    # The engine keeps its own encoding; the proposals need only these columns.
    needed = ["id", "ref", "revision", "agency_id", "consent_tracing"]
    children, sought = children[needed].copy(), sought[needed].copy()
    sought_id = dict(zip(sought["ref"], sought["id"].tolist(), strict=True))
    child_id = dict(zip(children["ref"], children["id"].tolist(), strict=True))
    summary.chunks = len(ranking)
    summary.seconds["encode"] = clock() - t
    stage("ranking and writing proposals")
    progress = on_progress or (lambda _done, _total: None)
    progress(0, len(ranking))
    summary.seconds["rank"] = summary.seconds["write"] = 0.0
    for number, refs in enumerate(ranking.sought_refs):
        t = clock()
        ranked = ranking.rank_chunk(number)
        summary.seconds["rank"] += clock() - t
        t = clock()
        scope = [sought_id[ref] for ref in refs]
        proposed = ranked.loc[ranked["score"] >= proposal_writes.MIN_PROPOSAL_SCORE, "child_ref"]
        proposed_ids = [child_id[ref] for ref in proposed.unique()]
        with transaction(session):  # a chunk at a time: a crash loses one chunk at most
            counts = proposal_writes.write_proposals(
                session,
                ranked,
                children,
                sought,
                scope,
                ENGINE_VERSION,
                model_id=summary.model_id,
                loaded_at=loaded_at,
            )
            for at in range(0, max(len(proposed_ids), 1), _MARK_BATCH):
                chunk_ids = proposed_ids[at : at + _MARK_BATCH]
                mark_proposed(session, scope if at == 0 else [], chunk_ids)
        summary.seconds["write"] += clock() - t
        summary.proposed += counts["proposed"]
        summary.updated += counts["updated"]
        summary.withdrawn += counts["withdrawn"]
        progress(number + 1, len(ranking))
    summary.candidates_scored = ranking.candidates
    # the pass updated many records' statuses: merge their index entries, as an import does
    t = clock()
    refresh_statistics(session, "children")
    refresh_statistics(session, "requests")
    # the pass rewrote these by the hundred thousand: a new store has no statistics at all
    # (its writes are committed: refresh_statistics commits what the session holds)
    vacuum_tables(session, _MATCHING_TABLES)
    summary.seconds["statistics"] = clock() - t
    with transaction(session):
        details = command_details(
            sought=summary.sought,
            children=summary.children,
            proposed=summary.proposed,
            updated=summary.updated,
            withdrawn=summary.withdrawn,
            refit=summary.fitted,
        )
        record_audit(session, None, "match_all", details=details)
    return summary


def mark_proposed(
    session: Session,
    sought_ids: Sequence[int] | None = None,
    child_ids: Sequence[int] | None = None,
) -> None:
    """Open records with a proposal move to 'match proposed' (Primero's case flow).

    Without ids, every open record is looked at (the bulk pass); with them, only those.
    """
    open_statuses = (CaseStatus.OPEN.value, CaseStatus.TRACING.value)
    has_proposal = select(PotentialMatch.id).where(
        PotentialMatch.status == MatchStatus.PROPOSED.value
    )
    sought_filter = (
        [store_frames.id_in(SoughtChild.id, sought_ids)] if sought_ids is not None else []
    )
    session.execute(
        update(SoughtChild)
        .where(
            SoughtChild.status.in_(open_statuses),
            *sought_filter,
            has_proposal.where(PotentialMatch.sought_child_id == SoughtChild.id).exists(),
        )
        .values(status=CaseStatus.MATCH_PROPOSED.value),
        execution_options={"synchronize_session": False},
    )
    child_filter = (
        [store_frames.id_in(ChildRegistration.id, child_ids)] if child_ids is not None else []
    )
    session.execute(
        update(ChildRegistration)
        .where(
            ChildRegistration.status.in_(open_statuses),
            *child_filter,
            has_proposal.where(PotentialMatch.child_id == ChildRegistration.id).exists(),
        )
        .values(status=CaseStatus.MATCH_PROPOSED.value),
        execution_options={"synchronize_session": False},
    )


@transactional
def match_sought_children(session: Session, sought_ids: Sequence[int]) -> dict[str, int]:
    """Match sought children against the registered children the store retrieves for them.

    Candidates are those `ftr link` would keep, found through the registered children's
    keys in the store (`block_index.family_candidates`), and scored by the stored engine
    with the same competition between them. Siblings of the same inquiry are ranked
    together, as the engine expects.
    """
    current = fitted_engines.current_linker(session)
    if current is None or not sought_ids:
        return dict(_NOTHING)
    model_id, linker = current
    sought_ids = list(
        session.scalars(
            select(SoughtChild.id).where(
                SoughtChild.id.in_(list(sought_ids)), store_frames.still_sought()
            )
        )
    )
    if not sought_ids:
        return dict(_NOTHING)
    inquiry_ids = select(SoughtChild.inquiry_id).where(SoughtChild.id.in_(list(sought_ids)))
    family = session.scalars(
        select(SoughtChild).where(
            SoughtChild.inquiry_id.in_(inquiry_ids),
            SoughtChild.status.not_in(CLOSED_STATUSES),
        )
    ).all()
    sought = store_frames.load_frame(
        session, store_frames.sought_query().where(SoughtChild.id.in_([s.id for s in family]))
    )
    pairs, pool = block_index.family_candidates(session, linker, sought)
    children = store_frames.load_frame(
        session, store_frames.children_query().where(store_frames.id_in(ChildRegistration.id, pool))
    )
    ref_of = dict(zip(children["id"].tolist(), children["ref"].tolist(), strict=True))
    pairs = pairs.assign(child_ref=pairs["child_id"].map(ref_of)).dropna(subset=["child_ref"])
    if pairs.empty:  # no candidate (left): an earlier ranking and its proposals go
        ranked = pd.DataFrame(columns=["request_ref", "child_ref", "rank", "score"])
    else:
        claims = _outside_claims(session, children, sought)
        scored = linker.score_pairs(children, sought, pairs[["request_ref", "child_ref"]], claims)
        scored["rank"] = scored.groupby("request_ref", sort=False).cumcount() + 1
        ranked = scored[scored["rank"] <= proposal_writes.TOP_K]
    counts = proposal_writes.write_proposals(
        session, ranked, children, sought, sought_ids, ENGINE_VERSION, model_id=model_id
    )
    proposed = children.loc[children["ref"].isin(ranked["child_ref"]), "id"]
    mark_proposed(session, sought_ids, proposed.tolist())
    _recompete(session, model_id, linker, ranked, sought["id"].tolist())
    return {**counts, "candidates": len(pairs)}


@transactional
def match_child(session: Session, child: ChildRegistration) -> dict[str, int]:
    """A new or changed registration against the open sought children it may be.

    The child is scored against each such sought child next to that sought child's
    ranked candidates (below the proposal floor too) and open matches, so that the
    probabilities keep the one-to-one rule (a sought child is one child) without
    re-ranking every candidate again.
    """
    current = fitted_engines.current_linker(session)
    if current is None:
        return dict(_NOTHING)
    model_id, linker = current
    if child.status in CLOSED_STATUSES:  # a closed case is nobody's candidate
        block_index.forget_children(session, [child.id])
        return dict(_NOTHING)
    frame = store_frames.load_frame(
        session, store_frames.children_query().where(ChildRegistration.id == child.id)
    )
    view = linker.blocking_view(frame, sought=False)
    # keyed first: sought children filed from now on meet it through its keys
    block_index.write_child_keys(session, linker, frame, view)
    # the sought children holding one of its keys, best pre-score first
    touched = block_index.touched_sought(session, linker, view)
    sought_ids = list(
        session.scalars(
            select(SoughtChild.id).where(
                store_frames.id_in(SoughtChild.id, touched), store_frames.still_sought()
            )
        )
    )
    entered, terms = _rankings_entered(session, linker, frame, sought_ids)
    # those that rank or were proposed it already: a correction changes its scores there
    holding = session.scalars(
        union(
            select(RankedCandidate.sought_child_id).where(RankedCandidate.child_id == child.id),
            select(PotentialMatch.sought_child_id).where(
                PotentialMatch.child_id == child.id,
                PotentialMatch.status.in_(OPEN_MATCH_STATUSES),
            ),
        )
    ).all()
    if not holding:  # a new registration: its rankings are ranked again from stored numbers
        counts = _rerank_stored(session, model_id, entered, terms, frame)
        if counts is not None:
            return counts
    return _rerank(session, model_id, linker, sorted(set(entered) | set(holding)), child.id)


def _rerank(
    session: Session,
    model_id: int,
    linker: Linker,
    sought_ids: list[int],
    new_child: int | None = None,
) -> dict[str, int]:
    """Rank these sought children again among their ranked candidates and open matches
    (and ``new_child``, a registration that may enter their rankings), the one-to-one
    rule counting the claims of every other inquiry's stored ranking."""
    if not sought_ids:
        return dict(_NOTHING)
    entered = list(sought_ids)
    # their whole inquiries: siblings are ranked together, each claiming its candidates
    inquiry_ids = select(SoughtChild.inquiry_id).where(SoughtChild.id.in_(entered))
    sought = store_frames.load_frame(
        session,
        store_frames.sought_query().where(
            SoughtChild.inquiry_id.in_(inquiry_ids), store_frames.still_sought()
        ),
    )
    sought_ids = sorted(set(sought["id"].tolist()) | set(entered))
    competitors = session.execute(
        union(
            select(RankedCandidate.sought_child_id, RankedCandidate.child_id).where(
                RankedCandidate.sought_child_id.in_(sought_ids)
            ),
            select(PotentialMatch.sought_child_id, PotentialMatch.child_id).where(
                PotentialMatch.sought_child_id.in_(sought_ids),
                PotentialMatch.status.in_(OPEN_MATCH_STATUSES),
            ),
        )
    ).all()
    child_ids = {c for _s, c in competitors}
    if new_child is not None:
        child_ids.add(new_child)
    children = store_frames.load_frame(
        session,
        store_frames.children_query().where(
            store_frames.id_in(ChildRegistration.id, child_ids),
            ChildRegistration.status.not_in(CLOSED_STATUSES),
        ),
    )
    ref_of_sought = dict(zip(sought["id"], sought["ref"], strict=True))
    ref_of_child = dict(zip(children["id"], children["ref"], strict=True))
    pairs = {
        (ref_of_sought[s], ref_of_child[new_child])
        for s in entered
        if new_child is not None and s in ref_of_sought and new_child in ref_of_child
    }
    pairs |= {
        (ref_of_sought[s], ref_of_child[c])
        for s, c in competitors
        if s in ref_of_sought and c in ref_of_child
    }
    if not pairs:
        return dict(_NOTHING)
    scored = linker.score_pairs(
        children,
        sought,
        pd.DataFrame(sorted(pairs), columns=["request_ref", "child_ref"]),
        _outside_claims(session, children, sought),
    )
    scored["rank"] = scored.groupby("request_ref", sort=False).cumcount() + 1
    scored = scored[scored["rank"] <= proposal_writes.TOP_K]
    counts = proposal_writes.write_proposals(
        session, scored, children, sought, sought_ids, ENGINE_VERSION, model_id=model_id
    )
    mark_proposed(session, sought_ids, list(child_ids))
    return {**counts, "candidates": len(pairs)}


def _rerank_stored(
    session: Session,
    model_id: int,
    sought_ids: list[int],
    arriving: PairTerms | None = None,
    new_child: pd.DataFrame | None = None,
) -> dict[str, int] | None:
    """`_rerank` from the stored rankings' own evidence (`RankedCandidate`), without
    loading or comparing their records: these sought children's whole inquiries ranked
    again under the one-to-one rule, with ``arriving`` (a new registration's pairs with
    some of them: `_rankings_entered`; ``new_child`` its frame) and the other inquiries'
    claims as they stand. None when the stored numbers can't be trusted (another model,
    records changed since, an open match outside the ranking, a ranking stored before
    its evidence was kept): `_rerank` then ranks from the records.
    """
    if not sought_ids:
        return dict(_NOTHING)
    loaded_at = store_frames.database_clock(session)
    inquiry_ids = select(SoughtChild.inquiry_id).where(
        store_frames.id_in(SoughtChild.id, sought_ids)
    )
    family = {
        row.id: row
        for row in session.execute(
            select(
                SoughtChild.id, SoughtChild.ref, SoughtChild.revision, SoughtChild.inquiry_id
            ).where(SoughtChild.inquiry_id.in_(inquiry_ids), store_frames.still_sought())
        )
    }
    if not family:
        return dict(_NOTHING)
    scope = list(family)
    outside_ranking = session.scalar(
        select(func.count())
        .select_from(PotentialMatch)
        .where(
            store_frames.id_in(PotentialMatch.sought_child_id, scope),
            PotentialMatch.status.in_(OPEN_MATCH_STATUSES),
            ~select(RankedCandidate.child_id)
            .where(
                RankedCandidate.sought_child_id == PotentialMatch.sought_child_id,
                RankedCandidate.child_id == PotentialMatch.child_id,
            )
            .exists(),
        )
    )
    if outside_ranking:
        return None
    stored = session.execute(
        select(
            RankedCandidate.sought_child_id,
            RankedCandidate.model_id,
            RankedCandidate.child_revision,
            RankedCandidate.sought_revision,
            RankedCandidate.logodds,
            RankedCandidate.levels,
            RankedCandidate.weights,
            ChildRegistration.id,
            ChildRegistration.ref,
            ChildRegistration.revision,
        )
        .join(ChildRegistration, ChildRegistration.id == RankedCandidate.child_id)
        .where(
            store_frames.id_in(RankedCandidate.sought_child_id, scope),
            ChildRegistration.status.not_in(CLOSED_STATUSES),
        )
    ).all()
    # the pairs: (sought id, child id, child ref, child revision, log-odds, levels, weights)
    pairs: list[tuple[int, int, str, int, float, list[int], list[float]]] = []
    for row in stored:
        if (
            row.model_id != model_id
            or row.logodds is None
            or row.levels is None
            or row.weights is None
            or row.child_revision != row.revision
            or row.sought_revision != family[row.sought_child_id].revision
        ):
            return None
        pairs.append(
            (
                row.sought_child_id,
                row.id,
                row.ref,
                row.revision,
                row.logodds,
                row.levels,
                row.weights,
            )
        )
    if arriving is not None and new_child is not None:
        id_of = {row.ref: sought_id for sought_id, row in family.items()}
        child_id, revision = int(new_child["id"].iloc[0]), int(new_child["revision"].iloc[0])
        for i, sought_ref in enumerate(arriving.request_ref):
            if sought_ref in id_of:
                pairs.append(
                    (
                        id_of[sought_ref],
                        child_id,
                        arriving.child_ref[i],
                        revision,
                        float(arriving.logodds[i]),
                        arriving.levels[i],
                        arriving.weights[i],
                    )
                )
    # one row a pair, the newest: a pair ranked meanwhile by another match is in both
    pairs = list({(p[0], p[1]): p for p in pairs}.values())
    if not pairs:
        return dict(_NOTHING)
    sought_of_pair = np.array([p[0] for p in pairs], dtype=np.int64)
    child_of_pair = np.array([p[1] for p in pairs], dtype=np.int64)
    sought_list, si = np.unique(sought_of_pair, return_inverse=True)
    child_list, ci = np.unique(child_of_pair, return_inverse=True)
    claims_by_id = _claims_of_others(session, child_list.tolist(), scope)
    claims = np.array([claims_by_id.get(int(c), 0.0) for c in child_list])[ci]
    inquiry_of_sought = np.array([family[int(i)].inquiry_id for i in sought_list], dtype=np.int64)
    logodds = np.array([p[4] for p in pairs], dtype=np.float64)
    prob, competition = compete(
        logodds,
        si.astype(np.int32),
        ci.astype(np.int32),
        inquiry_of_sought,
        len(sought_list),
        len(child_list),
        claims,
    )
    # best first per sought child, ties by the child's ref (as `ftr link` breaks them)
    refs = np.array([p[2] for p in pairs], dtype=object)
    order = np.lexsort((refs, -prob, si))
    rank = np.empty(len(pairs), dtype=np.int64)
    group = si[order]
    rank[order] = np.arange(len(order)) - np.searchsorted(group, group, side="left") + 1
    staged = []
    for i in np.flatnonzero(rank <= proposal_writes.TOP_K).tolist():
        sought_id, child_id, _ref, child_revision, logo, levels, weights = pairs[i]
        staged.append(
            proposal_writes.staged_pair(
                terms_row(levels, weights, float(competition[i])),
                child_id,
                sought_id,
                float(prob[i]),
                child_revision,
                family[sought_id].revision,
                int(rank[i]),
                logo,
                levels,
                weights,
            )
        )
    counts = proposal_writes.write_staged(
        session, staged, scope, ENGINE_VERSION, model_id=model_id, loaded_at=loaded_at
    )
    mark_proposed(session, scope, child_list.tolist())
    return {**counts, "candidates": len(pairs)}


# A newly ranked inquiry's claim on a registered child (its probability) from which the
# other sought children ranking that child are ranked again: their one-to-one rule now
# counts it, as `ftr link` would
RECOMPETE_CLAIM = 0.05
RECOMPETE_MAX = 20


def _recompete(
    session: Session, model_id: int, linker: Linker, ranked: pd.DataFrame, family: list[int]
) -> None:
    """After an inquiry is ranked: the other sought children that rank a child it now
    claims are ranked again (at most RECOMPETE_MAX, those ranking it highest)."""
    claimed = ranked.loc[ranked["score"] >= RECOMPETE_CLAIM, "child_ref"].unique().tolist()
    if not claimed:
        return
    others = session.scalars(
        select(RankedCandidate.sought_child_id)
        .join(ChildRegistration, ChildRegistration.id == RankedCandidate.child_id)
        .join(SoughtChild, SoughtChild.id == RankedCandidate.sought_child_id)
        .where(
            ChildRegistration.ref.in_(claimed),
            ~store_frames.id_in(RankedCandidate.sought_child_id, family),
            store_frames.still_sought(),
        )
        .group_by(RankedCandidate.sought_child_id)
        .order_by(func.max(RankedCandidate.score).desc(), RankedCandidate.sought_child_id)
        .limit(RECOMPETE_MAX)
    ).all()
    if _rerank_stored(session, model_id, list(others)) is None:
        _rerank(session, model_id, linker, list(others))


def _outside_claims(
    session: Session, children: pd.DataFrame, sought: pd.DataFrame
) -> dict[str, float]:
    """By child ref, the probabilities that the stored rankings of sought children not in
    ``sought`` give these registered children: the claims of other inquiries, which the
    one-to-one rule counts against a pair as `ftr link` counts them among all."""
    ref_of = dict(zip(children["id"].tolist(), children["ref"].tolist(), strict=True))
    claims = _claims_of_others(session, list(ref_of), sought["id"].tolist())
    return {ref_of[child_id]: total for child_id, total in claims.items()}


def _claims_of_others(
    session: Session, child_ids: list[int], sought_ids: list[int]
) -> dict[int, float]:
    """By child id, what the stored rankings of still-sought children other than
    ``sought_ids`` claim of these registered children (their probabilities, summed).

    Two steps: the rankings holding these children, then which of their sought children
    are still sought, by id. As one join, the planner read every sought child to hash
    them (20 ms of an inquiry's 30 in a store of 50,000 sought children)."""
    rows = session.execute(
        select(RankedCandidate.child_id, RankedCandidate.sought_child_id, RankedCandidate.score)
        .where(
            store_frames.id_in(RankedCandidate.child_id, child_ids),
            ~store_frames.id_in(RankedCandidate.sought_child_id, sought_ids),
        )
        .order_by(RankedCandidate.child_id, RankedCandidate.sought_child_id)
    ).all()
    if not rows:
        return {}
    still = set(
        session.scalars(
            select(SoughtChild.id).where(
                store_frames.id_in(SoughtChild.id, {s for _c, s, _p in rows}),
                store_frames.still_sought(),
            )
        )
    )
    claims: dict[int, list[float]] = {}
    for child_id, sought_id, score in rows:
        if sought_id in still:
            claims.setdefault(int(child_id), []).append(float(score))
    # fsum: the same total whatever order the rows came in
    return {child_id: math.fsum(scores) for child_id, scores in claims.items()}


# A registration re-ranks a sought child when its probability there, estimated from its
# odds alone against those the ranked candidates hold, reaches this share of the last
# ranked one's (an estimate: the one-to-one rule between sought children is left out)
ENTER_MARGIN = 0.5


def _rankings_entered(
    session: Session, linker: Linker, child: pd.DataFrame, sought_ids: list[int]
) -> tuple[list[int], PairTerms]:
    """Of these sought children, those whose ranking the registration (a one-row frame)
    may enter, or is in already (a correction), and the evidence of its pairs with
    those (`Linker.pair_terms`, by the store's refs). Re-ranking one it cannot
    enter would change only the others' probabilities, by a rounding."""
    sought = store_frames.load_frame(
        session, store_frames.sought_query().where(store_frames.id_in(SoughtChild.id, sought_ids))
    )
    child_ref = str(child["ref"].iloc[0])
    terms = linker.pair_terms(
        child, sought, pd.DataFrame({"request_ref": sought["ref"], "child_ref": child_ref})
    )
    id_of = dict(zip(sought["ref"].tolist(), sought["id"].tolist(), strict=True))
    odds = {
        id_of[ref]: float(np.exp(logo))
        for ref, logo in zip(terms.request_ref, terms.logodds.tolist(), strict=True)
    }
    child_id = int(child["id"].iloc[0])
    ranked: dict[int, list[tuple[int, float]]] = {}
    for sought_id, ranked_child, score in session.execute(
        select(
            RankedCandidate.sought_child_id, RankedCandidate.child_id, RankedCandidate.score
        ).where(store_frames.id_in(RankedCandidate.sought_child_id, sought_ids))
    ):
        ranked.setdefault(sought_id, []).append((ranked_child, score))
    entered = []
    for sought_id in sought_ids:
        rows = ranked.get(sought_id, [])
        o = odds.get(sought_id, math.nan)
        if len(rows) < proposal_writes.TOP_K or any(c == child_id for c, _ in rows):
            entered.append(sought_id)
            continue
        if math.isnan(o):
            continue
        held = min(sum(p for _, p in rows), 0.999)
        others = held / (1.0 - held)  # the ranked candidates' odds, summed
        if o / (1.0 + others + o) >= ENTER_MARGIN * min(p for _, p in rows):
            entered.append(sought_id)
    wanted = {ref for ref, sought_id in id_of.items() if sought_id in set(entered)}
    keep = [i for i, ref in enumerate(terms.request_ref) if ref in wanted]
    return entered, PairTerms(
        request_ref=[terms.request_ref[i] for i in keep],
        child_ref=[terms.child_ref[i] for i in keep],
        logodds=terms.logodds[keep],
        levels=[terms.levels[i] for i in keep],
        weights=[terms.weights[i] for i in keep],
    )


def add_counts(stats: dict[str, int] | None, counts: dict[str, int]) -> None:
    """Add a matching pass's counts (candidates scored, proposals...) to `stats`."""
    if stats is not None:
        for key, value in counts.items():
            stats[key] = stats.get(key, 0) + value


def export_matches(session: Session, path: Any, *, statuses: Sequence[str] | None = None) -> int:
    """Write the store's potential matches as DESIGN §3 ranked output; return rows written.
    The export holds every agency's refs and scores: it is audited."""
    import csv

    statuses = statuses or (
        MatchStatus.PROPOSED.value,
        MatchStatus.IN_VERIFICATION.value,
        MatchStatus.CONFIRMED.value,
    )
    rows = session.execute(
        select(
            SoughtChild.ref,
            ChildRegistration.ref,
            PotentialMatch.score,
            PotentialMatch.status,
            PotentialMatch.evidence,
        )
        .join(SoughtChild, PotentialMatch.sought_child_id == SoughtChild.id)
        .join(ChildRegistration, PotentialMatch.child_id == ChildRegistration.id)
        .where(PotentialMatch.status.in_(list(statuses)))
        .order_by(SoughtChild.ref, PotentialMatch.score.desc(), ChildRegistration.ref)
    ).all()
    fields: list[str] = []
    for *_rest, evidence in rows:
        for item in evidence.get("fields", []):
            if item["field"] not in fields:
                fields.append(item["field"])
    header = ["request_ref", "child_ref", "rank", "score", "status", "prior_weight"]
    for name in fields:
        header += [f"{name}_level", f"{name}_weight"]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        rank, previous = 0, None
        for sought_ref, child_ref, score, status, evidence in rows:
            rank = rank + 1 if sought_ref == previous else 1
            previous = sought_ref
            by_field = {item["field"]: item for item in evidence.get("fields", [])}
            line: list[Any] = [
                sought_ref,
                child_ref,
                rank,
                f"{score:.6f}",
                status,
                evidence.get("prior_weight", ""),
            ]
            for name in fields:
                item = by_field.get(name, {})
                line += [item.get("level", ""), item.get("weight", "")]
            writer.writerow([neutralise_cell(v) for v in line])
    with transaction(session):
        details = command_details(file=str(path), rows=len(rows), statuses=list(statuses))
        record_audit(session, None, "export_matches", details=details)
    return len(rows)
