"""Score ranked linkage output against the generator's truth.

The ranked output follows DESIGN §3: ``request_ref`` (the sought child), ``child_ref``
(a registered child), ``rank`` (1 = best) and ``score`` (match probability 0-1).
The truth files (``truth_children.csv``, ``truth_requests.csv``) have ``ref``,
``person_id`` and ``family_id``: a registered child and a sought child are the same
person when they share ``person_id``; a registered child is a sibling of a sought child
when they share ``family_id`` but not ``person_id``.

The shared evaluation generator (``../shared/eval/ftrgen.py``) writes its truth otherwise:
``truth.csv`` (``request_ref``, ``child_ref``, empty when the child was never registered,
``family``), ``child_family.csv`` (``child_ref``, ``family``) and, with ``--reregister``,
``dup_truth.csv`` (``child_ref_a``, ``child_ref_b``: one child registered twice).
:func:`shared_truth` turns those into the two frames above (a registered child's person is
its ``child_ref``), so both generators' sets are scored by the same code; :func:`load_truth`
reads whichever a folder holds.

Usage::

    python bench/evaluate.py RANKED.csv --truth-dir DIR [--candidates CANDIDATES.csv]
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

CONFIDENT = 0.5
"""A score at or above this is a confident claim: a confident hit or a false alarm."""

BIN_WIDTH = 0.1
N_BINS = 10
MIN_BIN_ROWS = 50
"""Calibration is judged only in bins holding at least this many rows."""
CALIBRATION_TOLERANCE = 0.1


@dataclass(frozen=True)
class CalibrationBin:
    """One fixed-width score bin over all output rows."""

    low: float
    high: float
    count: int
    mean_score: float
    observed: float
    """Share of the bin's rows that are true pairs."""

    @property
    def judged(self) -> bool:
        return self.count >= MIN_BIN_ROWS

    @property
    def calibrated(self) -> bool | None:
        """Whether |observed - mean| <= 0.1; None when the bin is too small to judge."""
        if not self.judged:
            return None
        return abs(self.observed - self.mean_score) <= CALIBRATION_TOLERANCE + 1e-12


@dataclass(frozen=True)
class Metrics:
    """Quality figures of one ranked output."""

    n_sought: int
    n_registered: int
    """Sought children whose child is registered (the recall denominators)."""
    n_unregistered: int
    """Sought children whose child is not registered (the false-alarm denominator)."""
    recall_at_1: float
    recall_at_10: float
    mrr: float
    confident_hits: float
    sibling_first: float
    false_alarms: float
    n_output_rows: int
    n_true_pairs: int
    blocking_recall: float
    blocking_source: str
    """``"candidates"`` when measured on the candidate pairs, else ``"output"``."""
    n_candidate_pairs: int
    calibration: list[CalibrationBin] = field(default_factory=list)

    @property
    def calibrated_bins(self) -> tuple[int, int]:
        """(bins within tolerance, bins judged)."""
        judged = [b for b in self.calibration if b.judged]
        return sum(1 for b in judged if b.calibrated), len(judged)


def _as_key(series: pd.Series) -> pd.Series:
    """Identifiers compared as strings; empty and missing become NA."""
    out = series.astype("string").str.strip()
    return out.mask(out == "")


def _flag(series: pd.Series) -> np.ndarray:
    """A boolean array; missing counts as False."""
    return series.astype("boolean").fillna(False).to_numpy(dtype=bool)


def _truth(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    missing = {"ref", "person_id", "family_id"} - set(frame.columns)
    if missing:
        raise ValueError(f"{name} lacks column(s) {sorted(missing)}")
    out = pd.DataFrame(
        {
            "ref": _as_key(frame["ref"]),
            "person_id": _as_key(frame["person_id"]),
            "family_id": _as_key(frame["family_id"]),
        }
    )
    if out["ref"].isna().any():
        raise ValueError(f"{name} has rows without ref")
    if out["ref"].duplicated().any():
        dup = out.loc[out["ref"].duplicated(), "ref"].iloc[0]
        raise ValueError(f"{name} has duplicate ref {dup!r}")
    return out


def _pairs(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    missing = {"request_ref", "child_ref"} - set(frame.columns)
    if missing:
        raise ValueError(f"{name} lacks column(s) {sorted(missing)}")
    return pd.DataFrame(
        {"request_ref": _as_key(frame["request_ref"]), "child_ref": _as_key(frame["child_ref"])}
    )


def true_pairs(truth_children: pd.DataFrame, truth_requests: pd.DataFrame) -> pd.DataFrame:
    """Every (request_ref, child_ref) pair that is the same person."""
    tc = _truth(truth_children, "truth_children").dropna(subset=["person_id"])
    tr = _truth(truth_requests, "truth_requests").dropna(subset=["person_id"])
    merged = tr.merge(tc, on="person_id", suffixes=("_r", "_c"))
    return pd.DataFrame({"request_ref": merged["ref_r"], "child_ref": merged["ref_c"]})


def _mark(pairs: pd.DataFrame, truth: pd.DataFrame) -> np.ndarray:
    """Boolean array: is each (request_ref, child_ref) row among the truth pairs?"""
    key = truth.assign(_hit=True).drop_duplicates(["request_ref", "child_ref"])
    merged = pairs[["request_ref", "child_ref"]].merge(
        key, on=["request_ref", "child_ref"], how="left"
    )
    return merged["_hit"].notna().to_numpy(dtype=bool)


def mark_true(
    ranked: pd.DataFrame, truth_children: pd.DataFrame, truth_requests: pd.DataFrame
) -> np.ndarray:
    """Boolean array: is each row of a ranked output a true pair (the same person)?"""
    return _mark(_pairs(ranked, "ranked output"), true_pairs(truth_children, truth_requests))


def calibration_bins(scores: np.ndarray, is_true: np.ndarray) -> list[CalibrationBin]:
    """Fixed 0.1-wide bins [0, 0.1), ..., [0.9, 1.0]; empty bins are included."""
    scores = np.clip(np.asarray(scores, dtype=float), 0.0, 1.0)
    idx = np.minimum((scores / BIN_WIDTH + 1e-9).astype(int), N_BINS - 1)
    bins: list[CalibrationBin] = []
    for b in range(N_BINS):
        sel = idx == b
        n = int(sel.sum())
        bins.append(
            CalibrationBin(
                low=round(b * BIN_WIDTH, 10),
                high=round((b + 1) * BIN_WIDTH, 10),
                count=n,
                mean_score=float(scores[sel].mean()) if n else math.nan,
                observed=float(is_true[sel].mean()) if n else math.nan,
            )
        )
    return bins


def evaluate(
    ranked: pd.DataFrame,
    truth_children: pd.DataFrame,
    truth_requests: pd.DataFrame,
    candidates: pd.DataFrame | None = None,
) -> Metrics:
    """Score a ranked output (DESIGN §3 columns) against the truth.

    Sought children are the rows of ``truth_requests``; one missing from ``ranked`` counts
    as a miss (and never as a false alarm). Output rows whose request is not in the truth
    are ignored. Within a request the first-ranked row is the one with the lowest rank,
    ties broken by the higher score.
    """
    tc = _truth(truth_children, "truth_children")
    tr = _truth(truth_requests, "truth_requests")
    missing = {"request_ref", "child_ref", "rank", "score"} - set(ranked.columns)
    if missing:
        raise ValueError(f"ranked output lacks column(s) {sorted(missing)}")

    out = _pairs(ranked, "ranked output")
    out["rank"] = pd.to_numeric(ranked["rank"], errors="raise").to_numpy(dtype=float)
    out["score"] = pd.to_numeric(ranked["score"], errors="raise").to_numpy(dtype=float)
    out = out[out["request_ref"].isin(tr["ref"])].reset_index(drop=True)

    truth = true_pairs(tc, tr)
    out["is_true"] = _mark(out, truth)

    # Sibling: the row's child shares the sought child's family but is another person.
    fam = out.merge(
        tr.rename(columns={"ref": "request_ref", "person_id": "p_r", "family_id": "f_r"}),
        on="request_ref",
        how="left",
    ).merge(
        tc.rename(columns={"ref": "child_ref", "person_id": "p_c", "family_id": "f_c"}),
        on="child_ref",
        how="left",
    )
    same_family = _flag(fam["f_r"] == fam["f_c"])
    same_person = _flag(fam["p_r"] == fam["p_c"])
    out["is_sibling"] = same_family & ~same_person & ~out["is_true"].to_numpy()

    registered_people = set(tc["person_id"].dropna())
    tr = tr.assign(registered=tr["person_id"].isin(registered_people))
    n_registered = int(tr["registered"].sum())
    n_unregistered = len(tr) - n_registered

    ordered = out.sort_values(
        ["request_ref", "rank", "score"], ascending=[True, True, False], kind="mergesort"
    )
    # Position among the request's rows (1-based), robust to gaps or ties in ``rank``.
    ordered["pos"] = ordered.groupby("request_ref", sort=False).cumcount() + 1
    first = ordered.drop_duplicates("request_ref").set_index("request_ref")
    best_true = ordered[ordered["is_true"]].groupby("request_ref")["pos"].min()
    top_score = ordered.groupby("request_ref")["score"].max()

    reg = tr.loc[tr["registered"], "ref"]
    best = best_true.reindex(reg).to_numpy(dtype=float)  # NaN: true child not in output
    first_reg = first.reindex(reg)
    hit1 = _flag(first_reg["is_true"])
    confident = hit1 & (first_reg["score"].fillna(0.0).to_numpy(dtype=float) >= CONFIDENT)
    sib1 = _flag(first_reg["is_sibling"])

    def share(x: np.ndarray) -> float:
        return float(x.mean()) if len(x) else math.nan

    unreg = tr.loc[~tr["registered"], "ref"]
    unreg_top = top_score.reindex(unreg).fillna(0.0).to_numpy(dtype=float)

    if candidates is not None:
        cand = _pairs(candidates, "candidates").drop_duplicates()
        blocked = _mark(truth, cand)
        source, n_cand = "candidates", len(cand)
    else:
        blocked = _mark(truth, out)
        source, n_cand = "output", len(out)

    return Metrics(
        n_sought=len(tr),
        n_registered=n_registered,
        n_unregistered=n_unregistered,
        recall_at_1=share(np.nan_to_num(best, nan=np.inf) <= 1),
        recall_at_10=share(np.nan_to_num(best, nan=np.inf) <= 10),
        mrr=share(np.where(np.isnan(best), 0.0, 1.0 / np.nan_to_num(best, nan=1.0))),
        confident_hits=share(confident),
        sibling_first=share(sib1),
        false_alarms=share(unreg_top >= CONFIDENT),
        n_output_rows=len(out),
        n_true_pairs=len(truth),
        blocking_recall=share(blocked),
        blocking_source=source,
        n_candidate_pairs=n_cand,
        calibration=calibration_bins(
            out["score"].to_numpy(dtype=float), out["is_true"].to_numpy(dtype=bool)
        ),
    )


# ---------------------------------------------------------------------------- truth files

OUR_TRUTH = ("truth_children.csv", "truth_requests.csv")
SHARED_TRUTH = "truth.csv"
SHARED_FAMILY = "child_family.csv"
SHARED_DUPLICATES = "dup_truth.csv"


def _need(frame: pd.DataFrame, columns: set[str], name: str) -> None:
    missing = columns - set(frame.columns)
    if missing:
        raise ValueError(f"{name} lacks column(s) {sorted(missing)}")


def shared_truth(
    truth: pd.DataFrame,
    child_family: pd.DataFrame,
    duplicates: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The shared generator's truth as (truth_children, truth_requests) for :func:`evaluate`.

    Every registered child listed in ``child_family`` is a person of its own (``person_id``
    = its ``child_ref``) unless ``duplicates`` says it is a second registration of another
    (then it takes that child's person, and either record counts as found, as with our
    generator's truth; ``score.py`` accepts only the record named in ``truth.csv``).
    A sought child's person is its ``child_ref``; empty means never registered.
    """
    _need(truth, {"request_ref", "child_ref", "family"}, SHARED_TRUTH)
    _need(child_family, {"child_ref", "family"}, SHARED_FAMILY)
    children = pd.DataFrame(
        {
            "ref": _as_key(child_family["child_ref"]),
            "person_id": _as_key(child_family["child_ref"]),
            "family_id": _as_key(child_family["family"]),
        }
    )
    if duplicates is not None and len(duplicates):
        _need(duplicates, {"child_ref_a", "child_ref_b"}, SHARED_DUPLICATES)
        first = dict(
            zip(_as_key(duplicates["child_ref_b"]), _as_key(duplicates["child_ref_a"]), strict=True)
        )
        children["person_id"] = children["ref"].map(lambda ref: first.get(ref, ref))
    requests = pd.DataFrame(
        {
            "ref": _as_key(truth["request_ref"]),
            "person_id": _as_key(truth["child_ref"]),
            "family_id": _as_key(truth["family"]),
        }
    )
    unknown = set(requests["person_id"].dropna()) - set(children["ref"].dropna())
    if unknown:
        raise ValueError(
            f"{SHARED_TRUTH} names child(ren) missing from {SHARED_FAMILY}, "
            f"e.g. {sorted(unknown)[0]!r}"
        )
    return children, requests


def load_truth(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(truth_children, truth_requests) from a folder of either generator's truth files."""
    if all((folder / name).exists() for name in OUR_TRUTH):
        return read_csv(folder / OUR_TRUTH[0]), read_csv(folder / OUR_TRUTH[1])
    if (folder / SHARED_TRUTH).exists():
        if not (folder / SHARED_FAMILY).exists():
            raise ValueError(f"{folder} has {SHARED_TRUTH} but no {SHARED_FAMILY}")
        dups = folder / SHARED_DUPLICATES
        return shared_truth(
            read_csv(folder / SHARED_TRUTH),
            read_csv(folder / SHARED_FAMILY),
            read_csv(dups) if dups.exists() else None,
        )
    raise ValueError(
        f"{folder} holds neither {' and '.join(OUR_TRUTH)} nor {SHARED_TRUTH} + {SHARED_FAMILY}"
    )


# ---------------------------------------------------------------------------- printing

_ROWS: list[tuple[str, str]] = [
    ("recall@1", "recall_at_1"),
    ("recall@10", "recall_at_10"),
    ("MRR", "mrr"),
    ("confident hits (true first, p>=0.5)", "confident_hits"),
    ("sibling ranked first", "sibling_first"),
    ("false alarms (unregistered, top p>=0.5)", "false_alarms"),
    ("blocking recall", "blocking_recall"),
]


def _fmt(x: float | int | str | None, digits: int = 3) -> str:
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    if isinstance(x, int):
        return f"{x:,}"
    if math.isnan(x):
        return "n/a"
    return f"{x:.{digits}f}"


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for j, r in enumerate([header, *rows]):
        cells = [r[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_comparison(
    results: Mapping[str, Metrics | None],
    extra: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """Systems side by side. ``extra`` adds rows, e.g. {"wall time": {"ftr": "3.2 s"}}.

    A system mapped to None (it failed or was skipped) shows "-" in every row.
    """
    names = list(results)
    rows: list[list[str]] = []

    def cell(name: str, fn: str) -> str:
        m = results[name]
        return "-" if m is None else _fmt(getattr(m, fn))

    for label, attr in _ROWS:
        rows.append([label, *(cell(n, attr) for n in names)])

    def calib(name: str) -> str:
        m = results[name]
        if m is None:
            return "-"
        ok, judged = m.calibrated_bins
        return f"{ok}/{judged}"

    rows.append(["calibrated bins (of bins >= 50 rows)", *(calib(n) for n in names)])

    def count(name: str, attr: str) -> str:
        m = results[name]
        return "-" if m is None else _fmt(int(getattr(m, attr)))

    def source(name: str) -> str:
        m = results[name]
        return (
            "-"
            if m is None
            else {"output": "top-K output"}.get(m.blocking_source, m.blocking_source)
        )

    rows.append(["blocking recall measured on", *(source(n) for n in names)])
    rows.append(["candidate pairs", *(count(n, "n_candidate_pairs") for n in names)])
    rows.append(["output rows", *(count(n, "n_output_rows") for n in names)])
    for label, values in (extra or {}).items():
        rows.append([label, *(values.get(n, "-") for n in names)])
    return format_table(["", *names], rows)


def format_calibration(m: Metrics) -> str:
    rows = []
    for b in m.calibration:
        ok = {None: "", True: "ok", False: "OFF"}[b.calibrated]
        rows.append(
            [
                f"[{b.low:.1f}, {b.high:.1f}{']' if b.high >= 1.0 else ')'}",
                _fmt(b.count),
                _fmt(b.mean_score),
                _fmt(b.observed),
                ok,
            ]
        )
    return format_table(["score bin", "rows", "mean score", "observed", "|obs-mean|<=0.1"], rows)


def format_metrics(m: Metrics, title: str = "") -> str:
    """One system's figures and its calibration table."""
    head = (f"{title}\n" if title else "") + (
        f"sought children: {m.n_sought:,} ({m.n_registered:,} registered, "
        f"{m.n_unregistered:,} not registered); true pairs: {m.n_true_pairs:,}; "
        f"blocking recall measured on {m.blocking_source}"
    )
    body = format_table(["metric", "value"], [[label, _fmt(getattr(m, a))] for label, a in _ROWS])
    return f"{head}\n{body}\n\ncalibration (all output rows)\n{format_calibration(m)}"


# ---------------------------------------------------------------------------- CLI


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument(
        "ranked", type=Path, help="ranked output CSV (request_ref, child_ref, rank, score)"
    )
    ap.add_argument(
        "--truth-dir",
        type=Path,
        required=True,
        help="folder with truth_children.csv and truth_requests.csv (our generator) or "
        "truth.csv and child_family.csv (the shared generator)",
    )
    ap.add_argument(
        "--candidates", type=Path, help="CSV of candidate pairs (request_ref, child_ref)"
    )
    args = ap.parse_args(argv)
    try:
        ranked = read_csv(args.ranked)
        tc, tr = load_truth(args.truth_dir)
        cand = read_csv(args.candidates) if args.candidates else None
        metrics = evaluate(ranked, tc, tr, cand)
    except (OSError, ValueError) as exc:
        print(f"evaluate: {exc}", file=sys.stderr)
        return 2
    print(format_metrics(metrics, str(args.ranked)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
