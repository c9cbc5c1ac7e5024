"""Baseline (a): recordlinkage as a plain user would set it up.

Index → compare → classify, straight from the recordlinkage tutorial: clean the names,
block on the Soundex code of the given name, compare names with Jaro-Winkler, age and
separation point with Gaussian decay, sex and date of birth exactly, and score a pair by a
weighted sum of the similarities divided by the sum of the weights of the fields known on
both sides (0-1). No order-swap handling, no term frequencies, no transliteration: what
one gets without knowing this data. The score is not a probability.

    python bench/baselines/rl_baseline.py children.csv requests.csv --top 10 --out rl.csv
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
import pandas as pd
import recordlinkage
from baseline_io import (
    CHILD_COLUMNS,
    REQUEST_COLUMNS,
    Stopwatch,
    parse_args,
    read_records,
    top_k,
    write_ranked,
)
from recordlinkage.preprocessing import clean, phonetic

WEIGHTS: dict[str, float] = {
    "given_name": 3.0,
    "family_name": 2.0,
    "mother_name": 1.0,
    "father_name": 1.0,
    "sex": 1.0,
    "age": 1.0,
    "date_of_birth": 2.0,
    "place": 1.0,
    "place_text": 1.0,
}


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """Cleaned names, a phonetic blocking key and numeric fields, indexed by ref."""
    out = pd.DataFrame(index=pd.Index(frame["ref"].astype(str), name="ref"))
    for col in ("given_name", "family_name", "mother_name", "father_name", "separation_place"):
        text = pd.Series(frame[col].fillna("").astype(str).to_numpy(), index=out.index)
        cleaned = clean(text, strip_accents="unicode")
        out[col] = cleaned.mask(cleaned == "")
    code = phonetic(out["given_name"], method="soundex")
    out["given_soundex"] = code.mask(code == "")
    sex = frame["sex"].str.lower().str[:1].to_numpy()
    out["sex"] = pd.Series(sex, index=out.index).where(lambda s: s.isin(["m", "f"]), np.nan)
    out["date_of_birth"] = (
        frame["date_of_birth"]
        .astype(object)
        .where(frame["date_of_birth"].notna(), np.nan)
        .to_numpy()
    )
    for col in ("age", "separation_lat", "separation_lon"):
        out[col] = pd.to_numeric(pd.Series(frame[col].to_numpy(), index=out.index), errors="coerce")
    return out


def link(children: pd.DataFrame, requests: pd.DataFrame, clock: Stopwatch) -> pd.DataFrame:
    """Every blocked pair with its weighted-sum score (request_ref, child_ref, score)."""
    a, b = prepare(requests), prepare(children)
    clock.lap("prepare")
    indexer = recordlinkage.Index()
    indexer.block("given_soundex")
    pairs = indexer.index(a, b)
    clock.lap(f"block ({len(pairs):,} pairs)")

    comp = recordlinkage.Compare()
    nan = np.nan
    for col in ("given_name", "family_name", "mother_name", "father_name"):
        comp.string(col, col, method="jarowinkler", label=col, missing_value=nan)
    comp.string(
        "separation_place",
        "separation_place",
        method="jarowinkler",
        label="place_text",
        missing_value=nan,
    )
    comp.exact("sex", "sex", label="sex", missing_value=nan)
    comp.exact("date_of_birth", "date_of_birth", label="date_of_birth", missing_value=nan)
    comp.numeric(
        "age", "age", method="gauss", offset=1.0, scale=3.0, label="age", missing_value=nan
    )
    comp.geo(
        "separation_lat",
        "separation_lon",
        "separation_lat",
        "separation_lon",
        method="gauss",
        offset=10.0,
        scale=50.0,
        label="place",
        missing_value=nan,
    )
    features = comp.compute(pairs, a, b)
    clock.lap("compare")

    weights = pd.Series(WEIGHTS)
    values = features[weights.index].to_numpy(dtype=float)
    known = ~np.isnan(values)
    total = known @ weights.to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(total > 0, np.nan_to_num(values) @ weights.to_numpy() / total, 0.0)
    return pd.DataFrame(
        {
            "request_ref": features.index.get_level_values(0),
            "child_ref": features.index.get_level_values(1),
            "score": np.clip(score, 0.0, 1.0),
        }
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(__doc__.split("\n\n")[0] if __doc__ else "", argv)
    clock = Stopwatch("rl")
    children = read_records(args.children, CHILD_COLUMNS)
    requests = read_records(args.requests, REQUEST_COLUMNS)
    clock.lap(f"read {len(children):,} children, {len(requests):,} sought")
    scored = link(children, requests, clock)
    if args.candidates_out:
        scored[["request_ref", "child_ref"]].to_csv(args.candidates_out, index=False)
        clock.lap("write candidates")
    write_ranked(top_k(scored, args.top), args.out)
    clock.lap("rank and write")
    return 0


if __name__ == "__main__":
    sys.exit(main())
