"""Reading DESIGN §3 CSVs and writing ranked output, shared by the baseline scripts.

The baselines read what a user of another tool would be handed: children.csv and
requests.csv as they are (every cell a string, empty = unknown); of FTR they take only
the contract's column names (`tracing.contract`), none of its validation or engine.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from tracing import contract

# The contract's columns, from its one source; a file may hold more, or fewer.
CHILD_COLUMNS = list(contract.CHILD_COLUMNS)
REQUEST_COLUMNS = list(contract.REQUEST_COLUMNS)
RANKED_COLUMNS = ["request_ref", "child_ref", "rank", "score"]


def read_records(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """Every cell as a string, missing as NA; absent optional columns added empty."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    for col in columns:
        if col not in frame.columns:
            frame[col] = pd.NA
    frame = frame[list(columns)].copy()
    for col in columns:
        frame[col] = frame[col].astype("string").str.strip().replace("", pd.NA)
    return frame


def parse_args(description: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("children", type=Path, help="children.csv (DESIGN §3)")
    ap.add_argument("requests", type=Path, help="requests.csv (DESIGN §3)")
    ap.add_argument("--top", type=int, default=10, help="candidates kept per sought child")
    ap.add_argument("--out", type=Path, required=True, help="ranked output CSV")
    ap.add_argument(
        "--candidates-out",
        type=Path,
        help="also write every blocked pair (request_ref, child_ref), for blocking recall",
    )
    return ap.parse_args(argv)


def top_k(pairs: pd.DataFrame, k: int) -> pd.DataFrame:
    """Keep the k best-scoring children per request; rank 1 = best; sorted by request, rank."""
    ordered = pairs.sort_values(
        ["request_ref", "score", "child_ref"], ascending=[True, False, True], kind="mergesort"
    )
    ordered = ordered.assign(rank=ordered.groupby("request_ref").cumcount() + 1)
    kept = ordered[ordered["rank"] <= k]
    return kept[[*RANKED_COLUMNS, *[c for c in kept.columns if c not in RANKED_COLUMNS]]]


def write_ranked(ranked: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ranked.to_csv(path, index=False, float_format="%.6f")


class Stopwatch:
    """Prints the time of each step to stderr, so a run can be read afterwards."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.start = self.last = time.perf_counter()

    def lap(self, what: str) -> None:
        now = time.perf_counter()
        print(
            f"[{self.name}] {what}: {now - self.last:.2f} s (total {now - self.start:.2f} s)",
            file=sys.stderr,
            flush=True,
        )
        self.last = now
