"""How far could the evidence go if the truth were known? Ceiling estimates per set.

``bench/link_bench.py`` leaves, per set (ours ``CULTURE-NxM-seedS/``, the shared generator's
``shared-REGION-NxM-seedS/``), the generated records, the truth, ``ftr link``'s ranked
output with its per-field evidence (``*_weight`` columns) and, when they ran, each Splink's
top 10 (``splink.csv``, ``splink-shared.csv``). This script refits things *with the truth*,
in 2-fold cross-validation over inquiries (fitted on one half of the inquiries, scored on
the other, so that no row scores itself), and evaluates them exactly as the bench does:

* **truth calibration**: FTR's score mapped through an isotonic regression on the truth.
  The ranking is unchanged; it shows what a calibration of the same scores fitted to the
  truth gives for confident hits and false alarms.
* **truth weights**: a logistic regression (scikit-learn's default, L2-regularised) on
  the per-field weights and the prior, sibling and competition terms: a reweighting of
  the same evidence fitted to these very data. The rows are re-ranked within FTR's top K
  by the new score.
* **union re-ranker** (issue 17's estimate): a gradient-boosted classifier
  (``HistGradientBoostingClassifier``) over the union of FTR's top 10 and each usable
  Splink's top 10 (a Splink whose output is missing or whose EM collapsed, recall@1 below
  ``link_bench.EM_COLLAPSED_BELOW``, is left out), on FTR's score, rank and per-field
  weights where FTR ranked the pair (else missing, with an indicator), each Splink's score
  and rank where it ranked the pair (else missing), and simple cross-field features read
  from the raw records (:func:`cross_features`: names compared across fields with
  Jaro-Winkler, age, distance, dates, sex). Each sought child's candidates are ranked by
  the predicted probability and the top 10 kept. That probability is the classifier's,
  per candidate row: not a one-to-one posterior (a sought child's candidates need not sum
  to at most 1); confident hits, false alarms and calibration are read on it as it is.

The first two see only the rows FTR wrote (its top K), so neither can find a child FTR did
not rank; the third cannot find a child no engine ranked in its top 10. None is the best
any model could do: they estimate how far the evidence, weighed with the truth known, would
go, not bounds.

    python bench/link_bench.py --systems ftr,splink,splink-shared   # the sets and outputs
    python bench/evidence_ceiling.py                                # reads every set there
    python bench/evidence_ceiling.py --workdir /tmp/lb-full --sets 'sudan-*,shared-sudan-*'
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import math
import re
import sys
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jellyfish
import numpy as np
import pandas as pd
from anyascii import anyascii
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parent))

from evaluate import (
    Metrics,
    evaluate,
    format_comparison,
    format_table,
    load_truth,
    mark_true,
    read_csv,
)
from link_bench import CULTURES, EM_COLLAPSED_BELOW, SHARED_REGION, SPLINKS

from matching.compare import haversine_km

FOLDS = 2
TOP = 10
"""Candidates per sought child taken from each engine, and kept after re-ranking."""
RANDOM_STATE = 0
DEFAULT_WORKDIR = Path("/tmp/ftr-link-bench")
"""link_bench.py's default --workdir."""
KEYS = ["request_ref", "child_ref"]
ESTIMATES = ("truth calibration", "truth weights", "union re-ranker")
CEILING = "union re-ranker"


def _fold_of(requests: pd.DataFrame) -> pd.Series:
    """Fold of each sought child: by inquiry (siblings stay together), stable across runs."""
    inquiry = requests["inquiry_ref"].fillna("").astype(str)
    key = inquiry.where(inquiry != "", requests["ref"].astype(str))
    fold = [zlib.crc32(k.encode()) % FOLDS for k in key]
    return pd.Series(fold, index=requests["ref"].astype(str))


def _folds(requests: pd.DataFrame, request_refs: pd.Series) -> np.ndarray:
    """The fold of each row's sought child; an error for one missing from requests.csv."""
    fold_of_ref = _fold_of(requests).reindex(request_refs.astype(str))
    if fold_of_ref.isna().any():
        missing = sorted(set(fold_of_ref[fold_of_ref.isna()].index))[:5]
        raise ValueError(f"ranked rows for sought children not in requests.csv: {missing}")
    return fold_of_ref.to_numpy(dtype=int)


def evidence_columns(ranked: pd.DataFrame) -> list[str]:
    return [c for c in ranked.columns if c.endswith("_weight")]


def _check_folds(is_true: np.ndarray, fold: np.ndarray, k: int) -> None:
    train, test = fold != k, fold == k
    if not test.any() or len(np.unique(is_true[train])) < 2:
        raise ValueError(f"fold {k}: no rows to score, or no true and false rows to fit")


def cross_fitted(
    ranked: pd.DataFrame, is_true: np.ndarray, fold: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(isotonic score, logistic score) for every row, each from the other fold's fit."""
    iso = np.zeros(len(ranked))
    logistic = np.zeros(len(ranked))
    score = ranked["score"].to_numpy(dtype=float)
    x = ranked[evidence_columns(ranked)].to_numpy(dtype=float)
    for k in range(FOLDS):
        _check_folds(is_true, fold, k)
        train, test = fold != k, fold == k
        iso_fit = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        iso[test] = iso_fit.fit(score[train], is_true[train]).predict(score[test])
        lr = LogisticRegression(max_iter=2000).fit(x[train], is_true[train])
        logistic[test] = lr.predict_proba(x[test])[:, 1]
    return iso, logistic


def _reranked(ranked: pd.DataFrame, score: np.ndarray, top: int | None = None) -> pd.DataFrame:
    """Rows re-ranked within each sought child by ``score``; the first ``top`` kept."""
    out = ranked[KEYS].assign(score=score)
    out = out.sort_values(["request_ref", "score"], ascending=[True, False], kind="mergesort")
    out["rank"] = out.groupby("request_ref", sort=False).cumcount() + 1
    if top is not None:
        out = out[out["rank"] <= top]
    return out.reset_index(drop=True)


def _ftr_estimates(
    ranked: pd.DataFrame, tc: pd.DataFrame, tr: pd.DataFrame, requests: pd.DataFrame
) -> dict[str, Metrics]:
    fold = _folds(requests, ranked["request_ref"])
    is_true = mark_true(ranked, tc, tr)
    iso, logistic = cross_fitted(ranked, is_true, fold)
    return {
        "ftr": evaluate(ranked, tc, tr),
        "truth calibration": evaluate(ranked.assign(score=iso), tc, tr),
        "truth weights": evaluate(_reranked(ranked, logistic), tc, tr),
    }


def ceiling(data: Path) -> dict[str, Metrics]:
    """FTR's figures and the two estimates on FTR's own rows (either generator's truth)."""
    tc, tr = load_truth(data)
    return _ftr_estimates(read_csv(data / "ftr.csv"), tc, tr, read_csv(data / "requests.csv"))


# ---------------------------------------------------------------- cross-field features

_NOT_LETTER = re.compile(r"[^a-z]+")

NAME_FEATURES = (
    "given_vs_names",  # the sought child's given name against the registered child's names
    "names_vs_given",  # and the other way round
    "given_vs_given",
    "family_vs_family",
    "family_vs_father",  # the sought child's family name against the child's father's name
    "father_vs_family",  # the sought child's father's name against the child's family name
    "family_vs_inquirer",  # the registered child's family name against the inquirer's name
    "own_family_vs_inquirer",  # the sought child's family name against the inquirer's name
    "parents_vs_inquirer",  # the registered child's mother or father against the inquirer
    "mother_vs_mother",  # first tokens
    "father_vs_father",  # first tokens
)
CROSS_FEATURES = (
    *NAME_FEATURES,
    "age_diff",  # sought minus registered, years
    "distance_km",  # between separation points
    "separation_days",  # |days| between separation dates
    "birth_days",  # |days| between dates of birth
    "sex_equal",  # 1, 0, or missing
)


def name_tokens(text: object) -> tuple[str, ...]:
    """ASCII (anyascii), lower case, letters only; the tokens, then all joined when several.

    "Abdul Rahim" gives ("abdul", "rahim", "abdulrahim"), so that it meets "Abdulrahim".
    """
    if not isinstance(text, str) or not text.strip():
        return ()
    parts = [_NOT_LETTER.sub("", p) for p in anyascii(text).lower().split()]
    tokens = [p for p in parts if p]
    if len(tokens) > 1:
        tokens.append("".join(tokens))
    return tuple(tokens)


def _first(tokens: tuple[str, ...]) -> tuple[str, ...]:
    return tokens[:1]


def best_jw(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Best Jaro-Winkler over token pairs; NaN when either side has no name."""
    if not a or not b:
        return math.nan
    return max(jellyfish.jaro_winkler_similarity(x, y) for x in a for y in b)


def _days(values: pd.Series) -> np.ndarray:
    """ISO dates, possibly partial (YYYY, YYYY-MM), as days since 1970; NaN if missing.

    A year alone is read as 1 July, a month as its 15th."""
    text = values.astype("string").str.strip()
    text = text.where(text.str.len() != 4, text + "-07-01")
    text = text.where(text.str.len() != 7, text + "-15")
    dates = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    days = (dates - pd.Timestamp("1970-01-01")).dt.days
    return days.to_numpy(dtype=float, na_value=np.nan)


def _sex(values: pd.Series) -> np.ndarray:
    """1.0 male, 0.0 female, NaN otherwise."""
    first = values.astype("string").str.strip().str.lower().str[:1]
    return first.map({"m": 1.0, "f": 0.0}).to_numpy(dtype=float, na_value=np.nan)


def _number(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)


def _column(frame: pd.DataFrame, column: str) -> pd.Series:
    if column in frame.columns:
        return frame[column]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


@dataclass
class _Records:
    """One side's records, prepared once: tokens per name field, numbers per row."""

    index: dict[str, int]
    given: list[tuple[str, ...]]
    family: list[tuple[str, ...]]
    names: list[tuple[str, ...]]
    mother: list[tuple[str, ...]]
    father: list[tuple[str, ...]]
    inquirer: list[tuple[str, ...]]
    numbers: dict[str, np.ndarray] = field(default_factory=dict)


def _records(frame: pd.DataFrame) -> _Records:
    def tokens(column: str) -> list[tuple[str, ...]]:
        return [name_tokens(v) for v in _column(frame, column)]

    given, family, other = tokens("given_name"), tokens("family_name"), tokens("other_names")
    return _Records(
        index={str(ref): i for i, ref in enumerate(frame["ref"])},
        given=given,
        family=family,
        names=[g + f + o for g, f, o in zip(given, family, other, strict=True)],
        mother=[_first(t) for t in tokens("mother_name")],
        father=tokens("father_name"),
        inquirer=tokens("inquirer_name"),
        numbers={
            "age": _number(frame, "age"),
            "lat": _number(frame, "separation_lat"),
            "lon": _number(frame, "separation_lon"),
            "separation": _days(_column(frame, "separation_date")),
            "birth": _days(_column(frame, "date_of_birth")),
            "sex": _sex(_column(frame, "sex")),
        },
    )


def _positions(refs: pd.Series, index: Mapping[str, int], what: str) -> np.ndarray:
    pos = refs.astype(str).map(index)
    if pos.isna().any():
        raise ValueError(f"{what} not found: {sorted(set(refs[pos.isna()].astype(str)))[:5]}")
    return pos.to_numpy(dtype=int)


def cross_features(
    pairs: pd.DataFrame, requests: pd.DataFrame, children: pd.DataFrame
) -> pd.DataFrame:
    """The :data:`CROSS_FEATURES` of each (request_ref, child_ref) pair, from the records.

    Names are compared token by token (:func:`name_tokens`), the best Jaro-Winkler kept;
    mother's and father's names on their first token. Missing values stay NaN.
    """
    r, c = _records(requests), _records(children)
    ri = _positions(pairs["request_ref"], r.index, "sought children")
    ci = _positions(pairs["child_ref"], c.index, "registered children")
    first_father_r = [_first(t) for t in r.father]
    first_father_c = [_first(t) for t in c.father]
    parents_c = [m + f for m, f in zip(c.mother, c.father, strict=True)]
    comparisons: dict[str, Callable[[int, int], float]] = {
        "given_vs_names": lambda i, j: best_jw(r.given[i], c.names[j]),
        "names_vs_given": lambda i, j: best_jw(r.names[i], c.given[j]),
        "given_vs_given": lambda i, j: best_jw(r.given[i], c.given[j]),
        "family_vs_family": lambda i, j: best_jw(r.family[i], c.family[j]),
        "family_vs_father": lambda i, j: best_jw(r.family[i], c.father[j]),
        "father_vs_family": lambda i, j: best_jw(r.father[i], c.family[j]),
        "family_vs_inquirer": lambda i, j: best_jw(c.family[j], r.inquirer[i]),
        "own_family_vs_inquirer": lambda i, j: best_jw(r.family[i], r.inquirer[i]),
        "parents_vs_inquirer": lambda i, j: best_jw(parents_c[j], r.inquirer[i]),
        "mother_vs_mother": lambda i, j: best_jw(r.mother[i], c.mother[j]),
        "father_vs_father": lambda i, j: best_jw(first_father_r[i], first_father_c[j]),
    }
    pos = list(zip(ri.tolist(), ci.tolist(), strict=True))
    out = {
        name: np.array([fn(i, j) for i, j in pos], dtype=float) for name, fn in comparisons.items()
    }
    rn = {k: v[ri] for k, v in r.numbers.items()}
    cn = {k: v[ci] for k, v in c.numbers.items()}
    out["age_diff"] = rn["age"] - cn["age"]
    out["distance_km"] = haversine_km(rn["lat"], rn["lon"], cn["lat"], cn["lon"])
    out["separation_days"] = np.abs(rn["separation"] - cn["separation"])
    out["birth_days"] = np.abs(rn["birth"] - cn["birth"])
    sex = np.where(rn["sex"] == cn["sex"], 1.0, 0.0)
    out["sex_equal"] = np.where(np.isnan(rn["sex"]) | np.isnan(cn["sex"]), np.nan, sex)
    return pd.DataFrame({name: out[name] for name in CROSS_FEATURES}, index=pairs.index)


# ---------------------------------------------------------------- the union re-ranker


def _top(ranked: pd.DataFrame) -> pd.DataFrame:
    rank = pd.to_numeric(ranked["rank"], errors="raise")
    return ranked[rank <= TOP].drop_duplicates(KEYS).reset_index(drop=True)


def union_candidates(ftr: pd.DataFrame, splinks: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Every pair in FTR's or a Splink's top 10, with each engine's figures as features.

    FTR's score, rank and ``*_weight`` columns where FTR ranked the pair, else NaN and
    ``ftr_missing`` = 1; ``NAME_score`` and ``NAME_rank`` of each Splink likewise.
    Ordered by sought child, then FTR's rows in its order, then the others'.
    """
    f = _top(ftr)
    union = f[KEYS].copy()
    union["ftr_score"] = pd.to_numeric(f["score"]).astype(float)
    union["ftr_rank"] = pd.to_numeric(f["rank"]).astype(float)
    for col in evidence_columns(f):
        union[f"ftr_{col}"] = pd.to_numeric(f[col]).astype(float)
    for name, ranked in splinks.items():
        s = _top(ranked)
        part = s[KEYS].assign(
            **{
                f"{name}_score": pd.to_numeric(s["score"]).astype(float),
                f"{name}_rank": pd.to_numeric(s["rank"]).astype(float),
            }
        )
        union = union.merge(part, on=KEYS, how="outer", sort=False)
    union["ftr_missing"] = union["ftr_score"].isna().astype(float)
    order = union.assign(_r=union["ftr_rank"].fillna(np.inf)).sort_values(
        ["request_ref", "_r"], kind="mergesort"
    )
    return order.drop(columns="_r").reset_index(drop=True)


def union_features(union: pd.DataFrame, cross: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([union.drop(columns=KEYS), cross], axis=1)


def _classifier() -> HistGradientBoostingClassifier:
    # Early stopping on a tenth of the training rows (over 10,000 rows: "auto"). The
    # defaults (learning rate 0.1, no L2) stopped early and ranked worse on Sudan
    # (recall@1 0.893 against 0.911).
    return HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=1000,
        l2_regularization=1.0,
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=30,
        random_state=RANDOM_STATE,
    )


def boosted_cross_fitted(x: pd.DataFrame, is_true: np.ndarray, fold: np.ndarray) -> np.ndarray:
    """P(true) of every row from a gradient-boosted classifier fitted on the other fold."""
    prob = np.zeros(len(x))
    values = x.to_numpy(dtype=float)
    for k in range(FOLDS):
        _check_folds(is_true, fold, k)
        train, test = fold != k, fold == k
        # a column with no value at all (no Splink ranked anything, say) is dropped:
        # scikit-learn cannot bin it
        known = ~np.isnan(values[train]).all(axis=0)
        model = _classifier().fit(values[train][:, known], is_true[train])
        prob[test] = model.predict_proba(values[test][:, known])[:, 1]
    return prob


@dataclass
class UnionResult:
    metrics: Metrics
    splinks: list[str]
    """The Splinks whose top 10 joined FTR's."""
    pairs: int
    """Candidate pairs in the union."""
    holds: float
    """Share of the registered sought children whose child is in the union."""


def union_reranker(
    ftr: pd.DataFrame,
    splinks: Mapping[str, pd.DataFrame],
    tc: pd.DataFrame,
    tr: pd.DataFrame,
    requests: pd.DataFrame,
    children: pd.DataFrame,
) -> UnionResult:
    union = union_candidates(ftr, splinks)
    x = union_features(union, cross_features(union, requests, children))
    is_true = mark_true(union, tc, tr)
    prob = boosted_cross_fitted(x, is_true, _folds(requests, union["request_ref"]))
    metrics = evaluate(_reranked(union, prob, TOP), tc, tr)
    found = union.loc[is_true, "request_ref"].nunique()
    holds = found / metrics.n_registered if metrics.n_registered else math.nan
    return UnionResult(metrics, list(splinks), len(union), holds)


# ---------------------------------------------------------------- per set


@dataclass
class SetReport:
    name: str
    results: dict[str, Metrics | None]
    """ftr, the better Splink (under its name), then the three estimates."""
    peer: str | None
    union: UnionResult
    notes: list[str]
    seconds: float


def usable_splinks(
    data: Path, tc: pd.DataFrame, tr: pd.DataFrame
) -> tuple[dict[str, tuple[pd.DataFrame, Metrics]], list[str]]:
    """Each Splink's output and figures, unless missing or collapsed (then a note)."""
    usable: dict[str, tuple[pd.DataFrame, Metrics]] = {}
    notes: list[str] = []
    for name in SPLINKS:
        path = data / f"{name}.csv"
        if not path.exists():
            notes.append(f"{name}: no {path.name}, left out")
            continue
        ranked = read_csv(path)
        metrics = evaluate(ranked, tc, tr)
        if metrics.recall_at_1 < EM_COLLAPSED_BELOW:
            notes.append(
                f"{name}: EM collapsed (recall@1 {metrics.recall_at_1:.3f} < "
                f"{EM_COLLAPSED_BELOW}), left out"
            )
            continue
        usable[name] = (ranked, metrics)
    return usable, notes


def report(data: Path) -> SetReport:
    start = time.perf_counter()
    tc, tr = load_truth(data)
    ftr = read_csv(data / "ftr.csv")
    requests = read_csv(data / "requests.csv")
    children = read_csv(data / "children.csv")
    estimates = _ftr_estimates(ftr, tc, tr, requests)
    splinks, notes = usable_splinks(data, tc, tr)
    peer = max(splinks, key=lambda s: splinks[s][1].recall_at_1, default=None)
    union = union_reranker(ftr, {s: r for s, (r, _) in splinks.items()}, tc, tr, requests, children)
    results: dict[str, Metrics | None] = {
        "ftr": estimates["ftr"],
        peer or "splink": splinks[peer][1] if peer else None,
        "truth calibration": estimates["truth calibration"],
        "truth weights": estimates["truth weights"],
        CEILING: union.metrics,
    }
    return SetReport(data.name, results, peer, union, notes, time.perf_counter() - start)


def _signed(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{round(x, 3) + 0.0:+.3f}"  # no "-0.000"


def _gap(ftr: Metrics | None, other: Metrics | None, attr: str) -> str:
    if ftr is None or other is None:
        return "-"
    return _signed(getattr(ftr, attr) - getattr(other, attr))


def format_report(rep: SetReport) -> str:
    ftr = rep.results["ftr"]
    others = [n for n in rep.results if n != "ftr"]
    extra = {
        f"FTR - column, {label}": {n: _gap(ftr, rep.results[n], attr) for n in others}
        for label, attr in (("recall@1", "recall_at_1"), ("recall@10", "recall_at_10"))
    }
    table = format_comparison(rep.results, extra).splitlines()
    # every column holds a top-10 output: blocking and pair counts say nothing here
    skip = ("blocking recall", "candidate pairs")
    used = ", ".join(["ftr", *rep.union.splinks])
    lines = [
        f"\n{rep.name}: the evidence refitted with the truth (2-fold by inquiry), "
        f"{rep.seconds:.0f} s",
        *(f"  {note}" for note in rep.notes),
        f"  union re-ranker: top 10 of {used}, {rep.union.pairs:,} pairs; the true child is "
        f"among them for {rep.union.holds:.3f} of the registered sought children",
        *(line for line in table if not line.startswith(skip)),
    ]
    return "\n".join(lines)


def format_summary(reports: Sequence[SetReport]) -> str:
    rows = []
    for rep in reports:
        ftr, union = rep.results["ftr"], rep.union.metrics
        peer = rep.results.get(rep.peer) if rep.peer else None
        assert ftr is not None
        rows.append(
            [
                rep.name,
                f"{ftr.recall_at_1:.3f}",
                f"{rep.peer} {peer.recall_at_1:.3f}" if peer else "-",
                f"{union.recall_at_1:.3f}",
                _gap(ftr, union, "recall_at_1"),
                f"{ftr.recall_at_10:.3f}",
                f"{union.recall_at_10:.3f}",
                _gap(ftr, union, "recall_at_10"),
                f"{rep.union.holds:.3f}",
            ]
        )
    header = [
        "set",
        "FTR r@1",
        "better Splink r@1",
        "ceiling r@1",
        "FTR-ceiling",
        "FTR r@10",
        "ceiling r@10",
        "FTR-ceiling",
        "in union",
    ]
    return format_table(header, rows)


PROBABILITY_NOTE = (
    "The union re-ranker's scores are the classifier's probabilities per candidate row, "
    "not a one-to-one posterior (a sought child's candidates need not sum to at most 1); "
    "confident hits, false alarms and calibration are read on them as they are."
)


# ---------------------------------------------------------------- sets and CLI


def _set_order(name: str) -> tuple[int, int, str]:
    shared = name.startswith("shared-")
    region = name.removeprefix("shared-").split("-")[0]
    order = list(SHARED_REGION.values()) if shared else list(CULTURES)
    return (int(shared), order.index(region) if region in order else len(order), name)


def _is_tracing_set(folder: Path) -> bool:
    """A folder of sought children in inquiries (not link_bench's FEBRL4 folder, whose
    records have no inquiries to fold by)."""
    requests = folder / "requests.csv"
    if not requests.exists():
        return False
    with requests.open(encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f), [])
    return "inquiry_ref" in (name.strip() for name in header)


def find_sets(workdir: Path, patterns: Sequence[str] = ()) -> list[Path]:
    """Set folders in the workdir: those holding ftr.csv and sought children in
    inquiries, or those named by the patterns."""
    if not patterns:
        found = [p for p in workdir.iterdir() if (p / "ftr.csv").exists() and _is_tracing_set(p)]
    else:
        names = [p.name for p in workdir.iterdir() if p.is_dir()]
        picked = {n for pat in patterns for n in fnmatch.filter(names, pat)}
        picked |= {pat for pat in patterns if not any(ch in pat for ch in "*?[")}
        found = [workdir / n for n in picked]
    return sorted(found, key=lambda p: _set_order(p.name))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--workdir", type=Path, default=DEFAULT_WORKDIR, help="link_bench.py's --workdir"
    )
    ap.add_argument(
        "--sets",
        default="",
        help="comma-separated set folders in the workdir, or patterns "
        "(e.g. 'sudan-*,shared-*'); default every folder holding ftr.csv",
    )
    args = ap.parse_args(argv)
    if not args.workdir.is_dir():
        print(f"no folder {args.workdir}; run bench/link_bench.py first")
        return 1
    sets = find_sets(args.workdir, [s for s in args.sets.split(",") if s])
    if not sets:
        print(f"no sets in {args.workdir}; run bench/link_bench.py first")
        return 1
    status = 0
    reports: list[SetReport] = []
    for data in sets:
        missing = [
            f for f in ("ftr.csv", "requests.csv", "children.csv") if not (data / f).exists()
        ]
        if missing:
            print(f"{data.name}: no {', '.join(missing)} in {data}; run bench/link_bench.py first")
            status = 1
            continue
        rep = report(data)
        reports.append(rep)
        print(format_report(rep), flush=True)
    if reports:
        print(f"\n{PROBABILITY_NOTE}")
        print("\nFTR against the ceiling (the union re-ranker), recall@1 and recall@10:")
        print(format_summary(reports))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
