"""From pair log-odds to calibrated probabilities: sibling alternative, one-to-one rule.

For a sought child s and candidate c with match log-likelihood ratio ``llr_m`` and
sibling ratio ``llr_s`` the pair odds are

    o = rho / ((1 - rho) N) * exp(llr_m) / (1 + sib_rate / N * exp(llr_s))

(the sought child is registered with probability rho, and then is any of the N
registered children; each has about ``sib_rate`` registered siblings).  As a sought
child is one child, P(c) = o_c / (1 + sum of o over its candidates).  A registered
child answers one family: competing sought children of the same inquiry discount the
pair fully, those of other inquiries (two relatives may file separately) partly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from matching.score import Model

FloatArr = npt.NDArray[np.float64]
IntArr = npt.NDArray[np.int32]

OTHER_INQUIRY_COMPETITION = 0.3
_SCORE_BINS = 256  # most histogram bins per group for best_per_group's threshold
LOGIT_CLIP = 13.0


@dataclass
class Ranked:
    prob: FloatArr
    prior: float
    sibling: FloatArr  # (negative) log-odds contribution of the sibling alternative
    competition: FloatArr  # log-odds contribution of the one-to-one rule (and clipping)


def _logsumexp_by(groups: IntArr, x: FloatArr, n: int) -> FloatArr:
    """log(sum(exp(x))) per group (x is clipped to +-300, far beyond any real score)."""
    tot = np.bincount(groups, weights=np.exp(np.clip(x, -300.0, 300.0)), minlength=n)
    with np.errstate(divide="ignore"):
        return np.asarray(np.log(tot), dtype=np.float64)


def _soft_one(logo: FloatArr, si: IntArr, n_s: int) -> FloatArr:
    """log P(c) for P(c) = o_c / (1 + sum o) within each sought group."""
    lse = _logsumexp_by(si, logo, n_s)
    denom = np.logaddexp(0.0, lse)
    return np.asarray(logo - denom[si], dtype=np.float64)


def pair_logodds(
    model: Model, llr_m: FloatArr, llr_s: FloatArr
) -> tuple[float, FloatArr, FloatArr]:
    """(prior, sibling term, log-odds) of each pair on its own, before the one-to-one
    rule: log o = prior + llr_m + the sibling alternative's term."""
    n = max(model.n_children, 1)
    rho = model.rho
    prior = float(np.log(rho / ((1.0 - rho) * n)))
    if model.has_sibling_model and model.sib_rate > 0:
        sib = -np.logaddexp(0.0, np.log(model.sib_rate / n) + llr_s)
    else:
        sib = np.zeros(len(llr_m))
    return prior, sib, prior + llr_m + sib


def probabilities(
    model: Model,
    llr_m: FloatArr,
    llr_s: FloatArr,
    si: IntArr,
    ci: IntArr,
    inquiry_of_sought: npt.NDArray[np.int64],
    n_sought: int,
    n_children_local: int,
    outside_claims: FloatArr | None = None,
) -> Ranked:
    """``outside_claims``: per pair, what sought children of other inquiries that are not
    among these records claim of the pair's registered child (their probabilities for
    it): real-time matching ranks one inquiry at a time, and the store's rankings of the
    others stand in for the claims `ftr link` counts among all sought children."""
    prior, sib, logo = pair_logodds(model, llr_m, llr_s)
    prob, comp = compete(
        logo, si, ci, inquiry_of_sought, n_sought, n_children_local, outside_claims
    )
    return Ranked(prob=prob, prior=prior, sibling=sib, competition=comp)


def compete(
    logo: FloatArr,
    si: IntArr,
    ci: IntArr,
    inquiry_of_sought: npt.NDArray[np.int64],
    n_sought: int,
    n_children_local: int,
    outside_claims: FloatArr | None = None,
) -> tuple[FloatArr, FloatArr]:
    """The one-to-one rule over pairs' own log-odds: (probability, its competition term
    in log-odds). It needs nothing of the pairs but their log-odds, so a stored ranking
    can be ranked again beside a new pair without comparing its records again."""
    logp = _soft_one(logo, si, n_sought)
    p1 = np.exp(logp)
    # child side: other sought children claiming the same registered child
    if len(si):
        tot_c = np.bincount(ci, weights=p1, minlength=n_children_local)
        inq = inquiry_of_sought[si]
        # mass from the same inquiry per (child, inquiry)
        key = ci.astype(np.int64) * (int(inq.max()) + 1) + inq
        inv = pd.factorize(key)[0]  # hashed: a sort of every pair's key took longer
        same = np.bincount(inv, weights=p1)[inv] - p1
        other = np.asarray(tot_c[ci] - p1 - same, dtype=np.float64)
        if outside_claims is not None:
            other = other + outside_claims
        claim = np.clip(same + OTHER_INQUIRY_COMPETITION * other, 0.0, 0.95)
        logo2 = logo + np.log1p(-claim)
        logp = _soft_one(logo2, si, n_sought)
    logit = logp - np.log1p(-np.minimum(np.exp(logp), 1 - 1e-12))
    logit = np.clip(logit, -LOGIT_CLIP, LOGIT_CLIP)
    prob = 1.0 / (1.0 + np.exp(-logit))
    return prob, np.asarray(logit - logo, dtype=np.float64)


def best_per_group(
    group: npt.NDArray[np.integer[Any]],
    score: FloatArr,
    tie: npt.NDArray[np.integer[Any]],
    k: int,
    bin_by: FloatArr | None = None,
) -> npt.NDArray[np.intp]:
    """Positions of the best ``k`` rows of each group, ordered by group, then score
    (descending), then ``tie`` (ascending: a ref's rank, so that row order never decides).

    Only rows that can be among their group's best ``k`` are sorted: a histogram of each
    group's scores gives the bin holding its k-th best, and rows in lower bins are dropped
    first (sorting every candidate pair took most of the blocking's time).

    ``bin_by``: what the histogram bins instead of the scores, where these crowd into one
    bin (probabilities near 0); it must be a non-decreasing function *of the score*, so
    that a row binned lower is scored lower (``linker._order_preserving``).
    """
    if len(group) == 0:
        return np.zeros(0, dtype=np.intp)
    binned = score if bin_by is None else bin_by
    top, bottom = float(binned.max()), float(binned.min())
    if not np.isfinite(top - bottom):  # NaN or infinite scores: no histogram, sort them all
        rows = np.arange(len(group))
    else:
        first_group = int(group.min())
        local = (group - first_group).astype(np.int64)
        n_groups = int(local.max()) + 1
        # a few bins per row kept are enough to find the cut (and keep the histogram small
        # when there are many groups and few rows to keep)
        n_bins = int(min(_SCORE_BINS, max(16, 4 * k)))
        width = (top - bottom) / (n_bins - 1) or 1.0
        bins = ((binned - bottom) / width).astype(np.int64).clip(0, n_bins - 1)
        hist = np.bincount(local * n_bins + bins, minlength=n_groups * n_bins)
        # rows in each bin and above, per group
        above = hist.reshape(n_groups, n_bins)[:, ::-1].cumsum(axis=1)[:, ::-1]
        reaches = above >= k
        # the highest bin that, with those above, holds k rows (0 when the group has fewer)
        threshold = np.where(
            reaches.any(axis=1), n_bins - 1 - np.argmax(reaches[:, ::-1], axis=1), 0
        )
        rows = np.flatnonzero(bins >= threshold[local])
    rows = rows[np.lexsort((tie[rows], -score[rows], group[rows]))]
    g = group[rows]
    start = np.searchsorted(g, g, side="left")
    return rows[np.arange(len(rows)) - start < k]
