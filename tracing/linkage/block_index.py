"""The engine's blocking in the store: each registered child's keys kept on write, and the
candidates of newly sought children found through them as `ftr link` finds them.

`ftr link` keeps, for each sought child, the registered children with the best
pre-scores among those that share a key with it (matching.candidates): the rarity of the
shared keys (how many registered children hold each), then age, sex and separation. Here
the same keys are looked up in `child_block_key`, their blocks counted there, the shared
keys' scores and the other terms worked out by the engine's own functions on what the
store returns, and the same best candidates kept. Each step is the engine's; the store
only answers which children hold a key and how many.

What differs from `ftr link`: block sizes count every keyed child, closed cases too (the
engine counts the open ones it was given); and children registered while no engine was
fitted, or under another engine signature, hold no keys until `ftr match` keys them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import psycopg
from psycopg import sql
from sqlalchemy.orm import Session

from matching import Linker
from matching.candidates import (
    BAND_CAP,
    PLAIN,
    PLAIN_CAP,
    BlockProfile,
    SoughtCodes,
    age_bands,
    band_codes,
    key_scores,
    pet_keys,
    prescore,
    sought_codes,
)
from matching.linker import BlockingView
from matching.rank import best_per_group
from matching.records import BlockNumbers, Records, ref_ranks
from models import CLOSED_STATUSES, MATCHED_STATUSES

I64 = npt.NDArray[np.int64]


def _driver(session: Session) -> psycopg.Connection[Any]:
    driver = session.connection().connection.driver_connection
    if not isinstance(driver, psycopg.Connection):
        raise TypeError("FTR needs the psycopg 3 driver")
    return driver


def _nan_to_none(values: npt.NDArray[np.float64]) -> list[float | None]:
    return [None if np.isnan(x) else float(x) for x in values]


def forget_children(session: Session, child_ids: Sequence[int] | None = None) -> int:
    """Drop the kept keys and numbers of these registered children (None: of every child
    whose case is closed): a closed case is no candidate, and `ftr link`'s blocks count
    the open children only, so the store's block sizes must not count it either. Returns
    how many children's numbers were dropped. Runs in the caller's transaction."""
    if child_ids is not None and not child_ids:
        return 0
    if child_ids is None:
        which = sql.SQL("SELECT id FROM child_registration WHERE status = ANY(%(closed)s)")
        params: dict[str, Any] = {"closed": list(CLOSED_STATUSES)}
    else:
        which = sql.SQL("SELECT unnest(%(ids)s::int[])")
        params = {"ids": [int(i) for i in child_ids]}
    with _driver(session).cursor() as cursor:
        for table in ("child_block_key", "child_block_profile"):
            cursor.execute(
                sql.SQL("DELETE FROM {} WHERE child_id IN ({})").format(
                    sql.Identifier(table), which
                ),
                params,
            )
        return cursor.rowcount


def write_child_keys(
    session: Session, linker: Linker, children: pd.DataFrame, view: BlockingView | None = None
) -> int:
    """Key these registered children (an engine frame with their store ids in ``id``;
    ``view``: its Linker.blocking_view when the caller has it) under ``linker``: their
    keys and pre-score numbers replace any kept before. Returns the number of key rows
    written. Runs in the caller's transaction."""
    if children.empty:
        return 0
    if view is None:
        view = linker.blocking_view(children, sought=False)
    rec, key, _slot, _discount = view.keys
    band_a, band_b = age_bands(view.records.birth)
    _replace_keys(
        session,
        linker,
        children,
        view.records,
        ("child_registration", "child_block_key", "child_block_profile", "child_id"),
        {"key": key, "band_a": band_a[rec], "band_b": band_b[rec]},
        rec,
    )
    return len(key)


def _replace_keys(
    session: Session,
    linker: Linker,
    frame: pd.DataFrame,
    records: Records,
    tables: tuple[str, str, str, str],
    key_columns: dict[str, npt.NDArray[Any]],
    rec: I64,
) -> None:
    """Replace the kept keys and profiles of a frame's records (``tables``: the records'
    table, the keys', the profiles' and the column naming the record): ``key_columns``
    hold one value per key row, ``rec`` the row's record in the frame."""
    owner, key_table, profile_table, id_column = tables
    ids = frame["id"].astype(np.int64).to_numpy()
    with _driver(session).cursor() as cursor:
        # two writers of one record (a correction during `ftr match`) wait for each other
        cursor.execute(
            sql.SQL("SELECT id FROM {} WHERE id = ANY(%(ids)s) ORDER BY id FOR UPDATE").format(
                sql.Identifier(owner)
            ),
            {"ids": ids.tolist()},
        )
        for table in (key_table, profile_table):
            cursor.execute(
                sql.SQL("DELETE FROM {} WHERE {} = ANY(%(ids)s)").format(
                    sql.Identifier(table), sql.Identifier(id_column)
                ),
                {"ids": ids.tolist()},
            )
        rows = {
            key_table: [ids[rec].tolist(), *(v.tolist() for v in key_columns.values())],
            profile_table: [
                ids.tolist(),
                [linker.key_signature] * len(ids),
                frame["revision"].astype(int).tolist(),
                *_numbers(records),
            ],
        }
        names = {
            key_table: [id_column, *key_columns],
            profile_table: [id_column, "signature", "revision", *_NUMBERS],
        }
        for table, columns in rows.items():
            with cursor.copy(
                sql.SQL("COPY {} ({}) FROM STDIN").format(
                    sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, names[table]))
                )
            ) as copy:
                for row in zip(*columns, strict=True):
                    copy.write_row(row)


# How many keyed children hold each key, or each key in one age band: each count stops
# at `cap` (only the smaller blocks are used as they are). One index-only probe a key.
_PLAIN_SIZES_SQL = """
    SELECT q.i, (SELECT count(*) FROM (SELECT 1 FROM child_block_key b
                                       WHERE b.key = q.k LIMIT %(cap)s) x)
    FROM unnest(%(keys)s::bigint[], %(idx)s::int[]) AS q(k, i)
"""
_BANDED_SIZES_SQL = """
    SELECT q.i, (SELECT count(*) FROM (SELECT 1 FROM child_block_key b
                                       WHERE b.key = q.k AND b.{band} = q.band
                                       LIMIT %(cap)s) x)
    FROM unnest(%(keys)s::bigint[], %(bands)s::smallint[], %(idx)s::int[]) AS q(k, band, i)
"""
# The children in the blocks looked up: (code row, child) for every child of each block
_PLAIN_MEMBERS_SQL = """
    SELECT q.i, b.child_id
    FROM unnest(%(keys)s::bigint[], %(idx)s::int[]) AS q(k, i)
    JOIN child_block_key b ON b.key = q.k
"""
_BANDED_MEMBERS_SQL = """
    SELECT q.i, b.child_id
    FROM unnest(%(keys)s::bigint[], %(bands)s::smallint[], %(idx)s::int[]) AS q(k, band, i)
    JOIN child_block_key b ON b.key = q.k AND b.{band} = q.band
"""
# Their pre-score numbers: thousands of children an inquiry, so the profile table alone
# (a join for each child's ref and status doubled the time of this, the costliest query)
_NUMBERS_SQL = """
    SELECT p.child_id, p.birth, p.sex, p.sep, p.sep_month, p.day, p.lat, p.lon
    FROM child_block_profile p WHERE p.child_id = ANY(%(ids)s)
"""
# The refs of the few that can be kept (the tie-break among equal pre-scores), open ones
_OPEN_REFS_SQL = """
    SELECT c.id, c.ref FROM child_registration c
    WHERE c.id = ANY(%(ids)s) AND c.status <> ALL(%(closed)s)
"""


def _split(codes: I64) -> dict[str, tuple[I64, I64, I64]]:
    """Codes by how they are looked up: (keys, bands, positions) for 'plain', 'band_a'
    (even bands) and 'band_b' (odd ones)."""
    key, band = codes >> 12, codes & 4095
    out = {}
    for name, mask in (
        ("plain", band == PLAIN),
        ("band_a", (band != PLAIN) & (band % 2 == 0)),
        ("band_b", (band != PLAIN) & (band % 2 == 1)),
    ):
        where = np.flatnonzero(mask)
        out[name] = (key[where], band[where], where)
    return out


def _per_code(
    cursor: psycopg.Cursor[Any], plain_sql: str, banded_sql: str, codes: I64, cap: int | None
) -> list[tuple[int, int]]:
    """Run a per-code query over codes, each kind of code with its own statement."""
    rows: list[tuple[int, int]] = []
    for name, (keys, bands, where) in _split(codes).items():
        if not len(keys):
            continue
        params: dict[str, Any] = {
            "keys": keys.tolist(),
            "idx": where.tolist(),
            "cap": cap,
        }
        if name == "plain":
            statement = plain_sql
        else:
            statement = banded_sql.format(band=name)
            params["bands"] = bands.tolist()
        cursor.execute(statement, params)
        rows.extend(cursor.fetchall())
    return rows


def _sizes(cursor: psycopg.Cursor[Any], codes: I64, cap: int) -> I64:
    """How many keyed children hold each code (counted once per distinct code)."""
    distinct, inverse = np.unique(codes, return_inverse=True)
    sizes = np.zeros(len(distinct), dtype=np.int64)
    for i, n in _per_code(cursor, _PLAIN_SIZES_SQL, _BANDED_SIZES_SQL, distinct, cap):
        sizes[i] = n
    return sizes[inverse.reshape(-1)]


def keyed_children(session: Session) -> int:
    """How many registered children hold keys (the N of a key's rarity log(N / block)):
    the planner's estimate once the table is large, a count while it is small."""
    with _driver(session).cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'child_block_profile'::regclass")
        row = cursor.fetchone()
        estimate = float(row[0]) if row and row[0] is not None else -1.0
        if estimate >= 50_000:
            return int(estimate)
        cursor.execute("SELECT count(*) FROM child_block_profile")
        counted = cursor.fetchone()
        return int(counted[0]) if counted else 0


def family_candidates(
    session: Session, linker: Linker, sought: pd.DataFrame, *, max_per_sought: int | None = None
) -> tuple[pd.DataFrame, list[int]]:
    """The candidates `ftr link` would keep for these sought children (an engine frame:
    one inquiry's, ranked together) among the keyed open registered children:
    (pairs as ``request_ref``, ``child_id``; the children's ids). Runs in the caller's
    transaction."""
    keep = linker.max_per_sought if max_per_sought is None else max_per_sought
    empty = pd.DataFrame({"request_ref": [], "child_id": []})
    if sought.empty:
        return empty, []
    view = linker.blocking_view(sought, sought=True)
    s: Records = view.records
    codes = _store_codes(session, linker, s, view.keys)
    if "id" in sought:
        write_sought_keys(session, linker, sought, view)
    # binary results: thousands of rows, read without parsing text
    with _driver(session).cursor(binary=True) as cursor:
        members = _per_code(cursor, _PLAIN_MEMBERS_SQL, _BANDED_MEMBERS_SQL, codes.code, None)
        if not members:
            return empty, []
        code_row = np.array([m[0] for m in members], dtype=np.int64)
        child_id = np.array([m[1] for m in members], dtype=np.int64)
        cursor.execute(_NUMBERS_SQL, {"ids": np.unique(child_id).tolist()})
        numbers = cursor.fetchall()
        if not numbers:
            return empty, []
        ids = np.array([p[0] for p in numbers], dtype=np.int64)
        c = _profile(numbers, ids.astype(object), at=1)
        order = np.argsort(ids)
        local = np.searchsorted(ids[order], child_id).clip(0, len(ids) - 1)
        known = ids[order][local] == child_id  # none: its case closed since the members were read
        code_row, ci = code_row[known], order[local[known]]
        by_row = np.argsort(code_row, kind="stable")
        code_row, ci = code_row[by_row], ci[by_row]
        lens = np.bincount(code_row, minlength=len(codes.code)).astype(np.int64)
        si = codes.rec[code_row]
        if not len(si):
            return empty, []
        ps, pc, score = key_scores(si, ci, lens, codes, slice(0, len(codes.code)), 0, len(c))
        score += prescore(s, c, ps, pc, linker.separation)
        ps, pc = _best_open(cursor, ps, pc, score, ids, keep)
    pairs = pd.DataFrame({"request_ref": s.ref[ps].astype(str), "child_id": ids[pc]})
    return pairs, sorted(set(pairs["child_id"].tolist()))


def _best_open(
    cursor: psycopg.Cursor[Any],
    ps: I64,
    pc: I64,
    score: npt.NDArray[np.float64],
    ids: I64,
    keep: int,
) -> tuple[I64, I64]:
    """The best ``keep`` open children of each sought child (``ps``, ``pc``: pairs of
    positions, ``pc`` into ``ids``), as `ftr link` keeps them: by score, ties by ref.

    Refs and case statuses are read for the pairs that can be kept only: those scoring
    at least their sought child's keep-th best. A child closed since it was keyed (its
    keys are dropped when its case closes, so seldom) leaves, and the rest are kept
    again without it."""
    if keep < 1 or not len(ps):
        return ps[:0], pc[:0]
    while True:
        provisional = best_per_group(ps, score, pc, keep)
        counts = np.bincount(ps[provisional], minlength=int(ps.max()) + 1)
        floor = np.full(len(counts), -np.inf)
        full = counts >= keep
        # best_per_group orders each group best first: its last kept row is its floor
        last = np.flatnonzero(np.r_[ps[provisional][1:] != ps[provisional][:-1], True])
        groups = ps[provisional][last]
        floor[groups[full[groups]]] = score[provisional][last][full[groups]]
        near = np.flatnonzero(~(score < floor[ps]))  # NaN scores too, as best_per_group
        wanted = np.unique(pc[near])
        cursor.execute(
            _OPEN_REFS_SQL, {"ids": ids[wanted].tolist(), "closed": list(CLOSED_STATUSES)}
        )
        ref_of = dict(cursor.fetchall())
        open_ = np.array([int(i) in ref_of for i in ids[wanted]], dtype=bool)
        if open_.all():
            break
        stay = ~np.isin(pc, wanted[~open_])
        ps, pc, score = ps[stay], pc[stay], score[stay]
        if not len(ps):
            return ps, pc
    refs = np.array([ref_of[int(i)] for i in ids[pc[near]]], dtype=object)
    best = best_per_group(ps[near], score[near], ref_ranks(refs), keep)
    return ps[near][best], pc[near][best]


def write_sought_keys(
    session: Session, linker: Linker, sought: pd.DataFrame, view: BlockingView | None = None
) -> int:
    """Keep these sought children's keys (an engine frame with their store ids; ``view``:
    its Linker.blocking_view when the caller has it) with their slots and discounts, and
    their pre-score numbers: a registration made later meets through them the sought
    children it may be (touched_sought). Returns the key rows written; runs in the
    caller's transaction."""
    if sought.empty:
        return 0
    if view is None:
        view = linker.blocking_view(sought, sought=True)
    rec, key, slot, discount = view.keys
    band_a, band_b = age_bands(view.records.birth)
    _replace_keys(
        session,
        linker,
        sought,
        view.records,
        ("sought_child", "sought_block_key", "sought_block_profile", "sought_child_id"),
        {
            "key": key,
            "slot": slot,
            "discount": discount,
            "band_a": band_a[rec],
            "band_b": band_b[rec],
        },
        rec,
    )
    return len(key)


_NUMBERS = ["birth", "sex", "sep", "sep_month", "day", "lat", "lon"]


def _numbers(r: Records) -> list[list[Any]]:
    """The pre-score numbers of records, column by column (NaN as NULL), in _NUMBERS order."""
    return [
        _nan_to_none(r.birth),
        r.sex.tolist(),
        _nan_to_none(r.sep),
        r.sep_month.tolist(),
        _nan_to_none(r.day),
        _nan_to_none(r.lat),
        _nan_to_none(r.lon),
    ]


def _store_codes(
    session: Session,
    linker: Linker,
    s: BlockNumbers,
    keys: tuple[I64, I64, I64, npt.NDArray[np.float64]],
) -> SoughtCodes:
    """sought_codes with the store's block sizes and number of keyed children."""
    n_children = keyed_children(session)
    with _driver(session).cursor() as cursor:
        unique_keys = np.unique(keys[1])
        plain = _sizes(cursor, unique_keys * 4096 + PLAIN, PLAIN_CAP + 1)

        def plain_size(vals: I64) -> I64:
            return plain[np.searchsorted(unique_keys, vals)]

        def banded_size(codes: I64) -> I64:
            return _sizes(cursor, codes, BAND_CAP + 1)

        return sought_codes(s, keys, plain_size, banded_size, n_children)


# A registration is scored against at most this many of the sought children whose codes
# it holds, those it pre-scores best: its own true sought child shares its rarest keys
TOUCHED_MAX = 60


# The sought children holding a registration's keys: a small block's key alone, a large
# block's (and a pet name's) within the registration's age bands, as the sought side
# looks them up (matching.candidates.sought_codes). From the covering indexes alone.
_HELD_SQL = """
    SELECT k.sought_child_id, k.key, k.slot, k.discount
    FROM sought_block_key k WHERE k.key = ANY(%(small)s)
    UNION ALL
    SELECT k.sought_child_id, k.key, k.slot, k.discount
    FROM sought_block_key k WHERE k.key = ANY(%(large)s) AND k.band_a = %(band_a)s
    UNION ALL
    SELECT k.sought_child_id, k.key, k.slot, k.discount
    FROM sought_block_key k WHERE k.key = ANY(%(large)s) AND k.band_b = %(band_b)s
"""
# Of those, the ones still sought (keyed under this engine, not closed, not matched), with
# their pre-score numbers: asked for by id in both tables, apart from the keys, so that
# the planner looks these few thousand up rather than read every sought child
_STILL_SOUGHT_SQL = """
    SELECT p.sought_child_id, p.birth, p.sex, p.sep, p.sep_month, p.day, p.lat, p.lon
    FROM sought_block_profile p JOIN sought_child sc ON sc.id = p.sought_child_id
    WHERE p.sought_child_id = ANY(%(ids)s) AND sc.id = ANY(%(ids)s)
      AND p.signature = %(signature)s AND sc.status <> ALL(%(closed)s)
      AND NOT EXISTS (SELECT 1 FROM potential_match m
                      WHERE m.sought_child_id = p.sought_child_id
                        AND m.status = ANY(%(matched)s))
"""


def touched_sought(
    session: Session, linker: Linker, view: BlockingView, *, limit: int = TOUCHED_MAX
) -> list[int]:
    """The sought children a registration (its Linker.blocking_view; keyed already) may
    be, as `ftr link`'s blocking would pair them: those holding one of its keys, each key
    looked up alone or with the sought child's age band as the registered children's
    blocks now ask, best pre-score first, at most ``limit``."""
    c_rec, c_key = view.keys[0], view.keys[1]
    if not len(c_key):
        return []
    plain, band_a, band_b = band_codes(c_key, view.records.birth[c_rec])
    held = set(plain.tolist()) | set(band_a.tolist()) | set(band_b.tolist())
    c_keys = np.unique(c_key)
    with _driver(session).cursor(binary=True) as cursor:
        # a key's block among the registered children decides how sought children look it
        # up: alone while small, by age band when large (a pet name's always by band)
        sizes = _sizes(cursor, c_keys * 4096 + PLAIN, PLAIN_CAP + 1)
        large = (sizes > PLAIN_CAP) | np.isin(c_keys, pet_keys())
        bands = age_bands(view.records.birth[:1])
        cursor.execute(
            _HELD_SQL,
            {
                "small": c_keys[~large].tolist(),
                "large": c_keys[large].tolist(),
                "band_a": int(bands[0][0]),
                "band_b": int(bands[1][0]),
            },
        )
        held_rows = cursor.fetchall()
        if not held_rows:
            return []
        cursor.execute(
            _STILL_SOUGHT_SQL,
            {
                "ids": sorted({r[0] for r in held_rows}),
                "signature": linker.key_signature,
                "closed": list(CLOSED_STATUSES),
                "matched": list(MATCHED_STATUSES),
            },
            prepare=False,  # a generic plan reads every sought child; planned per list
        )
        numbers = cursor.fetchall()
    if not numbers:
        return []
    ids = np.array([r[0] for r in numbers], dtype=np.int64)
    order = np.argsort(ids)
    ids, numbers = ids[order], [numbers[i] for i in order]
    s = _profile(numbers, ids.astype(object), at=1)
    held_id = np.array([r[0] for r in held_rows], dtype=np.int64)
    local = np.searchsorted(ids, held_id).clip(0, len(ids) - 1)
    still = np.flatnonzero(ids[local] == held_id)
    keys = (
        local[still].astype(np.int64),
        np.array([held_rows[i][1] for i in still], dtype=np.int64),
        np.array([held_rows[i][2] for i in still], dtype=np.int64),
        np.array([held_rows[i][3] for i in still], dtype=np.float64),
    )
    codes = _store_codes(session, linker, s, keys)
    met = np.flatnonzero(np.isin(codes.code, list(held)))
    if not len(met):
        return []
    codes = SoughtCodes(codes.rec[met], codes.code[met], codes.slot[met], codes.weight[met])
    n = len(met)
    ones, zeros = np.ones(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    ps, pc, score = key_scores(codes.rec, zeros, ones, codes, slice(0, n), 0, 1)
    score += prescore(s, view.records, ps, pc, linker.separation)
    best = np.lexsort((ids[ps], -score))[:limit]
    return [int(i) for i in ids[ps[best]]]


def _floats(values: Sequence[Any]) -> npt.NDArray[np.float64]:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _profile(
    rows: Sequence[tuple[Any, ...]], refs: npt.NDArray[np.object_], at: int
) -> BlockProfile:
    """The pre-score numbers of rows holding them, in _NUMBERS order, from column ``at``."""

    def column(offset: int) -> list[Any]:
        return [r[at + offset] for r in rows]

    return BlockProfile(
        ref=refs,
        birth=_floats(column(0)),
        sex=np.array(column(1), dtype=np.int8),
        sep=_floats(column(2)),
        sep_month=np.array(column(3), dtype=bool),
        day=_floats(column(4)),
        lat=_floats(column(5)),
        lon=_floats(column(6)),
    )


# Registered children keyed at a time by refresh_child_keys (a frame, its keys and
# their COPY in memory at once)
KEY_BATCH_SIZE = 20_000


def refresh_child_keys(
    session: Session, linker: Linker, children: pd.DataFrame | None = None
) -> int:
    """Key the open registered children that hold no keys of their current revision
    under ``linker``'s signature (registered before an engine was fitted or while
    matching was off, changed by an import, or keyed under another signature);
    ``children``: the open children's engine frame when the caller has it. Returns how
    many were keyed. One transaction per batch."""
    from models.db import transaction
    from tracing.linkage import store_frames

    with transaction(session):
        forget_children(session)  # cases closed since they were keyed
    if children is None:
        children = store_frames.open_children(session, batch_size=store_frames.LOAD_BATCH_SIZE)
    if children.empty:
        return 0
    stale = _stale(session, linker, "child_block_profile", "child_id", children)
    for at in range(0, len(stale), KEY_BATCH_SIZE):
        with transaction(session):
            write_child_keys(session, linker, stale.iloc[at : at + KEY_BATCH_SIZE])
    return len(stale)


def refresh_sought_keys(session: Session, linker: Linker, sought: pd.DataFrame) -> int:
    """Key the open sought children (an engine frame with their store ids) that hold no
    keys of their current revision under ``linker``'s signature, as refresh_child_keys
    does the registered children. One transaction per batch; returns how many."""
    from models.db import transaction

    stale = _stale(session, linker, "sought_block_profile", "sought_child_id", sought)
    for at in range(0, len(stale), KEY_BATCH_SIZE):
        with transaction(session):
            write_sought_keys(session, linker, stale.iloc[at : at + KEY_BATCH_SIZE])
    return len(stale)


def _stale(
    session: Session, linker: Linker, table: str, id_column: str, frame: pd.DataFrame
) -> pd.DataFrame:
    """The records of an engine frame whose kept keys are missing, of another revision or
    of another engine signature."""
    with _driver(session).cursor() as cursor:
        cursor.execute(
            sql.SQL("SELECT {}, revision FROM {} WHERE signature = %(signature)s").format(
                sql.Identifier(id_column), sql.Identifier(table)
            ),
            {"signature": linker.key_signature},
        )
        current = dict(cursor.fetchall())
    keyed = [current.get(i) == r for i, r in zip(frame["id"], frame["revision"], strict=True)]
    return frame[~np.array(keyed, dtype=bool)].reset_index(drop=True)
