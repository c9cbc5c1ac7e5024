"""Comparison levels per field, vectorised over candidate pairs (Splink-like).

Every field maps a pair to a level index (0 = strongest agreement) or -1 when the
field is missing on either side.  Name-like fields also yield the log term frequency
of the agreeing value(s), used for term-frequency adjustment in :mod:`matching.score`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from matching.parallel import map_chunks
from matching.records import BlockNumbers, IntArr, Records, Vocab

FloatArr = npt.NDArray[np.float64]
LevelArr = npt.NDArray[np.int8]
BoolArr = npt.NDArray[np.bool_]
IndexArr = npt.NDArray[np.integer[Any]]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    levels: tuple[str, ...]
    family: bool  # shared by siblings (same family) as much as by the child itself
    tf: bool = False  # term-frequency adjusted on its agreeing levels
    # evidence against the sibling alternative only: its match weight stays 0 (m = u),
    # where another field already counts the same agreement for the match
    sibling_only: bool = False


_AGE_LEVELS = ("<=1y", "<=2y", "<=3y", "<=5y", ">5y")
_PARENT_LEVELS = (
    "2+ parts agree",
    "1 part agrees",
    "similar",
    "different",
    "one side only: in the other's name",
    "one side only: not in the other's name",
)
FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "name",
        (
            "3+ parts agree",
            "2 parts agree",
            "1 part agrees + 1 similar",
            "the given name agrees",
            "1 part agrees",
            "similar only",
            "no part agrees",
        ),
        family=False,
        tf=True,
    ),
    # name parts left over, in two groups by how many parts agree (the group is set by the
    # name level, and only the split within the group is evidence: see score.SEGMENTS)
    FieldSpec(
        "name_conflict",
        (
            "none (2+ agree)",
            "1+ parts differ (2+ agree)",
            "none",
            "1 part differs",
            "2+ parts differ",
        ),
        family=False,
    ),
    FieldSpec(
        "age",
        tuple("young " + a for a in _AGE_LEVELS) + tuple("older " + a for a in _AGE_LEVELS),
        family=False,
    ),
    FieldSpec(
        "dob",
        ("same date", "same month", "same year", "1 year apart", "2-3 years apart", "4+ years"),
        family=False,
    ),
    FieldSpec("sex", ("same", "different"), family=False),
    # a parent named on one record only is looked for among the other record's own names
    # (a Sudanese child carries the father's and grandfather's names, a Khmer child often
    # the father's family name): two levels of their own (see score.SEGMENTS)
    FieldSpec("mother", _PARENT_LEVELS, family=True, tf=True),
    FieldSpec("father", _PARENT_LEVELS, family=True, tf=True),
    FieldSpec("place", ("<=5km", "<=25km", "<=60km", "<=150km", ">150km"), family=True),
    FieldSpec("place_name", ("2+ parts agree", "1 part agrees", "different"), family=True),
    FieldSpec("sep_date", ("<=3d", "<=15d", "<=60d", "<=1y", ">1y"), family=True),
    FieldSpec("language", ("same", "different"), family=True),
    FieldSpec("identifier", ("same", "1-2 characters differ", "different"), family=False),
    # where a separation date is missing, the dates the records were made: a child is
    # registered, and a request filed, after the separation, mostly within weeks (two
    # groups: a separation date against the other's record date, or both record dates)
    FieldSpec(
        "record_dates",
        (
            "recorded 0-30 days after the other's separation",
            "recorded 31-120 days after",
            "recorded 4-12 months after",
            "recorded over a year after",
            "recorded before the other's separation",
            "registered and sought within 30 days",
            "registered and sought within 120 days",
            "registered and sought within a year",
            "registered and sought over a year apart",
        ),
        family=True,
    ),
    # whether the part that agrees is the child's own name (see compare)
    FieldSpec(
        "own_name",
        (
            "own name agrees (2+ agree)",
            "only family names agree (2+ agree)",
            "own name agrees",
            "only a family name agrees",
        ),
        family=False,
        sibling_only=True,
    ),
)
FIELD_INDEX = {f.name: i for i, f in enumerate(FIELDS)}
OWN_NAME = FIELD_INDEX["own_name"]
TF_FIELDS = ("name", "mother", "father")

# token-pair levels
T_EXACT, T_VARIANT, T_PHONETIC, T_FUZZY, T_NONE = 5, 4, 3, 2, 0


def token_pair_levels(v: Vocab, ta: IntArr, tb: IntArr) -> LevelArr:
    """Level of each token pair ``(ta[k], tb[k])``; both are valid token ids."""
    rep = v.rep
    ra, rb = rep[ta], rep[tb]
    lvl = np.zeros(len(ta), dtype=np.int8)
    typo = (ra == rb) | (ra == tb) | (ta == rb)  # a typo representative in common
    # one token is a part of the other (Mengdara / Dara): similar
    # a column at a time: gathering (n, 2) rows is five times slower than two columns
    pr0, pr1 = v.part_rep[:, 0], v.part_rep[:, 1]
    part = (pr0[ta] == rb) | (pr1[ta] == rb) | (pr0[tb] == ra) | (pr1[tb] == ra)
    lvl[typo | part] = T_FUZZY
    ph = v.ph
    p0a, p1a, p2a = ph[:, 0][ta], ph[:, 1][ta], ph[:, 2][ta]
    p0b, p1b, p2b = ph[:, 0][tb], ph[:, 1][tb], ph[:, 2][tb]
    skel, skv = v.skel, v.skv
    phon = (p0a == p0b) | (p0a == p1b) | (p1a == p0b) | (p2a == p2b)
    # the same consonants, vowels written otherwise (Kunthea / Kntha from Khmer script)
    phon |= skel[ta] == skel[tb]
    # a short code is shared by names that sound nothing alike (Bopha / Pov: PF, Mao /
    # Mey: M): a code or skeleton alone counts only between spellings not far apart
    check = np.flatnonzero(phon & (ra != rb))
    phon[check] = v.spellings_close(ta[check], tb[check])
    phon |= skv[ta] == skel[tb]
    phon |= skel[ta] == skv[tb]
    lvl[phon | (typo & v.typo_strong[ta] & v.typo_strong[tb])] = T_PHONETIC
    g0a, g1a = v.grp[:, 0][ta], v.grp[:, 1][ta]
    g0b, g1b = v.grp[:, 0][tb], v.grp[:, 1][tb]
    var = (g0a >= 0) & ((g0a == g0b) | (g0a == g1b) | ((g1a >= 0) & ((g1a == g0b) | (g1a == g1b))))
    lvl[var] = T_VARIANT
    lvl[ta == tb] = T_EXACT
    return lvl


def _valid_pairs(a: IntArr, b: IntArr) -> tuple[npt.NDArray[np.intp], IntArr, IntArr]:
    """Flat positions in (P, Ka, Kb) where both tokens are present, and the two tokens."""
    Ka = a.shape[1]
    Kb = b.shape[1]
    valid = (a[:, :, None] >= 0) & (b[:, None, :] >= 0)
    flat = np.flatnonzero(valid)
    # a[p, i] and b[p, j] laid out as (P, Ka, Kb), then picked: cheaper than dividing
    # the flat positions back into (p, i, j)
    ta = np.repeat(a, Kb, axis=1).reshape(-1)[flat]
    tb = np.tile(b, (1, Ka)).reshape(-1)[flat]
    return flat, ta, tb


# A bulk pass meets each token pair many times (31 million token pairs, 0.6 million
# distinct, over a 2,200-token vocabulary at 20,000 x 5,000): where the vocabulary is small
# enough, every pair's level is computed once into a table (at most 16 MB) and looked up.
_TABLE_MAX_TOKENS = 4096


def _level_table(v: Vocab) -> LevelArr:
    """(V + 1, V + 1): the level of every token pair; the last row and column (where a
    missing token, -1, points) are -1."""
    with v.level_table_lock:  # threads of one pass share one table
        if v.level_table is None:
            n = len(v.tokens)
            table = np.full((n + 1, n + 1), -1, dtype=np.int8)
            ids = np.arange(n, dtype=np.int32)
            for lo in range(0, n, 256):  # a block of rows at a time: bounded memory
                rows = ids[lo : lo + 256]
                ta, tb = np.repeat(rows, n), np.tile(ids, len(rows))
                table[lo : lo + len(rows), :n] = token_pair_levels(v, ta, tb).reshape(-1, n)
            v.level_table = table
        return v.level_table


def token_levels(v: Vocab, a: IntArr, b: IntArr) -> LevelArr:
    """Level of every token pair: a (P, Ka) against b (P, Kb) -> (P, Ka, Kb), -1 = absent."""
    n = len(v.tokens)
    if n == 0:
        return np.full((a.shape[0], a.shape[1], b.shape[1]), -1, dtype=np.int8)
    # the table is built once the pairs compared outnumber the vocabulary's pairs: it then
    # costs at most what has been spent without it (a small session never builds it)
    if v.level_table is None and n <= _TABLE_MAX_TOKENS:
        v.pairs_compared += a.shape[0] * a.shape[1] * b.shape[1]  # a race only delays it
        if v.pairs_compared >= n * n:
            _level_table(v)
    if v.level_table is not None:
        return np.asarray(v.level_table[a[:, :, None], b[:, None, :]], dtype=np.int8)
    lvl = np.full((a.shape[0], a.shape[1], b.shape[1]), -1, dtype=np.int8)
    flat, ta, tb = _valid_pairs(a, b)
    lvl.reshape(-1)[flat] = token_pair_levels(v, ta, tb)
    return lvl


@dataclass
class TFTables:
    """Record frequencies of name keys (fitted; saved with the model)."""

    n: int
    name: dict[str, int]
    mother: dict[str, int]
    father: dict[str, int]
    name_pairs: dict[str, int]
    _by_first: dict[str, dict[str, int]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def pairs_by_first(self) -> dict[str, dict[str, int]]:
        """``name_pairs`` indexed by the pair's first key (built once: the tables are
        fitted and then only read)."""
        if self._by_first is None:
            index: dict[str, dict[str, int]] = {}
            for pair, count in self.name_pairs.items():
                first, _, second = pair.partition("|")
                index.setdefault(first, {})[second] = count
            self._by_first = index
        return self._by_first

    @staticmethod
    def count(vocab: Vocab, recs: list[Records]) -> TFTables:
        """Count, over the records, those holding each key (once a record, whatever its
        tokens sharing the key) and each pair of keys among the name tokens."""
        keys = sorted(set(vocab.tfkey))  # key ids in the keys' text order, as the pairs'
        kid = {k: i for i, k in enumerate(keys)}
        # token id -> key id; the trailing -1 is what a missing token (-1) picks
        key_of = np.array([*(kid[k] for k in vocab.tfkey), -1], dtype=np.int64)
        counts = {
            attr: np.zeros(len(keys), dtype=np.int64) for attr in ("name", "mother", "father")
        }
        pair_codes: list[npt.NDArray[np.int64]] = []
        for r in recs:
            for attr, total in counts.items():
                # each record's keys in order, a repeat (or a missing token) as -1
                k = np.sort(key_of[getattr(r, attr)], axis=1)
                k[:, 1:][k[:, 1:] == k[:, :-1]] = -1
                total += np.bincount(k[k >= 0], minlength=len(keys))
                if attr == "name":  # the keys left are still in order along each row
                    for i in range(k.shape[1]):
                        for j in range(i + 1, k.shape[1]):
                            ok = (k[:, i] >= 0) & (k[:, j] >= 0)
                            pair_codes.append(k[ok, i] * len(keys) + k[ok, j])
        codes = np.concatenate(pair_codes) if pair_codes else np.zeros(0, dtype=np.int64)
        ucodes, ucount = np.unique(codes, return_counts=True)
        often = ucount >= 2

        def table(total: npt.NDArray[np.int64]) -> dict[str, int]:
            return {keys[i]: int(total[i]) for i in np.flatnonzero(total)}

        return TFTables(
            n=sum(len(r) for r in recs),
            name=table(counts["name"]),
            mother=table(counts["mother"]),
            father=table(counts["father"]),
            name_pairs={
                keys[c // len(keys)] + "|" + keys[c % len(keys)]: int(n)
                for c, n in zip(ucodes[often].tolist(), ucount[often].tolist(), strict=True)
            },
        )


@dataclass
class TFArrays:
    """TF tables aligned to a session vocabulary."""

    log_name: FloatArr
    log_mother: FloatArr
    log_father: FloatArr
    key_id: IntArr
    pair_codes: npt.NDArray[np.int64]
    pair_logf: FloatArr
    n_keys: int

    @staticmethod
    def build(vocab: Vocab, tf: TFTables) -> TFArrays:
        n = max(tf.n, 1)

        def logs(table: dict[str, int]) -> FloatArr:
            return np.log(
                (np.array([table.get(k, 0) for k in vocab.tfkey], dtype=np.float64) + 0.5) / n
            )

        kidx: dict[str, int] = {}
        key_id = np.array([kidx.setdefault(k, len(kidx)) for k in vocab.tfkey], dtype=np.int32)
        nk = max(len(kidx), 1)
        first: list[int] = []
        second: list[int] = []
        counts: list[int] = []
        # only the pairs among this session's keys: a few records need not walk the table
        by_first = tf.pairs_by_first()
        for k1, i1 in kidx.items():
            partners = by_first.get(k1)
            if not partners:
                continue
            # a set intersection walks the shorter side, in C: a common name has
            # thousands of partners, a session a few thousand keys
            common = partners.keys() & kidx.keys()
            first.extend([i1] * len(common))
            second.extend(map(kidx.__getitem__, common))
            counts.extend(map(partners.__getitem__, common))
        i1s = np.array(first, dtype=np.int64)
        i2s = np.array(second, dtype=np.int64)
        codes = np.minimum(i1s, i2s) * nk + np.maximum(i1s, i2s)
        vals = np.log((np.array(counts, dtype=np.float64) + 0.5) / n)
        order = np.argsort(codes)
        return TFArrays(
            log_name=logs(tf.name),
            log_mother=logs(tf.mother),
            log_father=logs(tf.father),
            key_id=key_id,
            pair_codes=codes[order],
            pair_logf=vals[order],
            n_keys=nk,
        )


@dataclass
class Comparison:
    """Levels of every field for a set of pairs, plus TF log-frequencies."""

    levels: LevelArr  # (P, F), -1 = null
    tf_logu: FloatArr  # (P, len(TF_FIELDS)), log of the value-specific u; NaN = none


_Scalar = TypeVar("_Scalar", bound=np.generic)


def _max_over(x: npt.NDArray[_Scalar], axis: int) -> npt.NDArray[_Scalar]:
    """``x.max(axis)`` over a short axis of a 3-d array, one slice at a time (numpy
    reduces a short inner axis several times slower)."""
    parts = [x[:, k, :] if axis == 1 else x[:, :, k] for k in range(x.shape[axis])]
    out = parts[0].copy()
    for part in parts[1:]:
        np.maximum(out, part, out=out)
    return out


def _count_rows(mask: npt.NDArray[np.bool_]) -> IntArr:
    """``mask.sum(axis=1)`` for a short second axis, one column at a time."""
    out = np.zeros(mask.shape[0], dtype=np.int32)
    for k in range(mask.shape[1]):
        out += mask[:, k]
    return out


def _two_smallest(lf: FloatArr) -> tuple[FloatArr, FloatArr, IntArr]:
    """Per row, the smallest and second smallest value and their columns, ties to the
    lower column (a stable sort's first two); the second is inf with one column."""
    n, k = lf.shape
    m1, i1 = lf[:, 0].copy(), np.zeros(n, dtype=np.int32)
    if k == 1:
        return m1, np.full(n, np.inf), np.stack([i1, i1], 1)
    m2, i2 = lf[:, 1].copy(), np.ones(n, dtype=np.int32)
    swap = m2 < m1
    m1, m2 = np.where(swap, m2, m1), np.where(swap, m1, m2)
    i1, i2 = np.where(swap, 1, 0).astype(np.int32), np.where(swap, 0, 1).astype(np.int32)
    for j in range(2, k):
        x = lf[:, j]
        below1 = x < m1
        below2 = ~below1 & (x < m2)
        m2 = np.where(below1, m1, np.where(below2, x, m2))
        i2 = np.where(below1, i1, np.where(below2, j, i2)).astype(np.int32)
        m1 = np.where(below1, x, m1)
        i1 = np.where(below1, j, i1).astype(np.int32)
    return m1, m2, np.stack([i1, i2], 1)


def _bag_summary(
    lvl: LevelArr,
    logf_a: FloatArr,
    uncounted_a: npt.NDArray[np.bool_] | None = None,
    uncounted_b: npt.NDArray[np.bool_] | None = None,
) -> tuple[IntArr, IntArr, IntArr, IntArr, FloatArr, FloatArr, IntArr]:
    """Summaries of a token-level matrix (P, Ka, Kb).

    Returns n_strong, n_fuzzy, unmatched_a, unmatched_b, two rarest log-frequencies of
    strongly agreeing tokens (inf if none) and the index of the rarest token on side a.
    ``uncounted_a`` / ``uncounted_b`` (P, Ka) / (P, Kb): tokens that never count as
    unmatched.
    """
    best_a = _max_over(lvl, 2)
    best_b = _max_over(lvl, 1)
    sa = _count_rows(best_a >= T_PHONETIC)
    sb = _count_rows(best_b >= T_PHONETIC)
    fa = _count_rows(best_a >= T_FUZZY)
    fb = _count_rows(best_b >= T_FUZZY)
    n_strong = np.minimum(sa, sb)
    n_fuzzy = (np.minimum(fa, fb) - n_strong).clip(0)
    left_a = (best_a >= 0) & (best_a < T_FUZZY)
    left_b = (best_b >= 0) & (best_b < T_FUZZY)
    un_a = _count_rows(left_a if uncounted_a is None else left_a & ~uncounted_a)
    un_b = _count_rows(left_b if uncounted_b is None else left_b & ~uncounted_b)
    lf = np.where(best_a >= T_PHONETIC, logf_a, np.inf)
    lf1, lf2, idx = _two_smallest(lf)
    return n_strong, n_fuzzy, un_a, un_b, lf1, lf2, idx


def _rarest_agreeing(lvl: LevelArr, lf_a: FloatArr, lf_b: FloatArr) -> FloatArr:
    """(P, Ka): per token of side a, the smallest over its agreeing (same value or listed
    variant) tokens of b of the larger of both log-frequencies; inf when none agrees."""
    out = np.full(lf_a.shape, np.inf)
    for j in range(lvl.shape[2]):
        agree = lvl[:, :, j] >= T_VARIANT
        np.minimum(out, np.where(agree, np.maximum(lf_a, lf_b[:, j, None]), np.inf), out=out)
    return out


def _pair_logf(tfa: TFArrays, ka: IntArr, kb: IntArr) -> FloatArr:
    lo = np.minimum(ka, kb).astype(np.int64)
    hi = np.maximum(ka, kb).astype(np.int64)
    codes = lo * tfa.n_keys + hi
    out = np.full(len(codes), -np.inf)
    if len(tfa.pair_codes):
        pos = np.searchsorted(tfa.pair_codes, codes).clip(0, len(tfa.pair_codes) - 1)
        hit = tfa.pair_codes[pos] == codes
        out[hit] = tfa.pair_logf[pos[hit]]
    return out


def _token_logf(log_tab: FloatArr, toks: IntArr) -> FloatArr:
    return np.where(toks >= 0, log_tab[np.where(toks >= 0, toks, 0)], np.inf)


def _is_pet(v: Vocab, toks: IntArr) -> npt.NDArray[np.bool_]:
    """Which tokens of a (P, K) array are pet names (absent ones are not)."""
    return np.asarray(np.append(v.pet, False)[toks], dtype=np.bool_)  # -1 picks the False


def _left_in_kin(v: Vocab, lvl: LevelArr, names: IntArr, kin: IntArr, axis: int) -> BoolArr:
    """(P, K): which of one side's name parts, agreeing with none of the other side's
    name parts, sound like a name part of the other side's kin (``lvl`` is the name
    parts' (P, Ka, Kb) levels, ``axis`` the other side's axis)."""
    left = (names >= 0) & (_max_over(lvl, axis) < T_FUZZY)
    has_kin: BoolArr = np.asarray((kin >= 0).any(axis=1), dtype=np.bool_)
    left &= has_kin[:, None]
    out = np.zeros(names.shape, dtype=bool)
    for j in range(names.shape[1]):  # only the parts left over (a few) meet the kin
        rows = np.flatnonzero(left[:, j])
        if len(rows):
            levels = token_levels(v, names[rows, j : j + 1], kin[rows])[:, 0, :]
            out[rows, j] = levels.max(axis=1) >= T_PHONETIC
    return out


def _parent_in_names(v: Vocab, parent: IntArr, names: IntArr) -> IntArr:
    """How many of a parent's name parts stand among the other record's own names."""
    return _count_rows(_max_over(token_levels(v, parent, names), 2) >= T_PHONETIC)


def compare(v: Vocab, tfa: TFArrays, s: Records, c: Records, si: IntArr, ci: IntArr) -> Comparison:
    """Compare sought records ``s[si]`` with child records ``c[ci]`` (equal-length index arrays)."""
    P = len(si)
    F = len(FIELDS)
    levels = np.full((P, F), -1, dtype=np.int8)
    tf_logu = np.full((P, len(TF_FIELDS)), np.nan)
    if P == 0:
        return Comparison(levels, tf_logu)

    # --- names: bag of tokens ----------------------------------------------------------
    an, bn = s.name[si], c.name[ci]
    lvl = token_levels(v, an, bn)
    # a pet name (Pov "the youngest", the familiar prefix Ah) is what many families call a
    # small child: two records that share one are alike, not in agreement on a name
    pets = _is_pet(v, an)[:, :, None] | _is_pet(v, bn)[:, None, :]
    np.minimum(lvl, np.where(pets, T_FUZZY, T_EXACT).astype(np.int8), out=lvl)
    # frequency of an agreeing token: the larger of both sides' key frequencies
    # a value's own frequency tells only for the same value (or a listed variant): two
    # tokens that merely sound alike agree far more often than either token's frequency
    pair_lf = _rarest_agreeing(lvl, _token_logf(tfa.log_name, an), _token_logf(tfa.log_name, bn))
    # a pet name (Pov, Toch) left over is what the family calls the child, not a name
    # part that contradicts the other record's (Mey and Vy are given names too; counting
    # them as pet names here ranked and calibrated better on both of the bench's seeds)
    # names move between fields: a part left over on one side that is a name of the other
    # side's kin (the father's given name as a Sudanese or Somali child's second name, the
    # family name the help desk took from the inquirer) is not a part the records dispute
    kin_a = _left_in_kin(v, lvl, an, c.kin[ci], axis=2)
    kin_b = _left_in_kin(v, lvl, bn, s.kin[si], axis=1)
    ns, nf, ua, ub, lf1, lf2, idx = _bag_summary(
        lvl, pair_lf, _is_pet(v, an) | kin_a, _is_pet(v, bn) | kin_b
    )
    has = (an >= 0).any(axis=1) & (bn >= 0).any(axis=1)
    # a child known by pet names only (Pov, Toch) may be anyone's: where no name agrees
    # nor is similar, the names are not compared rather than different
    has &= ~((s.pet_name_only[si] | c.pet_name_only[ci]) & (ns == 0) & (nf == 0))
    # which parts agree: the child's own name (a given or other name, on both sides) or
    # only a family name, which kin share (and in patronymic naming is the father's given
    # name). One part agreeing says more when it is the child's own name
    own = lvl >= T_PHONETIC
    own &= s.name_own[si][:, :, None]
    own &= c.name_own[ci][:, None, :]
    own_agrees = _count_rows(_max_over(own, 2)) > 0
    name_lvl = np.select(
        [ns >= 3, ns == 2, (ns == 1) & (nf >= 1), (ns == 1) & own_agrees, ns == 1, nf >= 1],
        [0, 1, 2, 3, 4, 5],
        6,
    )
    # for the sibling alternative, whatever the number of parts agreeing: a brother or
    # sister shares the family's names, never the child's own given name
    has_own = s.name_own[si].any(axis=1) & c.name_own[ci].any(axis=1)
    own_lvl = np.where(ns >= 2, 0, 2) + np.where(own_agrees, 0, 1)
    levels[:, OWN_NAME] = np.where(has & has_own & (ns >= 1), own_lvl, -1)
    levels[:, 0] = np.where(has, name_lvl, -1)
    conflict = np.minimum(ua, ub)
    conflict_lvl = np.where(ns >= 2, np.minimum(conflict, 1), 2 + np.minimum(conflict, 2))
    levels[:, 1] = np.where(has, conflict_lvl, -1)
    # TF: one agreeing value -> its frequency; two or more -> the pair's co-frequency
    rows = np.arange(P)
    k1 = tfa.key_id[np.where(an[rows, idx[:, 0]] >= 0, an[rows, idx[:, 0]], 0)]
    k2 = tfa.key_id[np.where(an[rows, idx[:, 1]] >= 0, an[rows, idx[:, 1]], 0)]
    lf_pair = np.maximum(_pair_logf(tfa, k1, k2), np.where(np.isfinite(lf2), lf1 + lf2, -np.inf))
    name_tf = np.where(ns >= 2, lf_pair, np.where(ns == 1, lf1, np.nan))
    name_tf = np.where(ns >= 3, name_tf + np.log(0.5), name_tf)
    tf_logu[:, 0] = np.where(np.isfinite(name_tf), name_tf, np.nan)

    # --- parents --------------------------------------------------------------------------
    has_names = (an >= 0).any(axis=1) & (bn >= 0).any(axis=1)
    for fi, ti, attr, tab in ((5, 1, "mother", tfa.log_mother), (6, 2, "father", tfa.log_father)):
        a, b = getattr(s, attr)[si], getattr(c, attr)[ci]
        pl = token_levels(v, a, b)
        plf = _rarest_agreeing(pl, _token_logf(tab, a), _token_logf(tab, b))
        ns_, nf_, _ua, _ub, l1, l2, _ = _bag_summary(pl, plf)
        has_a, has_b = (a >= 0).any(axis=1), (b >= 0).any(axis=1)
        lv = np.select([ns_ >= 2, ns_ == 1, nf_ >= 1], [0, 1, 2], 3)
        # named on one record only: is it among the other record's own names?
        found = np.zeros(P, dtype=np.int32)
        only_a = np.flatnonzero(has_a & ~has_b & has_names)
        only_b = np.flatnonzero(has_b & ~has_a & has_names)
        found[only_a] = _parent_in_names(v, a[only_a], bn[only_a])
        found[only_b] = _parent_in_names(v, b[only_b], an[only_b])
        one_side = np.where(found >= 1, 4, 5)
        lv = np.where(has_a & has_b, lv, np.where((has_a ^ has_b) & has_names, one_side, -1))
        levels[:, fi] = lv
        ptf = np.where(ns_ >= 2, l1 + l2, np.where(ns_ == 1, l1, np.nan))
        tf_logu[:, ti] = np.where(has_a & has_b & np.isfinite(ptf), ptf, np.nan)

    # --- age / date of birth ------------------------------------------------------------
    bs, bc = s.birth[si], c.birth[ci]
    d = np.abs(bs - bc)
    age_mean = (s.age_now[si] + c.age_now[ci]) / 2.0
    older = np.where(np.isnan(age_mean), 0, age_mean >= 7).astype(np.int8)
    age_lvl = np.select([d <= 1.0, d <= 2.0, d <= 3.0, d <= 5.0], [0, 1, 2, 3], 4) + 5 * older
    both_dob = s.has_dob[si] & c.has_dob[ci]
    levels[:, 2] = np.where(np.isnan(d) | both_dob, -1, age_lvl)
    ys, yc = s.dob_y[si], c.dob_y[ci]
    ms, mc = s.dob_m[si], c.dob_m[ci]
    ds, dc = s.dob_d[si], c.dob_d[ci]
    dob_lvl = np.select(
        [
            (ys == yc) & (ms == mc) & (ds == dc),
            (ys == yc) & (ms == mc),
            ys == yc,
            np.abs(ys - yc) <= 1,
            np.abs(ys - yc) <= 3,
        ],
        [0, 1, 2, 3, 4],
        5,
    )
    levels[:, 3] = np.where(both_dob, dob_lvl, -1)

    # --- sex ------------------------------------------------------------------------------
    xs, xc = s.sex[si], c.sex[ci]
    levels[:, 4] = np.where((xs > 0) & (xc > 0), (xs != xc).astype(np.int8), -1)

    # --- places ---------------------------------------------------------------------------
    la1, lo1, la2, lo2 = s.lat[si], s.lon[si], c.lat[ci], c.lon[ci]
    km = haversine_km(la1, lo1, la2, lo2)
    levels[:, 7] = distance_levels(km)
    pa, pb = s.place[si], c.place[ci]
    shared = np.zeros(pa.shape, dtype=bool)
    for j in range(pb.shape[1]):
        shared |= pa == pb[:, j, None]
    share = _count_rows(shared & (pa >= 0))
    has_pl = (pa >= 0).any(axis=1) & (pb >= 0).any(axis=1) & np.isnan(km)
    levels[:, 8] = np.where(has_pl, np.select([share >= 2, share == 1], [0, 1], 2), -1)

    # --- separation date, language ---------------------------------------------------------
    levels[:, 9] = sep_date_levels(np.abs(s.sep[si] - c.sep[ci]) * 365.25)
    levels[:, 12] = record_date_levels(s, c, si, ci)
    gs, gc = s.lang[si], c.lang[ci]
    levels[:, 10] = np.where((gs >= 0) & (gc >= 0), (gs != gc).astype(np.int8), -1)

    # --- identifier (national id, social security number...) --------------------------
    la, lb = s.ident_len[si], c.ident_len[ci]
    has_id = (la > 0) & (lb > 0)
    if has_id.any():
        diff = (s.ident[si] != c.ident[ci]).sum(axis=1)
        id_lvl = np.select([diff == 0, (diff <= 2) & (la == lb)], [0, 1], 2)
        levels[:, 11] = np.where(has_id, id_lvl, -1)
    return Comparison(levels, tf_logu)


def _levels_at_most(x: FloatArr, limits: FloatArr) -> LevelArr:
    """Level i for the first ``limits[i]`` that x does not exceed (``len(limits)`` beyond
    them all); -1 where x is NaN. These run on every candidate pair that blocking weighs,
    tens of millions of them."""
    lv = limits_passed(x, limits)
    lv[np.isnan(x)] = -1
    return lv


def limits_passed(x: FloatArr, limits: FloatArr) -> LevelArr:
    """How many of the (few, sorted) ``limits`` each x exceeds, as ``np.searchsorted``
    counts them, in a fifth of its time: one comparison pass a limit (NaN exceeds none)."""
    lv = np.zeros(len(x), dtype=np.int8)
    for limit in limits:
        lv += x > limit
    return lv


_DISTANCE_KM = np.array([5.0, 25.0, 60.0, 150.0])
_SEP_DAYS = np.array([3.0, 15.0, 60.0, 366.0])
_RECORD_DAYS = np.array([30.0, 120.0, 366.0])


def distance_levels(km: FloatArr) -> LevelArr:
    """The place field's level of each distance between separation points (-1: unknown):
    <= 5, 25, 60, 150 km, more."""
    return _levels_at_most(km, _DISTANCE_KM)


def sep_date_levels(days: FloatArr) -> LevelArr:
    """The separation date's level of each gap in days (-1: unknown): <= 3, 15, 60, 366
    days, more."""
    return _levels_at_most(days, _SEP_DAYS)


# a separation date known to the month is placed mid-month: a record made up to this many
# days before it may still be after the separation
_BEFORE_DAYS = 20.0


def record_date_levels(s: BlockNumbers, c: BlockNumbers, si: IndexArr, ci: IndexArr) -> LevelArr:
    """The record_dates level of each pair (-1 where both separation dates are known, or
    a date is missing): a separation date on one side against the other side's
    registration or request date (0-3: <= 30, 120, 366 days after it, later; 4: more
    than _BEFORE_DAYS before it), or, with neither separation date, both record dates
    (5-8: <= 30, 120, 366 days apart, more)."""
    # what depends on one record is worked out per record, then gathered per pair
    no_s, no_c = np.isnan(s.sep)[si], np.isnan(c.sep)[ci]
    sep_s = np.where(s.sep_month, s.sep, np.nan)[si]
    sep_c = np.where(c.sep_month, c.sep, np.nan)[ci]
    day_s, day_c = s.day[si], c.day[ci]
    after = np.where(no_c, day_c - sep_s, day_s - sep_c) * 365.25
    lv = limits_passed(after, _RECORD_DAYS)
    lv[after < -_BEFORE_DAYS] = 4
    lv[(no_s == no_c) | np.isnan(after)] = -1
    both = np.flatnonzero(no_s & no_c)
    if len(both):
        apart = np.abs(day_s[both] - day_c[both]) * 365.25
        lv_apart = _levels_at_most(apart, _RECORD_DAYS)
        lv[both] = np.where(lv_apart >= 0, lv_apart + 5, -1)
    return lv


def haversine_km(la1: FloatArr, lo1: FloatArr, la2: FloatArr, lo2: FloatArr) -> FloatArr:
    p1, p2 = np.radians(la1), np.radians(la2)
    dp = p2 - p1
    dl = np.radians(lo2 - lo1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * 6371.0 * np.arcsin(np.sqrt(np.clip(h, 0, 1))), dtype=np.float64)


def compare_chunked(
    v: Vocab,
    tfa: TFArrays,
    s: Records,
    c: Records,
    si: IntArr,
    ci: IntArr,
    chunk: int = 50_000,
) -> Comparison:
    """:func:`compare` a chunk of pairs at a time (the working arrays stay in the cache),
    the chunks on several threads."""
    if len(si) <= chunk:
        return compare(v, tfa, s, c, si, ci)
    parts = map_chunks(
        lambda i: compare(v, tfa, s, c, si[i : i + chunk], ci[i : i + chunk]),
        range(0, len(si), chunk),
    )
    return Comparison(
        np.concatenate([p.levels for p in parts]), np.concatenate([p.tf_logu for p in parts])
    )
