"""Name search over registered and sought children, and spatial look-ups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast as cast_type

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from matching.normalize import normalize_name, token_keys
from models import ChildRegistration, Inquiry, SoughtChild, User
from models.db import transaction
from tracing.audit import record_audit
from tracing.linkage import candidate_retrieval
from tracing.people import token_index_keys


@dataclass
class SearchHit:
    kind: str  # "child" or "sought"
    record: ChildRegistration | SoughtChild
    similarity: float


def _name_similarity(query_tokens: list[str], record_tokens: list[str]) -> float:
    """Mean over query tokens of the best Jaro-Winkler against the record's tokens,
    with shared variant keys counting as a full match (Mohammed ~ Muhammad)."""
    import jellyfish

    if not query_tokens or not record_tokens:
        return 0.0
    total = 0.0
    for q in query_tokens:
        q_keys = set(token_keys(q))
        best = 0.0
        for r in record_tokens:
            if q == r or not q_keys.isdisjoint(token_keys(r)):
                best = 1.0
                break
            best = max(best, jellyfish.jaro_winkler_similarity(q, r))
        total += best
    return total / len(query_tokens)


SEARCH_POOL = 1000  # index hits per kind scored for a name search


def search_people(
    session: Session,
    actor: User,
    query: str,
    *,
    kinds: Sequence[str] = ("child", "sought"),
    limit: int = 50,
) -> list[SearchHit]:
    """Children and sought children of the actor's agency whose names sound like `query`.

    The query is normalised like the engine's names (any script, variants, nicknames),
    then found through the key index or trigram similarity, and ranked by similarity.
    """
    tokens = normalize_name(query)
    if not tokens:
        return []
    keys, pairs, joined = token_index_keys(tokens)
    # Score the index hits on their stored search text first; load only the best records.
    scored: list[tuple[float, str, str, int]] = []
    people: tuple[tuple[str, type[ChildRegistration] | type[SoughtChild]], ...] = (
        ("child", ChildRegistration),
        ("sought", SoughtChild),
    )
    for kind, model in people:
        if kind not in kinds:
            continue
        # A very common name alone (Mohammed) would fill the pool with arbitrary records:
        # its key counts only when the query has nothing better, that is pairs of its
        # tokens (Mohammed Ali) or rarer keys; trigram similarity catches spellings.
        # One query per way in, most precise first: OR-ed together with a LIMIT, the
        # planner walks a whole table checking each row instead of using the indexes.
        selective = candidate_retrieval.selective_keys(session, str(model.__tablename__), keys)
        ways = []
        if pairs:
            ways.append(model.block_keys.overlap(pairs))
        if selective or not pairs:
            ways.append(model.name_keys.overlap(selective or keys))
        ways.append(model.search_text.op("%")(joined))
        seen: set[int] = set()
        for way in ways:
            stmt: Select[int, str, str] = select(model.id, model.ref, model.search_text).where(way)
            if model is ChildRegistration:
                stmt = stmt.where(ChildRegistration.agency_id == actor.agency_id)
            else:
                stmt = stmt.join(Inquiry, SoughtChild.inquiry_id == Inquiry.id).where(
                    Inquiry.agency_id == actor.agency_id
                )
            if seen:
                stmt = stmt.where(model.id.not_in(seen))
            for record_id, ref, search_text in session.execute(stmt.limit(SEARCH_POOL - len(seen))):
                seen.add(record_id)
                score = _name_similarity(tokens, search_text.split())
                if score >= 0.75:
                    scored.append((-score, ref, kind, record_id))
            if len(seen) >= SEARCH_POOL:
                break
    scored.sort()
    best = scored[:limit]
    loaded: dict[tuple[str, int], ChildRegistration | SoughtChild] = {}
    for kind, model in people:
        wanted = [record_id for _s, _r, k, record_id in best if k == kind]
        if wanted:
            found = cast_type(
                Sequence[ChildRegistration | SoughtChild],
                session.scalars(select(model).where(model.id.in_(wanted))).all(),
            )
            loaded.update(((kind, record.id), record) for record in found)
    hits = [SearchHit(kind, loaded[kind, record_id], -score) for score, _r, kind, record_id in best]
    with transaction(session):
        details = {"query": query[:200], "hits": len(scored)}
        record_audit(session, actor.id, "search", details=details)
    return hits


def children_separated_near(
    session: Session, lat: float, lon: float, radius_km: float
) -> list[ChildRegistration]:
    """Registered children separated within radius_km of a point (uses the GiST index)."""
    point = func.ST_GeogFromText(bindparam("point", f"SRID=4326;POINT({lon!r} {lat!r})"))
    stmt = (
        select(ChildRegistration)
        .where(func.ST_DWithin(ChildRegistration.separation_point, point, radius_km * 1000.0))
        .order_by(ChildRegistration.ref)
    )
    return list(session.scalars(stmt))
