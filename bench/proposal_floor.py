"""Where to set the proposal floor: what each floor costs in true children not proposed
and in proposals a caseworker must look at.

For each ranked output given (`ftr link`'s, or bench/realtime_bench.py's) and the truth
beside it (either generator's truth files, in the output's folder), prints per floor:
the share of sought children whose registered child is among the top 10 but scores below
the floor (never proposed: found only on request, on the inquiry page), and the mean
number of proposals per sought child (candidates at or above the floor).

Run: `.venv/bin/python bench/proposal_floor.py /tmp/ftr-link-bench/*/ftr.csv`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from evaluate import load_truth, mark_true, read_csv

FLOORS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3)


def floor_figures(
    ranked: pd.DataFrame, is_true: pd.Series, floors: tuple[float, ...]
) -> pd.DataFrame:
    """Per floor: true children in the top 10 scoring below it (share of the sought
    children whose child is in the top 10), and proposals per sought child."""
    sought = ranked["request_ref"].nunique()
    found = ranked[is_true.to_numpy()]
    rows = []
    for floor in floors:
        below = int((found["score"] < floor).sum())
        proposals = int((ranked["score"] >= floor).sum())
        rows.append(
            {
                "floor": floor,
                "true child below the floor": below / max(len(found), 1),
                "proposals per sought child": proposals / max(sought, 1),
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ranked", nargs="+", type=Path, help="ranked outputs (CSV)")
    args = parser.parse_args()
    for path in args.ranked:
        try:
            truth_c, truth_r = load_truth(path.parent)
        except ValueError as exc:
            print(f"{path}: {exc}")
            continue
        ranked = read_csv(path)
        ranked["score"] = ranked["score"].astype(float)
        is_true = pd.Series(mark_true(ranked, truth_c, truth_r), index=ranked.index)
        print(f"\n{path} ({ranked['request_ref'].nunique():,} sought children)")
        print(floor_figures(ranked, is_true, FLOORS).to_string(index=False, float_format="%.3f"))


if __name__ == "__main__":
    main()
