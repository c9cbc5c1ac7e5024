"""Fellegi-Sunter scoring with three classes: same child (M), sibling (S), unrelated (U).

* u: level frequencies on random pairs (almost all unrelated).
* s: for personal fields (name, age, sex...), level frequencies on pairs of children
  sought together in one inquiry (siblings by construction); for family fields (parents,
  place, separation date, language) siblings behave like the child itself, so s = m.
* m: EM on the candidate pairs, each field estimated only on pairs where it is present,
  with a weak Dirichlet prior, monotone weights (pool-adjacent-violators) and the
  one-to-one rule in the E-step (a sought child is at most one registered child and a
  registered child answers at most one inquiry).  Each field group's m is counted on
  the pairs that the *other* fields make near-certain matches (leave-one-group-out
  posterior >= SHARPEN): under conditional independence this selection does not bias
  the field's own distribution, while plain EM confirms itself and learns "same name"
  rather than "same child".  Caseworkers' decisions fix the posterior of labelled pairs.
* u of ``name_conflict`` (name parts left unmatched) is taken from the candidate pairs,
  which already share a name part: on random pairs it would double-count the name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

from matching.compare import FIELD_INDEX, FIELDS, TF_FIELDS, Comparison
from matching.parallel import map_chunks

FloatArr = npt.NDArray[np.float64]
IntArr = npt.NDArray[np.int32]

TF_FIELD_INDEX = [next(i for i, f in enumerate(FIELDS) if f.name == n) for n in TF_FIELDS]
# levels of the TF fields that are TF adjusted (those where values agree)
TF_LEVELS: dict[str, tuple[int, ...]] = {
    "name": (0, 1, 2, 3, 4),
    "mother": (0, 1),
    "father": (0, 1),
}


def level_counts(levels: npt.NDArray[np.int8], weights: FloatArr | None = None) -> list[FloatArr]:
    out: list[FloatArr] = []
    for f, spec in enumerate(FIELDS):
        col = levels[:, f].astype(np.int64)
        ok = col >= 0
        w = None if weights is None else weights[ok]
        out.append(np.bincount(col[ok], weights=w, minlength=len(spec.levels)).astype(np.float64))
    return out


def normalise(counts: list[FloatArr], pseudo: float) -> list[FloatArr]:
    res: list[FloatArr] = []
    for c in counts:
        c2 = c + pseudo
        res.append(c2 / c2.sum())
    return res


def prior_m() -> list[FloatArr]:
    """Generic weakly-informative prior for m: agreement is likely for the same child."""
    out: list[FloatArr] = []
    for spec in FIELDS:
        k = len(spec.levels)
        if spec.name == "age":
            base = np.array([0.55, 0.25, 0.12, 0.05, 0.03])
            p = np.concatenate([base, base]) / 2
        else:
            p = 0.75 ** np.arange(k, dtype=np.float64) * 2.0
            p = p / p.sum()
        out.append(p)
    return out


def pav_monotone(m: FloatArr, u: FloatArr, counts: FloatArr) -> FloatArr:
    """Make log(m/u) non-increasing along the level order (pool adjacent violators)."""
    k = len(m)
    if k <= 1:
        return m
    blocks: list[list[int]] = []
    for i in range(k):
        blocks.append([i])
        while len(blocks) >= 2:
            a, b = blocks[-2], blocks[-1]
            wa = np.log(m[a].sum() / u[a].sum())
            wb = np.log(m[b].sum() / u[b].sum())
            if wb > wa + 1e-12:
                blocks[-2] = a + b
                blocks.pop()
            else:
                break
    out = m.copy()
    for blk in blocks:
        if len(blk) > 1:
            ratio = m[blk].sum() / u[blk].sum()
            out[blk] = u[blk] * ratio
    del counts
    return np.asarray(out / out.sum(), dtype=np.float64)


# Fields whose levels fall in groups set by a covariate (age: young/older children;
# name_conflict: how many name parts agree, which the name field already counts; a
# parent: named on both records or on one). Only the split within a group is evidence:
# each group's share of m follows u.
SEGMENTS: dict[str, list[tuple[int, int]]] = {
    "age": [(0, 5), (5, 10)],
    "name_conflict": [(0, 2), (2, 5)],
    "mother": [(0, 4), (4, 6)],
    "father": [(0, 4), (4, 6)],
    "record_dates": [(0, 5), (5, 9)],
}


def monotone(m: list[FloatArr], u: list[FloatArr]) -> list[FloatArr]:
    res: list[FloatArr] = []
    for f, spec in enumerate(FIELDS):
        if spec.name in SEGMENTS:
            mm = m[f].copy()
            for lo, hi in SEGMENTS[spec.name]:
                seg = mm[lo:hi]
                tot = seg.sum()
                # the age group is a covariate, not evidence: its share follows u
                share = u[f][lo:hi].sum()
                mm[lo:hi] = pav_monotone(seg / tot, u[f][lo:hi] / share, seg) * share
            res.append(mm)
        else:
            res.append(pav_monotone(m[f], u[f], m[f]))
    return res


@dataclass
class Model:
    m: list[FloatArr]
    u: list[FloatArr]
    s: list[FloatArr]
    rho: float  # share of sought children whose child is registered
    sib_rate: float  # expected number of registered siblings per sought child
    n_children: int
    has_sibling_model: bool

    def field_weights(self) -> tuple[list[FloatArr], list[FloatArr]]:
        wm = [np.log(m / u) for m, u in zip(self.m, self.u, strict=True)]
        ws = [np.log(s / u) for s, u in zip(self.s, self.u, strict=True)]
        return wm, ws


@dataclass
class PairScores:
    """Per-pair log-likelihood ratios and their parts."""

    field_w: FloatArr  # (P, F) match weights incl. TF adjustment, 0 where null
    llr_m: FloatArr  # sum of field_w
    llr_s: FloatArr  # sibling vs unrelated log-likelihood ratio


def _tf_adjusted(model: Model, comp: Comparison) -> Iterator[tuple[int, FloatArr]]:
    """(field, adjustment per pair) of each TF field: log(u_level) - log(u_value) on
    agreeing levels, 0 elsewhere."""
    # the value-specific u may not exceed 1 nor be below 1/(10 N)
    floor = np.log(1.0 / (10.0 * max(model.n_children, 1)))
    for t, name in enumerate(TF_FIELDS):
        f = TF_FIELD_INDEX[t]
        lv = comp.levels[:, f]
        logu_val = comp.tf_logu[:, t]
        ok = np.isin(lv, TF_LEVELS[name]) & ~np.isnan(logu_val)
        logu_level = np.log(model.u[f])[np.where(lv >= 0, lv, 0)]
        yield f, np.where(ok, logu_level - np.clip(logu_val, floor, 0.0), 0.0)


def tf_adjustment(model: Model, comp: Comparison) -> FloatArr:
    """(P, F) TF adjustments: log(u_level) - log(u_value) on agreeing levels, 0 elsewhere."""
    adj = np.zeros((comp.levels.shape[0], len(FIELDS)))
    for f, a in _tf_adjusted(model, comp):
        adj[:, f] = a
    return adj


def tf_adjustment_sum(model: Model, comp: Comparison) -> FloatArr:
    """Each pair's TF adjustments summed over the fields."""
    total = np.zeros(comp.levels.shape[0])
    for _f, a in _tf_adjusted(model, comp):
        total += a
    return total


def _padded(weights: list[FloatArr]) -> list[FloatArr]:
    """Each field's weights by level, then a 0 that level -1 (missing) picks."""
    return [np.append(w, 0.0) for w in weights]


_SCORE_CHUNK = 50_000  # pairs a chunk: each chunk's working arrays stay in the cache


def _chunks(comp: Comparison) -> list[Comparison]:
    n = len(comp.levels)
    return [
        Comparison(comp.levels[i : i + _SCORE_CHUNK], comp.tf_logu[i : i + _SCORE_CHUNK])
        for i in range(0, max(n, 1), _SCORE_CHUNK)
    ]


def pair_scores(model: Model, comp: Comparison, use_tf: bool = True) -> PairScores:
    """Match and sibling weights of every pair, a chunk of pairs at a time, the chunks on
    several threads."""
    parts = map_chunks(partial(_pair_scores, model, use_tf=use_tf), _chunks(comp))
    if len(parts) == 1:
        return parts[0]
    return PairScores(
        np.concatenate([p.field_w for p in parts]),
        np.concatenate([p.llr_m for p in parts]),
        np.concatenate([p.llr_s for p in parts]),
    )


def _pair_scores(model: Model, comp: Comparison, use_tf: bool) -> PairScores:
    wm, ws = (_padded(w) for w in model.field_weights())
    lv = comp.levels
    fw = np.empty((lv.shape[0], len(FIELDS)))
    sw = np.empty((lv.shape[0], len(FIELDS)))
    for f in range(len(FIELDS)):
        fw[:, f] = wm[f][lv[:, f]]
        sw[:, f] = ws[f][lv[:, f]]
    if use_tf:
        for f, a in _tf_adjusted(model, comp):
            fw[:, f] += a
            sw[:, f] += a  # a rare shared family name is as telling for a sibling
    return PairScores(fw, fw.sum(axis=1), np.where(sibling_possible(lv), sw.sum(axis=1), -np.inf))


# levels that say two records cannot be one child and a sibling's fit better: a sex that
# differs, ages or dates of birth more than two years apart (compare's level order)
_AGE_LEVELS = FIELDS[FIELD_INDEX["age"]].levels
_DOB_LEVELS = FIELDS[FIELD_INDEX["dob"]].levels
_AGE_FAR = np.array([lv.endswith(("<=3y", "<=5y", ">5y")) for lv in _AGE_LEVELS])
_DOB_FAR = np.array([lv in ("2-3 years apart", "4+ years") for lv in _DOB_LEVELS])


def sibling_possible(levels: npt.NDArray[np.integer[Any]]) -> npt.NDArray[np.bool_]:
    """Which pairs a sibling could explain: a brother or sister is another child, so it
    differs from the sought child somewhere. Where the child's own given name agrees,
    the sex does not differ and the ages (or dates of birth) are within two years, the
    record is the child's own or a stranger's, never a sibling's (twins do not share a
    given name)."""
    own = levels[:, FIELD_INDEX["own_name"]]
    own_agrees = (own == 0) | (own == 2)
    sex_differs = levels[:, FIELD_INDEX["sex"]] == 1
    age, dob = levels[:, FIELD_INDEX["age"]], levels[:, FIELD_INDEX["dob"]]
    far = np.where(age >= 0, _AGE_FAR[np.maximum(age, 0)], False)
    far |= np.where(dob >= 0, _DOB_FAR[np.maximum(dob, 0)], False)
    return np.asarray(~own_agrees | sex_differs | far, dtype=np.bool_)


def pair_llr(model: Model, comp: Comparison) -> tuple[FloatArr, FloatArr]:
    """Each pair's match and sibling log-likelihood ratios (``pair_scores``' sums) without
    its (P, F) tables: ranking needs the per-field weights of the pairs it shows only."""
    wm, ws = (_padded(w) for w in model.field_weights())

    def one(part: Comparison) -> tuple[FloatArr, FloatArr]:
        lv = part.levels
        llr_m = tf_adjustment_sum(model, part)
        llr_s = llr_m.copy()
        for f in range(len(FIELDS)):
            llr_m += wm[f][lv[:, f]]
            llr_s += ws[f][lv[:, f]]
        return llr_m, np.where(sibling_possible(lv), llr_s, -np.inf)

    parts = map_chunks(one, _chunks(comp))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _soft_share(logo: FloatArr, groups: IntArr, n: int) -> FloatArr:
    """o / (1 + sum of o within the group), for o = exp(logo) (clipped to +-300, far
    beyond any real score: the sums stay finite)."""
    o = np.exp(np.clip(logo, -300.0, 300.0))
    tot = np.bincount(groups, weights=o, minlength=n)
    return np.asarray(o / (1.0 + tot)[groups], dtype=np.float64)


def _cap_groups(post: FloatArr, groups: IntArr, n_groups: int, cap: float) -> FloatArr:
    tot = np.bincount(groups, weights=post, minlength=n_groups)
    scale = np.where(tot > cap, cap / np.maximum(tot, 1e-300), 1.0)
    return np.asarray(post * scale[groups], dtype=np.float64)


def _patterns(levels: npt.NDArray[np.int8]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Unique level vectors: (pattern id per pair, (U, F) level table with -1 = null)."""
    code = np.zeros(levels.shape[0], dtype=np.int64)
    for f, spec in enumerate(FIELDS):
        k = len(spec.levels) + 1
        code = code * k + np.where(levels[:, f] >= 0, levels[:, f], k - 1)
    ucode, pid = np.unique(code, return_inverse=True)
    table = np.zeros((len(ucode), len(FIELDS)), dtype=np.int64)
    rest = ucode.copy()
    for f in range(len(FIELDS) - 1, -1, -1):
        k = len(FIELDS[f].levels) + 1
        val = rest % k
        rest //= k
        table[:, f] = np.where(val == k - 1, -1, val)
    return pid.astype(np.int64), table


def _pattern_counts(table: npt.NDArray[np.int64]) -> Callable[[FloatArr], list[FloatArr]]:
    """A function of the weight of each level pattern: each field's weighted level counts
    (the patterns where each field is present are found once, not at every call)."""
    present = [np.flatnonzero(table[:, f] >= 0) for f in range(len(FIELDS))]
    values = [table[rows, f] for f, rows in enumerate(present)]

    def counts(wpat: FloatArr) -> list[FloatArr]:
        return [
            np.bincount(values[f], weights=wpat[rows], minlength=len(spec.levels)).astype(
                np.float64
            )
            for f, (spec, rows) in enumerate(zip(FIELDS, present, strict=True))
        ]

    return counts


# a pair counts towards a field's m when the other fields make it at least this likely
SHARPEN = 0.97
# fields whose evidence is estimated together (left out together in the M-step)
FIELD_GROUPS: tuple[tuple[str, ...], ...] = (
    ("name",),
    ("name_conflict",),  # its u is conditional on the name level: a group of its own
    ("age", "dob"),
    ("sex",),
    ("mother",),
    ("father",),
    ("place", "place_name"),
    ("sep_date", "record_dates"),
    ("language",),
)


def _group_index() -> list[list[int]]:
    names = [f.name for f in FIELDS]
    out: list[list[int]] = []
    seen: set[int] = set()
    for g in FIELD_GROUPS:
        idx = [names.index(n) for n in g if n in names]
        out.append(idx)
        seen.update(idx)
    out.extend([[i] for i in range(len(names)) if i not in seen])
    return out


def _pattern_group_llr(
    table: npt.NDArray[np.int64], w: list[FloatArr], groups: list[list[int]]
) -> FloatArr:
    """(U, G): each level pattern's weight summed over the fields of each group (the
    weights are finite: m and u carry pseudo-counts, so the product never meets inf)."""
    n_fields = len(w)
    # one row of weights per field, a trailing 0 for "missing" (level -1 picks it)
    padded = np.zeros((n_fields, max(len(x) for x in w) + 1))
    for f, x in enumerate(w):
        padded[f, : len(x)] = x
    cols = np.where(table >= 0, table, padded.shape[1] - 1)
    vals = padded[np.arange(n_fields), cols]  # (U, F)
    member = np.zeros((n_fields, len(groups)))
    for g, fields in enumerate(groups):
        member[fields, g] = 1.0
    return np.asarray(vals @ member, dtype=np.float64)


def em(
    comp: Comparison,
    si: IntArr,
    ci: IntArr,
    n_sought: int,
    n_children: int,
    u: list[FloatArr],
    s: list[FloatArr] | None,
    fixed: FloatArr | None = None,
    iterations: int = 8,
    tolerance: float = 0.01,
    prior_strength: float = 30.0,
    sharpen: bool = True,
    sib_per_sought: float = 0.0,
    leave_out: bool = True,
) -> Model:
    """Constrained EM for m (and the class shares) on candidate pairs.

    Each field group's m is estimated with the match posterior computed *without* that
    group's own evidence (leave-one-group-out), so that a field cannot confirm itself:
    plain EM drifts towards "same name" rather than "same child".

    With ``leave_out=False`` it is classic EM (full posterior for every field); with
    ``sharpen`` only pairs whose (leave-out) posterior reaches ``SHARPEN`` count as matches.

    ``fixed`` holds caseworkers' decisions per pair: 1 = match, 0 = non-match, NaN = none.

    Stops after ``iterations``, or sooner once no m probability and not the share of
    registered sought children moves by more than ``tolerance``: on generated data of
    three cultures that took 4-7 iterations, later ones moving m by under 0.01 back and
    forth, and 5, 7, 10 or 20 iterations gave the same rankings within 0.001.
    """
    pm = prior_m()
    has_s = s is not None
    s_ = s if s is not None else [x.copy() for x in u]
    family = np.array([spec.family for spec in FIELDS])
    m0 = [u[f].copy() if spec.sibling_only else pm[f].copy() for f, spec in enumerate(FIELDS)]
    model = Model(m0, u, s_, 0.5, 0.5 * sib_per_sought, n_children, has_s)
    pid, table = _patterns(comp.levels)
    sib_ok = sibling_possible(comp.levels)
    level_counts_of = _pattern_counts(table)
    n_pat = table.shape[0]
    groups = _group_index()
    name_group = next(g for g, fs in enumerate(groups) if 0 in fs)
    adj = tf_adjustment_sum(model, comp)  # depends on u only
    fixed_mask = None if fixed is None else ~np.isnan(fixed)
    prior0 = np.log(1.0 / max(n_children, 1))

    def posterior_m(lo_m: FloatArr, lo_s: FloatArr, sharp: bool = sharpen) -> FloatArr:
        """P(same child) per pair under the one-to-one rule (decisions fixed)."""
        logo = lo_m - np.logaddexp(0.0, lo_s)
        r_m = _soft_share(logo, si, n_sought)
        r_m = _cap_groups(r_m, ci, n_children, 1.0)
        if fixed is not None and fixed_mask is not None:
            r_m = np.where(fixed_mask, fixed, r_m)
        if sharp:
            r_m = np.where(r_m >= SHARPEN, r_m, 0.0)
        return r_m

    def group_counts(
        g: int, *, gm: FloatArr, gs: FloatArr, lo_m: FloatArr, lo_s: FloatArr, r_full: FloatArr
    ) -> list[FloatArr]:
        """Level counts over the pairs that the fields outside group g make matches
        (the groups are independent: they run on several threads). ``gm``/``gs``: each
        group's match/sibling weight per level pattern, one row per group."""
        drop_m = gm[g][pid] + (adj if g == name_group else 0.0)
        drop_s = gs[g][pid] + (adj if g == name_group else 0.0)
        if leave_out:
            r_g = posterior_m(lo_m - drop_m, lo_s - drop_s if has_s else lo_s)
        else:  # classic EM: the full posterior for every field
            r_g = posterior_m(lo_m, lo_s) if sharpen else r_full
        return level_counts_of(np.bincount(pid, weights=r_g, minlength=n_pat).astype(np.float64))

    for _ in range(iterations):
        if has_s and s is not None:
            model.s = [model.m[f] if family[f] else s[f] for f in range(len(FIELDS))]
        wm, ws = model.field_weights()
        gm = _pattern_group_llr(table, wm, groups)
        gs = _pattern_group_llr(table, ws, groups)
        llr_m = gm.sum(axis=1)[pid] + adj
        llr_s = gs.sum(axis=1)[pid] + adj
        base_m = np.log(model.rho / (1.0 - model.rho)) + prior0
        base_s = np.log(max(model.sib_rate, 1e-9)) + prior0
        lo_m = base_m + llr_m
        lo_s = base_s + llr_s if has_s else np.full(len(pid), -np.inf)
        lo_s = np.where(sib_ok, lo_s, -np.inf)
        # the share of sought children who are registered: the plain posterior
        r_full = posterior_m(lo_m, lo_s, sharp=False)

        new_m: list[FloatArr] = [pm[f] for f in range(len(FIELDS))]
        counts = map_chunks(
            partial(
                group_counts,
                # one contiguous row per group: gathering from a column is twice as slow
                gm=np.ascontiguousarray(gm.T),
                gs=np.ascontiguousarray(gs.T),
                lo_m=lo_m,
                lo_s=lo_s,
                r_full=r_full,
            ),
            range(len(groups)),
        )
        for fields, cm in zip(groups, counts, strict=True):
            for f in fields:
                new_m[f] = (cm[f] + prior_strength * pm[f]) / (cm[f].sum() + prior_strength)
        old_m, old_rho = model.m, model.rho
        model.m = [u[f].copy() if FIELDS[f].sibling_only else m for f, m in enumerate(new_m)]
        model.m = monotone(model.m, u)
        model.rho = float(np.clip(r_full.sum() / max(n_sought, 1), 0.02, 0.98))
        moved = max(float(np.abs(a - b).max()) for a, b in zip(model.m, old_m, strict=True))
        if has_s:
            model.sib_rate = float(np.clip(sib_per_sought * model.rho, 1e-3, 3.0))
        if max(moved, abs(model.rho - old_rho)) < tolerance:
            break
    if has_s and s is not None:
        model.s = [model.m[f] if family[f] else s[f] for f in range(len(FIELDS))]
    return model
