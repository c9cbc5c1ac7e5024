"""The engine's fast paths against the plain definitions they replace: the outputs must be
the same to the bit, or the bench's figures would no longer describe the engine."""

from __future__ import annotations

import dataclasses
import sys
from collections import Counter
from pathlib import Path

import jellyfish
import numpy as np
import pandas as pd
import pytest

from matching import candidates as cand
from matching import compare, score
from matching.compare import (
    FIELDS,
    T_EXACT,
    T_FUZZY,
    T_PHONETIC,
    T_VARIANT,
    TFTables,
    _bag_summary,
    _rarest_agreeing,
    compare_chunked,
    distance_levels,
    record_date_levels,
    sep_date_levels,
    token_levels,
)
from matching.linker import Linker, _make_session, _order_preserving, _Session, _variant_table
from matching.rank import best_per_group
from matching.records import Records, Vocab

sys.path.insert(0, str(Path(__file__).resolve().parent))
from matching_synth import make


def _token_levels_reference(v: Vocab, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Every token pair of the (P, Ka, Kb) cube, by broadcasting."""
    ai, bi = np.where(a >= 0, a, 0)[:, :, None], np.where(b >= 0, b, 0)[:, None, :]
    lvl = np.zeros((a.shape[0], a.shape[1], b.shape[1]), dtype=np.int8)
    ra, rb = v.rep[ai], v.rep[bi]
    pa_, pb_ = v.part_rep[ai], v.part_rep[bi]  # a compound's parts
    part = (pa_[..., 0] == rb) | (pa_[..., 1] == rb) | (pb_[..., 0] == ra) | (pb_[..., 1] == ra)
    lvl[(ra == rb) | (ra == bi) | (ai == rb) | part] = T_FUZZY
    pa, pb = v.ph[ai[:, :, 0]][:, :, None, :], v.ph[bi[:, 0, :]][:, None, :, :]
    code = (
        (pa[..., 0] == pb[..., 0])
        | (pa[..., 0] == pb[..., 1])
        | (pa[..., 1] == pb[..., 0])
        | (pa[..., 2] == pb[..., 2])
        | (v.skel[ai] == v.skel[bi])
    )
    # a shared code counts between spellings at most half their length of edits apart
    tok = np.array(v.tokens, dtype=object)
    close = np.vectorize(
        lambda x, y: jellyfish.damerau_levenshtein_distance(x, y) <= 0.5 * max(len(x), len(y)),
        otypes=[bool],
    )(tok[ai], tok[bi])
    ph = (code & (close | (ra == rb))) | (v.skv[ai] == v.skel[bi]) | (v.skel[ai] == v.skv[bi])
    typo = ((ra == rb) | (ra == bi) | (ai == rb)) & v.typo_strong[ai] & v.typo_strong[bi]
    lvl[ph | typo] = T_PHONETIC
    ga, gb = v.grp[ai[:, :, 0]][:, :, None, :], v.grp[bi[:, 0, :]][:, None, :, :]
    g0a, g1a, g0b, g1b = ga[..., 0], ga[..., 1], gb[..., 0], gb[..., 1]
    var = (g0a >= 0) & ((g0a == g0b) | (g0a == g1b) | ((g1a >= 0) & ((g1a == g0b) | (g1a == g1b))))
    lvl[var] = T_VARIANT
    lvl[ai == bi] = T_EXACT
    lvl[~((a[:, :, None] >= 0) & (b[:, None, :] >= 0))] = -1
    return lvl


def _bag_summary_reference(lvl: np.ndarray, logf_a: np.ndarray) -> tuple[np.ndarray, ...]:
    best_a, best_b = lvl.max(axis=2), lvl.max(axis=1)
    n_strong = np.minimum((best_a >= T_PHONETIC).sum(1), (best_b >= T_PHONETIC).sum(1))
    n_fuzzy = (np.minimum((best_a >= T_FUZZY).sum(1), (best_b >= T_FUZZY).sum(1)) - n_strong).clip(
        0
    )
    un_a = ((best_a >= 0) & (best_a < T_FUZZY)).sum(1)
    un_b = ((best_b >= 0) & (best_b < T_FUZZY)).sum(1)
    lf = np.where(best_a >= T_PHONETIC, logf_a, np.inf)
    order = np.argsort(lf, axis=1, kind="stable")
    rows = np.arange(len(lf))
    return n_strong, n_fuzzy, un_a, un_b, lf[rows, order[:, 0]], lf[rows, order[:, 1]], order[:, :2]


@pytest.fixture(scope="module")
def session() -> _Session:
    scenario = make(300, seed=5)
    sess, _ = _make_session(scenario.children, scenario.requests, _variant_table([]), None)
    return sess


def _random_pairs(sess: _Session, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (
        rng.integers(0, len(sess.s), n).astype(np.int32),
        rng.integers(0, len(sess.c), n).astype(np.int32),
    )


@pytest.mark.parametrize("field", ["name", "mother", "father"])
def test_token_levels_and_bag_summary_as_defined(session: _Session, field: str) -> None:
    si, ci = _random_pairs(session, 5000, seed=1)
    # the candidates' own pairs too: they agree far more often than random pairs
    csi, cci, _ = cand.candidate_pairs(session.vocab, session.s, session.c, max_per_sought=20)
    si, ci = np.r_[si, csi], np.r_[ci, cci]
    a, b = getattr(session.s, field)[si], getattr(session.c, field)[ci]
    lvl = token_levels(session.vocab, a, b)
    np.testing.assert_array_equal(lvl, _token_levels_reference(session.vocab, a, b))
    assert (lvl >= T_VARIANT).any() and (lvl == T_PHONETIC).any()  # the test sees every level
    # log-frequencies with ties, as real term frequencies have
    rng = np.random.default_rng(2)
    lf_a = rng.integers(0, 4, a.shape).astype(float)
    lf_b = rng.integers(0, 4, b.shape).astype(float)
    rarest = _rarest_agreeing(lvl, lf_a, lf_b)
    expected = np.where(
        lvl >= T_VARIANT, np.maximum(lf_a[:, :, None], lf_b[:, None, :]), np.inf
    ).min(axis=2)
    np.testing.assert_array_equal(rarest, expected)
    for got, want in zip(
        _bag_summary(lvl, rarest), _bag_summary_reference(lvl, rarest), strict=True
    ):
        np.testing.assert_array_equal(got, want)


def _top_reference(
    ps: np.ndarray, pc: np.ndarray, score: np.ndarray, ref_rank: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.lexsort((ref_rank[pc], -score, ps))
    ps, pc, score = ps[order], pc[order], score[order]
    nth = np.arange(len(ps)) - np.searchsorted(ps, ps, side="left")
    return ps[nth < k], pc[nth < k], score[nth < k]


def test_best_per_group_with_scores_that_are_not_finite() -> None:
    ps = np.repeat(np.arange(4), 6)
    pc = np.arange(24)
    score = np.tile([0.5, np.inf, -np.inf, 0.5, 2.0, np.nan], 4)
    ref_rank = np.arange(24)[::-1].copy()
    best = best_per_group(ps, score, ref_rank[pc], 3)
    for g, w in zip(
        (ps[best], pc[best], score[best]), _top_reference(ps, pc, score, ref_rank, 3), strict=True
    ):
        np.testing.assert_array_equal(g, w)


def test_age_sex_prescore_as_defined(session: _Session) -> None:
    birth = session.s.birth.copy()
    birth[::7] = np.nan  # ages unknown now and then
    s, c = dataclasses.replace(session.s, birth=birth), session.c
    ps, pc = _random_pairs(session, 5000, seed=3)
    d = np.abs(s.birth[ps] - c.birth[pc])
    age = np.select(
        [d <= 1.0, d <= 2.0, d <= 3.0, d <= 5.0, d > 5.0], [2.0, 1.0, 0.0, -1.5, -3.0], 0.0
    )
    xs, xc = s.sex[ps], c.sex[pc]
    sex = np.where((xs > 0) & (xc > 0), np.where(xs == xc, 0.5, -2.5), 0.0)
    assert np.isnan(d).any()
    np.testing.assert_array_equal(cand._age_sex_prescore(s, c, ps, pc), age + sex)


@pytest.mark.parametrize("k", [1, 3, 50])
def test_best_per_group_keeps_the_best_k_with_ties_by_ref(k: int) -> None:
    rng = np.random.default_rng(k)
    n = 20_000
    ps = rng.integers(10, 60, n)
    pc = rng.permutation(n)
    score = rng.integers(0, 30, n) / 4.0  # many exact ties
    ref_rank = rng.permutation(n)
    best = best_per_group(ps, score, ref_rank[pc], k)
    got = ps[best], pc[best], score[best]
    for g, w in zip(got, _top_reference(ps, pc, score, ref_rank, k), strict=True):
        np.testing.assert_array_equal(g, w)


def test_candidate_pairs_same_by_either_sort(
    session: _Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = cand.candidate_pairs(session.vocab, session.s, session.c, max_per_sought=30, chunk=40)
    monkeypatch.setattr(cand, "_CODE_BITS", 1)  # no code fits: the argsort path
    slow = cand.candidate_pairs(session.vocab, session.s, session.c, max_per_sought=30, chunk=40)
    assert len(fast[0]) > 30 * 10
    for f, s in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(f, s)
    # chunks are a matter of speed only
    monkeypatch.undo()
    small = cand.candidate_pairs(session.vocab, session.s, session.c, max_per_sought=30, chunk=7)
    for f, s in zip(fast, small, strict=True):
        np.testing.assert_array_equal(f, s)


def test_token_levels_as_defined_with_compound_names() -> None:
    # the synthetic data above holds no compound written both ways: names that do
    names = ["Mengdara", "Meng", "Dara", "Darra", "Sreypov", "Pov", "Bopha", "Kunthear"]
    frame = pd.DataFrame({"ref": [f"R{i}" for i in range(len(names))], "given_name": names})
    sess, _ = _make_session(frame, frame, _variant_table([]), None)
    si = np.repeat(np.arange(len(names), dtype=np.int32), len(names))
    ci = np.tile(np.arange(len(names), dtype=np.int32), len(names))
    a, b = sess.s.name[si], sess.c.name[ci]
    lvl = token_levels(sess.vocab, a, b)
    np.testing.assert_array_equal(lvl, _token_levels_reference(sess.vocab, a, b))
    assert (sess.vocab.part >= 0).any(axis=1).sum() == 2  # Mengdara, Sreypov
    assert (lvl == T_FUZZY).any()


def test_pattern_group_weights_as_defined() -> None:
    rng = np.random.default_rng(3)
    table = np.stack([rng.integers(-1, len(f.levels), 400) for f in FIELDS], axis=1)
    w = [rng.normal(size=len(f.levels)) for f in FIELDS]
    groups = score._group_index()
    want = np.zeros((len(table), len(groups)))
    for g, fields in enumerate(groups):
        for f in fields:
            ok = table[:, f] >= 0
            want[:, g] += np.where(ok, w[f][np.where(ok, table[:, f], 0)], 0.0)
    np.testing.assert_allclose(score._pattern_group_llr(table, w, groups), want, atol=1e-12)


def test_separation_levels_as_defined(session: _Session) -> None:
    rng = np.random.default_rng(4)
    s, c = session.s, session.c

    # dates of every kind: to the day, year only, unknown, on either side
    def dated(r: Records) -> Records:
        n = len(r)
        sep = 2020.0 + rng.random(n) * 3.0
        sep[rng.random(n) < 0.4] = np.nan
        offsets = np.array([-0.1, -20 / 365.25, 0.0, 30 / 365.25, 120 / 365.25, 366 / 365.25, 2.0])
        day = np.where(np.isnan(sep), 2020.0 + rng.random(n) * 3.0, sep)
        day = day + rng.choice(offsets, n) + rng.random(n) * 0.2
        day[rng.random(n) < 0.2] = np.nan
        return dataclasses.replace(r, sep=sep, sep_month=rng.random(n) < 0.8, day=day)

    s, c = dated(s), dated(c)
    ps, pc = _random_pairs(session, 20_000, seed=4)
    gap = np.r_[rng.uniform(0, 400, 5000), [3.0, 15.0, 60.0, 366.0, 5.0, 25.0, 150.0, np.nan]]
    for fast, limits in ((sep_date_levels, [3, 15, 60, 366]), (distance_levels, [5, 25, 60, 150])):
        want = np.select([gap <= x for x in limits], [0, 1, 2, 3], 4)
        np.testing.assert_array_equal(fast(gap), np.where(np.isnan(gap), -1, want))
    # record dates: the definition as first written, on every pair
    sep_s = np.where(s.sep_month[ps], s.sep[ps], np.nan)
    sep_c = np.where(c.sep_month[pc], c.sep[pc], np.nan)
    no_s, no_c = np.isnan(s.sep[ps]), np.isnan(c.sep[pc])
    after = np.where(no_c, c.day[pc] - sep_s, np.where(no_s, s.day[ps] - sep_c, np.nan)) * 365.25
    after_lvl = np.select([after < -20.0, after <= 30, after <= 120, after <= 366], [4, 0, 1, 2], 3)
    apart = np.abs(s.day[ps] - c.day[pc]) * 365.25
    apart_lvl = np.select([apart <= 30, apart <= 120, apart <= 366], [5, 6, 7], 8)
    lv = np.where(no_s & no_c, np.where(np.isnan(apart), -1, apart_lvl), after_lvl)
    want = np.where((no_s & no_c) | ~np.isnan(after), lv, -1)
    got = record_date_levels(s, c, ps, pc)
    np.testing.assert_array_equal(got, want)
    assert set(np.unique(got).tolist()) == set(range(-1, 9))  # the test sees every level


def test_term_frequencies_as_defined(session: _Session) -> None:
    keys = session.vocab.tfkey
    want: dict[str, Counter[str]] = {f: Counter() for f in ("name", "mother", "father", "pairs")}
    for r in (session.c, session.s):
        for f in ("name", "mother", "father"):
            for row in getattr(r, f).tolist():
                ks = sorted({keys[t] for t in row if t >= 0})
                want[f].update(ks)
                if f == "name":
                    want["pairs"].update(f"{a}|{b}" for i, a in enumerate(ks) for b in ks[i + 1 :])
    got = TFTables.count(session.vocab, [session.c, session.s])
    assert got.n == len(session.c) + len(session.s)
    assert (got.name, got.mother, got.father) == tuple(
        dict(want[f]) for f in ("name", "mother", "father")
    )
    assert got.name_pairs == {k: n for k, n in want["pairs"].items() if n >= 2}
    assert len(got.name_pairs) > 20


def test_pair_weights_and_their_sums_as_defined() -> None:
    scenario = make(150, seed=6)
    linker = Linker.fit(scenario.children, scenario.requests, seed=0)
    sess, _ = _make_session(scenario.children, scenario.requests, _variant_table([]), None)
    si, ci, _ = cand.candidate_pairs(sess.vocab, sess.s, sess.c, max_per_sought=40)
    comp = compare_chunked(sess.vocab, sess.tfa, sess.s, sess.c, si, ci)
    model = linker.model
    wm, ws = model.field_weights()
    lv = comp.levels.astype(np.int64)
    adj = score.tf_adjustment(model, comp)

    def weights(w: list[np.ndarray]) -> np.ndarray:
        """Each field's weight at its level, 0 where missing, plus the TF adjustment."""
        cols = [
            np.where(lv[:, f] >= 0, w[f][np.where(lv[:, f] >= 0, lv[:, f], 0)], 0.0)
            for f in range(len(FIELDS))
        ]
        return np.stack(cols, axis=1) + adj

    fw, sw = weights(wm), weights(ws)
    assert (lv < 0).any() and (adj != 0).any()
    got = score.pair_scores(model, comp)
    np.testing.assert_array_equal(got.field_w, fw)
    np.testing.assert_allclose(got.llr_m, fw.sum(axis=1), atol=1e-12)
    llr_m, llr_s = score.pair_llr(model, comp)
    np.testing.assert_allclose(llr_m, fw.sum(axis=1), atol=1e-9)
    # a sibling explains only pairs that differ somewhere (score.sibling_possible)
    sib = score.sibling_possible(comp.levels)
    assert sib.any() and not sib.all()
    np.testing.assert_allclose(llr_s, np.where(sib, sw.sum(axis=1), -np.inf), atol=1e-9)
    np.testing.assert_allclose(score.tf_adjustment_sum(model, comp), adj.sum(axis=1), atol=1e-12)


def test_best_per_group_binned_by_the_bits_of_probabilities() -> None:
    # probabilities as ranking gives them: most near 0, many equal at the clip near 1
    rng = np.random.default_rng(8)
    n = 30_000
    ps = np.sort(rng.integers(0, 300, n))
    pc = rng.permutation(n)
    logit = np.clip(rng.normal(-9.0, 6.0, n), -13.0, 13.0)
    logit[rng.random(n) < 0.05] = 13.0
    prob = 1.0 / (1.0 + np.exp(-logit))
    ref_rank = rng.permutation(n)
    assert (prob == prob.max()).sum() > 100
    best = best_per_group(ps, prob, ref_rank[pc], 10, bin_by=_order_preserving(prob))
    for g, w in zip(
        (ps[best], pc[best], prob[best]), _top_reference(ps, pc, prob, ref_rank, 10), strict=True
    ):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("table", [True, False], ids=["level table", "pair by pair"])
def test_token_levels_by_table_or_pair_by_pair_as_defined(
    table: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = make(300, seed=6)
    sess, _ = _make_session(scenario.children, scenario.requests, _variant_table([]), None)
    v = sess.vocab
    if table:
        compare._level_table(v)
    else:
        monkeypatch.setattr(compare, "_TABLE_MAX_TOKENS", 0)  # never built
    si, ci = _random_pairs(sess, 3000, seed=3)
    csi, cci, _ = cand.candidate_pairs(v, sess.s, sess.c, max_per_sought=20)
    si, ci = np.r_[si, csi], np.r_[ci, cci]
    for a, b in ((sess.s.name[si], sess.c.name[ci]), (sess.s.name[si], sess.c.kin[ci])):
        np.testing.assert_array_equal(token_levels(v, a, b), _token_levels_reference(v, a, b))
    assert (v.level_table is not None) == table
