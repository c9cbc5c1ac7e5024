"""Quick developer evaluation of the matching engine on generated scenarios.

Usage: .venv/bin/python bench/dev_eval.py [--children 20000] [--sought 5000] [culture ...]
Prints recall@1/@10, confident hits, false alarms, sibling-first, blocking recall,
calibration bins, fit+rank wall time and peak RSS (fit and rank run in a child process
per culture so that the RSS is the engine's own).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "data" / "samples"))


def _run(culture: str, n_children: int, n_sought: int, seed: int, q: Any) -> None:
    import generate

    from matching import Linker

    sc = generate.generate(culture, n_children, n_sought, seed=seed)
    t0 = time.perf_counter()
    linker = Linker.fit(sc.children, sc.requests, seed=seed)
    t1 = time.perf_counter()
    out = linker.rank(sc.children, sc.requests, top_k=10)
    t2 = time.perf_counter()
    cand = linker.candidates(sc.children, sc.requests)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    q.put((sc.truth_children, sc.truth_requests, out, cand, t1 - t0, t2 - t1, rss, linker.info))


def evaluate(
    tc: pd.DataFrame, tr: pd.DataFrame, out: pd.DataFrame, cand: pd.DataFrame
) -> dict[str, float]:
    pc = dict(zip(tc["ref"], tc["person_id"], strict=True))
    fc = dict(zip(tc["ref"], tc["family_id"], strict=True))
    registered = set(tc["person_id"])
    person_child = dict(zip(tc["person_id"], tc["ref"], strict=True))
    best = out[out["rank"] == 1]
    bchild = dict(zip(best["request_ref"], best["child_ref"], strict=True))
    bscore = dict(zip(best["request_ref"], best["score"], strict=True))
    top10 = set(zip(out["request_ref"], out["child_ref"], strict=True))
    cset = set(zip(cand["request_ref"], cand["child_ref"], strict=True))
    n = h1 = h10 = conf = sib = blk = nn = fa = 0
    for ref, pid, fid in zip(tr["ref"], tr["person_id"], tr["family_id"], strict=True):
        if pid in registered:
            n += 1
            c = bchild.get(ref)
            true_c = person_child[pid]
            ok = c == true_c
            h1 += ok
            h10 += (ref, true_c) in top10
            blk += (ref, true_c) in cset
            conf += ok and bscore[ref] >= 0.5
            sib += (c is not None) and not ok and fc.get(c) == fid and pc.get(c) != pid
        else:
            nn += 1
            fa += bscore.get(ref, 0.0) >= 0.5
    # calibration bins
    pid_of_req = dict(zip(tr["ref"], tr["person_id"], strict=True))
    is_true = np.array(
        [
            pc.get(c) == pid_of_req.get(r)
            for r, c in zip(out["request_ref"], out["child_ref"], strict=True)
        ]
    )
    scores = out["score"].to_numpy()
    bins = np.minimum((scores * 10).astype(int), 9)
    cal = []
    for b in range(10):
        m = bins == b
        if m.sum():
            cal.append(f"{b / 10:.1f}:{m.sum()}:{scores[m].mean():.2f}/{is_true[m].mean():.2f}")
    return {
        "recall@1": h1 / max(n, 1),
        "recall@10": h10 / max(n, 1),
        "confident": conf / max(n, 1),
        "sibling_first": sib / max(n, 1),
        "false_alarms": fa / max(nn, 1),
        "blocking_recall": blk / max(n, 1),
        "pairs_per_sought": len(cand) / max(len(tr), 1),
        "calibration": " ".join(cal),  # type: ignore[dict-item]
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("cultures", nargs="*", default=["sudan", "khmer", "ukraine", "mixed"])
    ap.add_argument("--children", type=int, default=20000)
    ap.add_argument("--sought", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    ctx = mp.get_context("spawn")
    for culture in a.cultures:
        q = ctx.Queue()
        p = ctx.Process(target=_run, args=(culture, a.children, a.sought, a.seed, q))
        p.start()
        tc, tr, out, cand, tfit, trank, rss, _info = q.get()
        p.join()
        r = evaluate(tc, tr, out, cand)
        print(
            f"{culture:8s} r@1={r['recall@1']:.3f} r@10={r['recall@10']:.3f} "
            f"conf={r['confident']:.3f} fa={r['false_alarms']:.3f} "
            f"sib1={r['sibling_first']:.3f} blk={r['blocking_recall']:.3f} "
            f"pairs/s={r['pairs_per_sought']:.0f} fit={tfit:.1f}s rank={trank:.1f}s "
            f"total={tfit + trank:.1f}s rss={rss:.0f}MB",
            flush=True,
        )
        print(f"         calibration bin:rows:mean/observed {r['calibration']}", flush=True)


if __name__ == "__main__":
    main()
