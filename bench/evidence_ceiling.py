"""How far could FTR's own evidence go if the truth were known? A ceiling for the targets.

``bench/link_bench.py`` leaves, per culture, the generated data and ``ftr link``'s ranked
output with its per-field evidence (``*_weight`` columns). This script refits two things
*with the truth*, in 2-fold cross-validation over inquiries (fitted on one half of the
inquiries, scored on the other, so that no row scores itself), and evaluates them exactly
as the bench does:

* **truth calibration**: FTR's score mapped through an isotonic regression on the truth.
  The ranking is unchanged; it shows what a calibration of the same scores fitted to the
  truth gives for confident hits and false alarms.
* **truth weights**: a logistic regression (scikit-learn's default, L2-regularised) on
  the per-field weights and the prior, sibling and competition terms: a reweighting of
  the same evidence fitted to these very data. The rows are re-ranked within FTR's top K
  by the new score.

Both see only the rows FTR wrote (its top K), so neither can find a child FTR did not
rank (recall@1 stays under FTR's recall@K), and neither is the best any model could do:
they are estimates of how much better the same evidence, weighted with the truth known,
would score, not bounds.

    python bench/link_bench.py --systems ftr          # writes the data and ftr.csv
    python bench/evidence_ceiling.py                  # reads them
"""

from __future__ import annotations

import argparse
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parent))

from evaluate import Metrics, evaluate, format_comparison, mark_true, read_csv

CULTURES = ("sudan", "khmer", "ukraine")
FOLDS = 2


def _fold_of(requests: pd.DataFrame) -> pd.Series:
    """Fold of each sought child: by inquiry (siblings stay together), stable across runs."""
    inquiry = requests["inquiry_ref"].fillna("").astype(str)
    key = inquiry.where(inquiry != "", requests["ref"].astype(str))
    fold = [zlib.crc32(k.encode()) % FOLDS for k in key]
    return pd.Series(fold, index=requests["ref"].astype(str))


def evidence_columns(ranked: pd.DataFrame) -> list[str]:
    return [c for c in ranked.columns if c.endswith("_weight")]


def cross_fitted(
    ranked: pd.DataFrame, is_true: np.ndarray, fold: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(isotonic score, logistic score) for every row, each from the other fold's fit."""
    iso = np.zeros(len(ranked))
    logistic = np.zeros(len(ranked))
    score = ranked["score"].to_numpy(dtype=float)
    x = ranked[evidence_columns(ranked)].to_numpy(dtype=float)
    for k in range(FOLDS):
        train, test = fold != k, fold == k
        if not test.any() or len(np.unique(is_true[train])) < 2:
            raise ValueError(f"fold {k}: no rows to score, or no true and false rows to fit")
        iso_fit = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        iso[test] = iso_fit.fit(score[train], is_true[train]).predict(score[test])
        lr = LogisticRegression(max_iter=2000).fit(x[train], is_true[train])
        logistic[test] = lr.predict_proba(x[test])[:, 1]
    return iso, logistic


def _reranked(ranked: pd.DataFrame, score: np.ndarray) -> pd.DataFrame:
    out = ranked[["request_ref", "child_ref"]].assign(score=score)
    out = out.sort_values(["request_ref", "score"], ascending=[True, False], kind="mergesort")
    out["rank"] = out.groupby("request_ref", sort=False).cumcount() + 1
    return out.reset_index(drop=True)


def ceiling(data: Path) -> dict[str, Metrics]:
    ranked = read_csv(data / "ftr.csv")
    tc = read_csv(data / "truth_children.csv")
    tr = read_csv(data / "truth_requests.csv")
    requests = read_csv(data / "requests.csv")
    fold_of_ref = _fold_of(requests).reindex(ranked["request_ref"].astype(str))
    if fold_of_ref.isna().any():
        missing = sorted(set(fold_of_ref[fold_of_ref.isna()].index))[:5]
        raise ValueError(f"ranked rows for sought children not in requests.csv: {missing}")
    fold = fold_of_ref.to_numpy(dtype=int)
    is_true = mark_true(ranked, tc, tr)
    iso, logistic = cross_fitted(ranked, is_true, fold)
    return {
        "ftr": evaluate(ranked, tc, tr),
        "truth calibration": evaluate(ranked.assign(score=iso), tc, tr),
        "truth weights": evaluate(_reranked(ranked, logistic), tc, tr),
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/ftr-link-bench"))
    ap.add_argument("--cultures", default=",".join(CULTURES))
    ap.add_argument("--children", type=int, default=20_000)
    ap.add_argument("--sought", type=int, default=5_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    status = 0
    for culture in [c for c in args.cultures.split(",") if c]:
        data = args.workdir / f"{culture}-{args.children}x{args.sought}-seed{args.seed}"
        if not (data / "ftr.csv").exists():
            print(f"{culture}: no {data / 'ftr.csv'}; run bench/link_bench.py first")
            status = 1
            continue
        results = ceiling(data)
        print(f"\n{culture}: FTR's evidence refitted with the truth (2-fold by inquiry)")
        table = format_comparison(dict(results)).splitlines()
        # every column holds FTR's top K rows: blocking and pair counts say nothing here
        skip = ("blocking recall", "candidate pairs")
        print("\n".join(line for line in table if not line.startswith(skip)))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
