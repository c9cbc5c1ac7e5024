"""Run FTR's matching engine through its Python API on two CSV files.

Used by bench/link_bench.py for FEBRL4, whose identifier column (``soc_sec_id``) is not
in the DESIGN §3 CSV contract that ``ftr link`` reads: every column of the files is
handed to the engine, which decides how to compare the ones it knows. With
``--candidates-out`` it also writes the pairs its blocking kept (for blocking recall).

    python bench/ftr_engine_link.py children.csv requests.csv --top 10 --out ftr.csv
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("children", type=Path)
    ap.add_argument("requests", type=Path)
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--candidates-out", type=Path, help="also write the engine's blocked pairs")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    try:
        # Imported by name so that this script type-checks on its own, whatever state the
        # engine is in.
        engine: Any = importlib.import_module("matching")
        linker_class: Any = engine.Linker
    except (ImportError, AttributeError) as exc:
        print(
            f"ftr_engine_link: the engine API is not available ({exc}); expected "
            "`from matching import Linker` with Linker.fit(children, sought, seed=...) and "
            "linker.rank(children, sought, top_k=...)",
            file=sys.stderr,
        )
        return 3
    read = {"dtype": str, "keep_default_na": False, "na_values": [""]}
    children = pd.read_csv(args.children, **read)  # type: ignore[call-overload]
    sought = pd.read_csv(args.requests, **read)  # type: ignore[call-overload]
    linker = linker_class.fit(children, sought, seed=args.seed)
    ranked = pd.DataFrame(linker.rank(children, sought, top_k=args.top))
    ranked.to_csv(args.out, index=False)
    if args.candidates_out:
        pairs = pd.DataFrame(linker.candidates(children, sought))
        pairs[["request_ref", "child_ref"]].to_csv(args.candidates_out, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
