"""Blocking: a union of cheap keys, pairs ranked by the rarity of the keys they share.

Keys: each name token's variant/phonetic/skeleton codes (alone when rare, with an age
band when common), pairs of name tokens, parents' name tokens (with an age band when
common), the sought child's kin's name parts against the registered child's family name
(names move between fields), a geographic cell of the separation point with an age
band, an identifier, and for a registered child known by pet names only, its sex (with
an age band).
A pair's pre-score sums, over the pieces of evidence it shares (each sought name token,
token pair, parent's token, place), the rarity log(N / block size) of its rarest shared
key, plus cheap terms for age, sex, separation date and the distance between separation
points; the best ``max_per_sought`` candidates of each sought child are kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from matching.compare import distance_levels, limits_passed, record_date_levels, sep_date_levels
from matching.parallel import map_chunks
from matching.rank import best_per_group
from matching.records import BlockNumbers, IntArr, Records, Vocab, ref_ranks
from matching.score import SEGMENTS

I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]
F64 = npt.NDArray[np.float64]

PLAIN = 4095  # band code meaning "no age band"
# a key's block larger than this is looked up by age band; a banded block larger than
# BAND_CAP is dropped (both as blocking has always used them)
PLAIN_CAP = 600
BAND_CAP = 1500
_SLOTS = 128  # slot numbers (pieces of evidence, see _record_keys) are below this
_PET_SLOT = 92  # the slot of the pet-name key
# kin's names against the child's family name, for a sought child without a family name
# (name slots are token positions, below records.K_NAME = 5)
_NO_FAMILY_SLOT = 7
_CODE_BITS = 62  # bits of a (pair, slot, weight rank) sort code; wider ones take a slower path
_KEY_BITS = 51  # bits of a key value (stable_key): with an age band (x 4096) it fits in 63
# the kinds of key made by _mix, each its own tag
_TAG_PAIR, _TAG_MOTHER, _TAG_FATHER, _TAG_PLACE, _TAG_IDENT, _TAG_PET, _TAG_KIN = range(1, 8)
# the age part of the pre-score, by years apart: <= 1, <= 2, <= 3, <= 5, more
_AGE_STEPS = np.array([1.0, 2.0, 3.0, 5.0])
_AGE_PRESCORE = np.array([2.0, 1.0, 0.0, -1.5, -3.0])
# the sex part, by the two records' sex codes (0 unknown, 1 male, 2 female): row * 3 + column
_SEX_PRESCORE = np.array([0.0, 0.0, 0.0, 0.0, 0.5, -2.5, 0.0, -2.5, 0.5])
_GEO_DEG = 0.3
# Blocking's m for the separation fields, at compare's levels (separation date: <= 3 days,
# <= 15 days, <= 60 days, <= 1 year, more; distance: <= 5, 25, 60, 150 km, more): how one
# child's two records differ in the field ("dates off by days, points tens of km apart"),
# kept broad because blocking cannot take back a pair it drops. With each field's u
# (random pairs) they give log-ratios, like the keys' rarity log(N / block size).
SEP_DATE_M = np.array([0.45, 0.40, 0.10, 0.035, 0.015])
PLACE_M = np.array([0.30, 0.45, 0.17, 0.05, 0.03])
# and for the record dates (compare's two groups, score.SEGMENTS: a record made <= 30
# days, <= 120 days, <= 1 year, later, or before the other's separation; a registration
# and a request <= 30 days, <= 120 days, <= 1 year apart, more). Within a group only:
# which group applies says nothing of the pair, so each group's share of m is u's.
RECORD_DATES_M = np.array([0.50, 0.30, 0.12, 0.05, 0.03, 0.45, 0.35, 0.12, 0.08])
_KM_PER_DEG = 111.2


def stable_key(text: str) -> int:
    """A key's value, the same in every process and every set of records: the store keeps
    the keys of each record (tracing.linkage.block_keys) and real-time matching must meet
    the same blocks as `ftr link`. 51 bits, so that a key with an age band (key * 4096 +
    band) fits in 63; two of a million keys share a value once in ~10,000 stores."""
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> (64 - _KEY_BITS)


def _mix(tag: int, a: I64, b: I64 | int = 0) -> I64:
    """A stable key made of one or two keys (or numbers) and the kind of key it is: a
    splitmix64 finaliser of the three, cut to _KEY_BITS. Two different inputs share a
    value as rarely as two stable_key strings."""
    with np.errstate(over="ignore"):
        x = (
            np.asarray(a, dtype=np.int64).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
            + np.asarray(b, dtype=np.int64).astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
            + np.uint64(tag)
        )
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return np.asarray(x >> np.uint64(64 - _KEY_BITS), dtype=np.int64)


def _token_key_table(v: Vocab) -> I64:
    """(V, 5) stable key values per token: tf key, 3 phonetic codes, skeleton code."""
    cache: dict[str, int] = {}

    def key(text: str) -> int:
        value = cache.get(text)
        if value is None:
            value = cache[text] = stable_key(text)
        return value

    code_of = {number: key("c|" + code) for code, number in v.codes.items()}
    tab = np.empty((len(v.tokens), 5), dtype=np.int64)
    tab[:, 0] = [key("k|" + k) for k in v.tfkey]
    for column, codes in ((1, v.ph[:, 0]), (2, v.ph[:, 1]), (3, v.ph[:, 2]), (4, v.skel)):
        tab[:, column] = [code_of[int(c)] for c in codes]
    return tab


def age_bands(birth: F64) -> tuple[I64, I64]:
    """Each record's two overlapping six-year birth bands (even and odd numbers; -1 where
    no age is known): a large block is looked up within a band."""
    b = np.where(np.isnan(birth), np.nan, birth)
    a = np.floor(b / 6.0)
    c = np.floor((b + 3.0) / 6.0)
    ba = np.where(np.isnan(a), -1, (a.astype(np.float64) % 1000) * 2).astype(np.int64)
    bb = np.where(np.isnan(c), -1, (c.astype(np.float64) % 1000) * 2 + 1).astype(np.int64)
    return ba, bb


def _record_keys(r: Records, tab: I64, sought: bool, parts: IntArr) -> tuple[I64, I64, I64, F64]:
    """All (record, key value, slot, discount) rows of a frame; each kind of key is mixed
    with its own tag (_mix), so that kinds never share a value.

    The slot names the piece of evidence (a name token, a pair of tokens, a parent's
    name token, the place): a pair's pre-score counts each slot once, by its rarest key.
    A compound name token also has its parts' keys, in its own slot (Vocab.part)."""
    rows: list[tuple[I64, I64]] = []
    slots: list[int | I64] = []
    discounts: dict[int, F64] = {}  # by row group: log-odds taken off its keys' rarity
    n = len(r)
    # name tokens, and the parts of compound ones
    for j in range(r.name.shape[1]):
        t = r.name[:, j]
        ok = np.nonzero(t >= 0)[0]
        for k in range(tab.shape[1]):
            rows.append((ok, tab[t[ok], k]))
            slots.append(j)
        for side in (0, 1):
            part = parts[t[ok], side]
            has = part >= 0
            for k in range(tab.shape[1]):
                rows.append((ok[has], tab[part[has], k]))
                slots.append(j)
    # pairs of name tokens (tf keys)
    for j in range(r.name.shape[1]):
        for k in range(j + 1, r.name.shape[1]):
            a, b = r.name[:, j], r.name[:, k]
            ok = np.nonzero((a >= 0) & (b >= 0))[0]
            ka, kb = tab[a[ok], 0], tab[b[ok], 0]
            rows.append((ok, _mix(_TAG_PAIR, np.minimum(ka, kb), np.maximum(ka, kb))))
            slots.append(8 + j * 8 + k)
    # parents (tf keys, separate kinds for mother / father)
    for tag, arr in ((_TAG_MOTHER, r.mother), (_TAG_FATHER, r.father)):
        for j in range(arr.shape[1]):
            t = arr[:, j]
            ok = np.nonzero(t >= 0)[0]
            rows.append((ok, _mix(tag, tab[t[ok], 0])))
            slots.append(72 + (tag == _TAG_FATHER) * 8 + j)
    # geography
    has = ~np.isnan(r.lat)
    idx = np.nonzero(has)[0]
    gy = np.floor(r.lat[idx] / _GEO_DEG).astype(np.int64) + 400
    gx = np.floor(r.lon[idx] / _GEO_DEG).astype(np.int64) + 800
    offsets = (
        [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)] if sought else [(0, 0)]
    )  # the sought side's cell and its neighbours
    for dy, dx in offsets:
        rows.append((idx, _mix(_TAG_PLACE, (gy + dy) * 2000 + (gx + dx))))
        slots.append(90)
    # identifier (exact)
    idx = np.nonzero(r.ident_len > 0)[0]
    if len(idx):
        words = np.ascontiguousarray(r.ident[idx]).view(np.uint64).astype(np.int64)
        h = np.zeros(len(idx), dtype=np.int64)
        for k in range(words.shape[1]):
            h = (h * 1_000_003 + (words[:, k] % (1 << 40))) % (1 << 40)
        rows.append((idx, _mix(_TAG_IDENT, h)))
        slots.append(91)
    # a child known by pet names only (variants.PET_NAMES) may be anyone's: a key per sex
    # (0 unknown, 1, 2) for it, and on the sought side every record holds its own sex's
    # key and the unknown sex's (all three when its own is unknown)
    if sought:
        for sex in (0, 1, 2):
            idx = np.flatnonzero((r.sex == sex) | (r.sex == 0) | (sex == 0))
            rows.append((idx, np.full(len(idx), _mix(_TAG_PET, np.array(sex))[()], dtype=np.int64)))
            slots.append(_PET_SLOT)
    else:
        idx = np.flatnonzero(r.pet_name_only)
        rows.append((idx, _mix(_TAG_PET, r.sex[idx].astype(np.int64))))
        slots.append(_PET_SLOT)
    # names move between fields (issue 17): the sought side's kin (parents, inquirer) meet
    # the child's family-name parts, as when a Sudanese or Somali child's second name is
    # the father's given name, or a help desk took the inquirer's family name for the
    # child's. It is evidence about the family name, so it shares the family name's slot
    # (a spelling of the family name found in both fields counts once), and each
    # of the sought record's kin parts is one more chance of agreeing by accident: the
    # key's rarity is discounted by log(kin parts) (u of "any of k parts" is about k u)
    if sought:
        # a kin part that is one of the sought child's own name parts (Khmer kin share the
        # family name; a Sudanese child carries the father's names) is keyed as a name
        # already: keyed again here, it would count twice
        kin_key = np.where(r.kin >= 0, tab[np.maximum(r.kin, 0), 0], -1)
        name_key = np.where(r.name >= 0, tab[np.maximum(r.name, 0), 0], -2)
        keyed = (kin_key[:, :, None] == name_key[:, None, :]).any(axis=2)
        arr = np.where(keyed, -1, r.kin)
    else:
        arr = np.where(r.name_own, -1, r.name)
    family = (r.name >= 0) & ~r.name_own
    family_slot = np.where(family.any(axis=1), np.argmax(family, axis=1), _NO_FAMILY_SLOT)
    tries = np.log(np.maximum((r.kin >= 0).sum(axis=1), 1)).astype(np.float64)
    for j in range(arr.shape[1]):
        t = arr[:, j]
        ok = np.nonzero(t >= 0)[0]
        # the variant-aware key alone (column 0): the phonetic codes found no more
        # true children here and tripled these keys' blocks
        rows.append((ok, _mix(_TAG_KIN, tab[t[ok], 0])))
        slots.append(family_slot[ok])  # (the child side's slots are not used)
        discounts[len(rows) - 1] = tries[ok]
    recs = np.concatenate([a for a, _ in rows]) if rows else np.zeros(0, np.int64)
    vals = np.concatenate([b for _, b in rows]) if rows else np.zeros(0, np.int64)
    slot = (
        np.concatenate(
            [
                np.broadcast_to(np.asarray(sl, dtype=np.int64), len(a))
                for (a, _), sl in zip(rows, slots, strict=True)
            ]
        )
        if rows
        else np.zeros(0, np.int64)
    )
    discount = (
        np.concatenate(
            [np.broadcast_to(discounts.get(i, 0.0), len(a)) for i, (a, _) in enumerate(rows)]
        )
        if rows
        else np.zeros(0)
    )
    # dedupe (record, value)
    code = recs * 0 + vals
    order = np.lexsort((code, recs))
    recs, vals, slot, discount = recs[order], vals[order], slot[order], discount[order]
    keep = np.ones(len(recs), dtype=bool)
    keep[1:] = (recs[1:] != recs[:-1]) | (vals[1:] != vals[:-1])
    del n
    return recs[keep], vals[keep], slot[keep], discount[keep]


def _expand(s_code: I64, s_rec: I64, c_sorted_code: I64, c_sorted_rec: I64) -> tuple[I64, I64, I64]:
    """Join sought rows with child rows sharing the code; returns (s, c, lens), where
    lens[i] is how many child rows sought row i met (its rows come i-th, in order)."""
    start = np.searchsorted(c_sorted_code, s_code, side="left")
    end = np.searchsorted(c_sorted_code, s_code, side="right")
    lens = end - start
    total = int(lens.sum())
    if total == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e, lens
    s_idx = np.repeat(s_rec, lens)
    offs = np.repeat(start - np.cumsum(lens) + lens, lens) + np.arange(total)
    return s_idx, c_sorted_rec[offs], lens


def _age_sex_prescore(s: BlockNumbers, c: BlockNumbers, ps: I64, pc: I64) -> F64:
    """Cheap evidence beyond the shared keys: ages (birth years) and sex.

    Generic log-ratio-like values: the same child's estimated ages rarely differ by more
    than a few years, and its sex is rarely recorded wrongly."""
    d = np.abs(s.birth[ps] - c.birth[pc])
    age = _AGE_PRESCORE[limits_passed(d, _AGE_STEPS)]
    age[np.isnan(d)] = 0.0
    xs, xc = s.sex[ps], c.sex[pc]
    sex = _SEX_PRESCORE[xs * 3 + xc]
    return np.asarray(age + sex, dtype=np.float64)


@dataclass(frozen=True)
class SeparationWeights:
    """Pre-score terms by level of the separation date, of the distance and of the
    record dates (see SEP_DATE_M).

    Never increasing with the gap (a u that happens to dip must not reward a larger one).
    The distance only ever subtracts: a shared place cell is a key already."""

    sep_date: F64
    place: F64
    record_dates: F64

    @classmethod
    def from_u(cls, u_sep_date: F64, u_place: F64, u_record_dates: F64) -> SeparationWeights:
        sep = np.minimum.accumulate(np.log(SEP_DATE_M / np.asarray(u_sep_date)))
        place = np.minimum.accumulate(np.log(PLACE_M / np.asarray(u_place)))
        u_rec = np.asarray(u_record_dates, dtype=np.float64)
        rec = np.zeros(len(RECORD_DATES_M))
        for lo, hi in SEGMENTS["record_dates"]:
            m = RECORD_DATES_M[lo:hi] * u_rec[lo:hi].sum()
            rec[lo:hi] = np.minimum.accumulate(np.log(m / u_rec[lo:hi]))
        return cls(sep, np.minimum(place, 0.0), rec)

    @classmethod
    def estimate(cls, s: Records, c: Records, n_pairs: int = 20_000) -> SeparationWeights:
        """From the u of random pairs (seeded: the same records give the same weights)."""
        rng = np.random.default_rng(0)
        ps = rng.integers(0, max(len(s), 1), n_pairs)
        pc = rng.integers(0, max(len(c), 1), n_pairs)
        if not len(s) or not len(c):
            ps = pc = np.zeros(0, dtype=np.int64)
        levels = _separation_levels(s, c, ps, pc)
        u = []
        for lv, k in zip(levels, (len(SEP_DATE_M), len(PLACE_M), len(RECORD_DATES_M)), strict=True):
            counts = np.bincount(lv[lv >= 0], minlength=k).astype(np.float64)
            u.append((counts + 1.0) / (counts.sum() + len(counts)))
        return cls.from_u(u[0], u[1], u[2])


def _separation_levels(s: BlockNumbers, c: BlockNumbers, ps: I64, pc: I64) -> tuple[I8, I8, I8]:
    """Levels of the separation date, distance and record dates, as compare gives them
    (-1: unknown).

    The distance is the flat-earth one: within a percent of the great circle at these
    ranges, and a few multiplications where trigonometry on every pair would cost more."""
    days = np.abs(s.sep[ps] - c.sep[pc]) * 365.25
    dlat = s.lat[ps] - c.lat[pc]
    dlon = (s.lon[ps] - c.lon[pc]) * np.cos(np.radians(s.lat))[ps]
    km = np.sqrt(dlat * dlat + dlon * dlon) * _KM_PER_DEG
    return (
        sep_date_levels(days),
        distance_levels(km),
        record_date_levels(s, c, ps, pc),
    )


def _separation_prescore(
    s: BlockNumbers, c: BlockNumbers, ps: I64, pc: I64, w: SeparationWeights
) -> F64:
    lv_sep, lv_place, lv_rec = _separation_levels(s, c, ps, pc)
    # each table ends in a 0 that level -1 (unknown) picks
    return np.asarray(
        np.append(w.sep_date, 0.0)[lv_sep]
        + np.append(w.place, 0.0)[lv_place]
        + np.append(w.record_dates, 0.0)[lv_rec],
        dtype=np.float64,
    )


@dataclass(frozen=True)
class SoughtCodes:
    """The sought side's key rows as blocking looks them up, sorted by record: each key
    alone (``PLAIN``) where the children's block is small, with the record's age bands
    where it is large (a block still too large is dropped), its slot (the piece of
    evidence) and its weight, the rarity of its block."""

    rec: I64
    code: I64
    slot: I64
    weight: F64

    def rows_of(self, lo: int, hi: int) -> slice:
        """The rows of sought records lo .. hi - 1."""
        a, b = np.searchsorted(self.rec, [lo, hi])
        return slice(int(a), int(b))


def band_codes(val: I64, birth: F64) -> tuple[I64, I64, I64]:
    """Each key's plain code and its two age-band codes (-1: no age known)."""
    ba, bb = age_bands(birth)
    return (
        val * 4096 + PLAIN,
        np.where(ba >= 0, val * 4096 + ba, -1),
        np.where(bb >= 0, val * 4096 + bb, -1),
    )


def child_codes(c: Records, c_rec: I64, c_val: I64) -> tuple[I64, I64]:
    """(codes, records) of the child side, sorted by code: every key plain and banded."""
    plain, band_a, band_b = band_codes(c_val, c.birth[c_rec])
    codes = np.concatenate([plain, band_a, band_b])
    recs = np.concatenate([c_rec, c_rec, c_rec])
    ok = codes >= 0
    codes, recs = codes[ok], recs[ok]
    order = np.argsort(codes, kind="stable")
    return codes[order], recs[order]


def sought_codes(
    s: BlockNumbers,
    keys: tuple[I64, I64, I64, F64],
    plain_size: Callable[[I64], I64],
    banded_size: Callable[[I64], I64],
    n_children: int,
    *,
    plain_cap: int = PLAIN_CAP,
    band_cap: int = BAND_CAP,
) -> SoughtCodes:
    """The codes the sought records look up, given the children's block sizes:
    ``plain_size(keys)`` and ``banded_size(codes)`` count the children holding each (a
    count may stop just past its cap: only smaller ones are used as they are), among
    ``n_children``."""
    s_rec, s_val, s_slot, s_disc = keys
    s_size = plain_size(s_val)
    # the pet-name key always with an age band (a pet name is a small child's)
    pet_key = s_slot == _PET_SLOT
    plain = (s_size > 0) & (s_size <= plain_cap) & ~pet_key
    big = (s_size > plain_cap) | (pet_key & (s_size > 0))
    code_plain, code_a, code_b = band_codes(s_val, s.birth[s_rec])
    s_codes = np.concatenate(
        [np.where(plain, code_plain, -1), np.where(big, code_a, -1), np.where(big, code_b, -1)]
    )
    s_recs3 = np.concatenate([s_rec, s_rec, s_rec])
    s_slot3 = np.concatenate([s_slot, s_slot, s_slot])
    s_disc3 = np.concatenate([s_disc, s_disc, s_disc])
    ok = s_codes >= 0
    s_codes, s_recs3, s_slot3, s_disc3 = s_codes[ok], s_recs3[ok], s_slot3[ok], s_disc3[ok]
    # a plain code's block is the key's; drop banded blocks that are still too large
    banded = (s_codes & 4095) != PLAIN
    bsize = np.where(banded, 0, np.concatenate([s_size, s_size, s_size])[ok]).astype(np.int64)
    if banded.any():
        bsize[banded] = banded_size(s_codes[banded])
    keep = (bsize > 0) & np.where(banded, bsize <= band_cap, True)
    s_codes, s_recs3, bsize = s_codes[keep], s_recs3[keep], bsize[keep]
    s_slot3, s_disc3 = s_slot3[keep], s_disc3[keep]
    nc = max(n_children, 1)
    # (a discounted key no rarer than its chances of agreeing by accident tells nothing)
    s_w = np.maximum(np.log(nc / bsize.astype(np.float64)) + 0.1 - s_disc3, 0.0)
    # being known by pet names only is no evidence of being the child: the age, sex and
    # separation terms rank such candidates, not the rarity of their block
    s_w[s_slot3 == _PET_SLOT] = 0.1
    # sought key rows by record, so that a chunk of sought children is one slice
    by_rec = np.argsort(s_recs3, kind="stable")
    return SoughtCodes(s_recs3[by_rec], s_codes[by_rec], s_slot3[by_rec], s_w[by_rec])


def key_scores(
    si: I64, ci: I64, lens: I64, codes: SoughtCodes, rows: slice, lo: int, nc: int
) -> tuple[I64, I64, F64]:
    """(sought, child, score) of each pair met through the key rows ``rows`` of
    ``codes`` (``si``, ``ci``: one row per child met, ``lens[i]`` of them for key row i,
    in order, as _expand gives them; sought records from ``lo``, children below ``nc``):
    each slot counts once per pair, with its rarest shared key, and the slots add up."""
    # each matching row carries the weight and slot of its sought key row; weights
    # ranked on the sought key rows (few), then carried to their matching rows
    weights, w_rank = np.unique(-codes.weight[rows], return_inverse=True)
    w_rank = np.repeat(w_rank.reshape(-1), lens)
    sl = np.repeat(codes.slot[rows], lens)
    # one sort of (pair, slot, weight rank) codes puts each (pair, slot)'s largest weight
    # first
    pair_slot = ((si - lo) * nc + ci) * _SLOTS + sl
    shift = max(int(len(weights) - 1).bit_length(), 1)
    if int(pair_slot.max()).bit_length() + shift <= _CODE_BITS:
        code = np.sort((pair_slot << shift) | w_rank)
        pair_slot = code >> shift
        starts = np.flatnonzero(np.r_[True, pair_slot[1:] != pair_slot[:-1]])
        best = -weights[code[starts] & ((1 << shift) - 1)]
    else:  # codes too wide for one integer: sort the pair-slot codes, then take maxima
        o = np.argsort(pair_slot)
        pair_slot = pair_slot[o]
        starts = np.flatnonzero(np.r_[True, pair_slot[1:] != pair_slot[:-1]])
        best = -weights[np.minimum.reduceat(w_rank[o], starts)]
    pair = pair_slot[starts] // _SLOTS
    new_pair = np.r_[True, pair[1:] != pair[:-1]]
    up = pair[new_pair]
    inv = np.cumsum(new_pair) - 1
    score = np.asarray(np.bincount(inv, weights=best, minlength=len(up)), dtype=np.float64)
    return up // nc + lo, up % nc, score


def prescore(
    s: BlockNumbers, c: BlockNumbers, ps: I64, pc: I64, separation: SeparationWeights
) -> F64:
    """The pre-score's terms beyond the shared keys: age, sex and the separation."""
    return _age_sex_prescore(s, c, ps, pc) + _separation_prescore(s, c, ps, pc, separation)


@dataclass(frozen=True)
class BlockProfile:
    """The store's copy of records' BlockNumbers (models.blocking), with their refs."""

    ref: npt.NDArray[np.object_]
    sex: npt.NDArray[np.int8]
    birth: F64
    sep: F64
    sep_month: npt.NDArray[np.bool_]
    day: F64
    lat: F64
    lon: F64

    def __len__(self) -> int:
        return len(self.ref)


def pet_keys() -> I64:
    """The values of the pet-name keys (one per sex code): always met within an age band."""
    return np.array([int(_mix(_TAG_PET, np.array(sex))[()]) for sex in (0, 1, 2)], dtype=np.int64)


def block_keys(v: Vocab, r: Records, sought: bool) -> tuple[I64, I64, I64, F64]:
    """(record, key value, slot, discount) rows of a frame's records (stable values)."""
    return _record_keys(r, _token_key_table(v), sought, v.part)


def in_memory_sizes(c_val: I64, c_codes: I64) -> tuple[Callable[[I64], I64], Callable[[I64], I64]]:
    """``plain_size`` and ``banded_size`` (see sought_codes) counted on these children's
    keys and codes."""

    def counter(values: I64) -> Callable[[I64], I64]:
        uval, cnt = np.unique(values, return_counts=True)

        def size_of(vals: I64) -> I64:
            if not len(uval):
                return np.zeros(len(vals), dtype=np.int64)
            pos = np.searchsorted(uval, vals).clip(0, len(uval) - 1)
            return np.where(uval[pos] == vals, cnt[pos], 0).astype(np.int64)

        return size_of

    return counter(c_val), counter(c_codes)


def candidate_pairs(
    v: Vocab,
    s: Records,
    c: Records,
    *,
    max_per_sought: int = 300,
    plain_cap: int = PLAIN_CAP,
    band_cap: int = BAND_CAP,
    chunk: int = 40,
    c_ref_rank: npt.NDArray[np.integer[Any]] | None = None,
    separation: SeparationWeights | None = None,
) -> tuple[IntArr, IntArr, F64]:
    """Candidate pairs (sought index, child index, pre-score), sorted by sought child, then
    pre-score (descending), then the child's ref (``c_ref_rank``: each child's place in the
    order of refs, computed here when not given).

    ``separation``: the separation date and distance terms, from a fitted model's u; when
    not given, estimated from random pairs of these records."""
    if separation is None:
        separation = SeparationWeights.estimate(s, c)
    tab = _token_key_table(v)
    s_keys = _record_keys(s, tab, True, v.part)
    c_rec, c_val, _c_slot, _c_disc = _record_keys(c, tab, False, v.part)
    nc = max(len(c), 1)
    c_codes, c_recs3 = child_codes(c, c_rec, c_val)
    plain_size, banded_size = in_memory_sizes(c_val, c_codes)
    codes = sought_codes(
        s, s_keys, plain_size, banded_size, len(c), plain_cap=plain_cap, band_cap=band_cap
    )
    if c_ref_rank is None:
        c_ref_rank = ref_ranks(c.ref)
    ns = len(s)

    def one_chunk(lo: int) -> tuple[I64, I64, F64]:
        """The best candidates of sought children lo .. lo + chunk - 1."""
        m = codes.rows_of(lo, min(ns, lo + chunk))
        si, ci, lens = _expand(codes.code[m], codes.rec[m], c_codes, c_recs3)
        if len(si) == 0:
            return si, ci, np.zeros(0)
        ps, pc, score = key_scores(si, ci, lens, codes, m, lo, nc)
        score += prescore(s, c, ps, pc, separation)
        best_k = best_per_group(ps, score, c_ref_rank[pc], max_per_sought)
        return ps[best_k], pc[best_k], score[best_k]

    parts = [p for p in map_chunks(one_chunk, range(0, ns, chunk)) if len(p[0])]
    out_s = [p[0] for p in parts]
    out_c = [p[1] for p in parts]
    out_w = [p[2] for p in parts]
    if not out_s:
        e = np.zeros(0, dtype=np.int32)
        return e, e, np.zeros(0)
    return (
        np.concatenate(out_s).astype(np.int32),
        np.concatenate(out_c).astype(np.int32),
        np.concatenate(out_w),
    )
