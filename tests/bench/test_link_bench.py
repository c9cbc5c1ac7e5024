"""The bench's measuring and FEBRL4 helpers (the bench itself is run by hand)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_link_bench", ROOT / "bench" / "link_bench.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_link_bench"] = mod
    spec.loader.exec_module(mod)
    return mod


lb = _load()


def test_run_measured_reports_the_child_peak_memory(tmp_path: Path) -> None:
    code = "import time; b = b'x' * (300 * 2**20); time.sleep(0.3)"
    run = lb.run_measured([sys.executable, "-c", code], tmp_path / "log.txt")
    assert run.ok
    assert run.peak_rss_bytes >= 300 * 2**20
    assert 0.3 <= run.wall_s < 30


def test_run_measured_stops_at_the_timeout(tmp_path: Path) -> None:
    run = lb.run_measured(
        [sys.executable, "-c", "import time; print('started'); time.sleep(30)"],
        tmp_path / "log.txt",
        timeout=0.5,
    )
    assert run.timed_out and not run.ok and run.wall_s < 10
    assert "started" in run.tail()


def _truth(refs: list[str], people: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"ref": refs, "person_id": people, "family_id": ""})


def test_precision_recall_f1_at_threshold() -> None:
    tc = _truth(["a1", "a2", "a3"], ["1", "2", "3"])
    tr = _truth(["b1", "b2", "b4"], ["1", "2", "4"])  # b4 has no true partner
    ranked = pd.DataFrame(
        {
            "request_ref": ["b1", "b1", "b2", "b4"],
            "child_ref": ["a1", "a2", "a3", "a1"],
            "rank": [1, 2, 1, 1],
            "score": [0.9, 0.6, 0.7, 0.4],
        }
    )
    prf = lb.precision_recall_f1(ranked, tc, tr)
    assert (prf.predicted, prf.true_pairs) == (3, 2)
    assert prf.precision == pytest.approx(1 / 3)
    assert prf.recall == pytest.approx(1 / 2)
    assert prf.f1 == pytest.approx(0.4)
    f1, cut = lb.best_f1(ranked, tc, tr)
    assert (f1, cut) == (pytest.approx(2 / 3), 0.9)  # keep only b1-a1: P 1, R 1/2


def test_febrl_dates_become_iso_or_empty() -> None:
    assert lb._iso_date("19560909") == "1956-09-09"
    assert lb._iso_date("19561340") == ""
    assert lb._iso_date("") == ""
    assert lb._iso_date(None) == ""


def test_febrl4_frames_follow_the_contract() -> None:
    a, b, ta, tb = lb.febrl4_frames()
    assert len(a) == len(b) == 5000
    assert {
        "ref",
        "given_name",
        "family_name",
        "date_of_birth",
        "separation_place",
        "soc_sec_id",
    } <= set(a.columns)
    assert a["ref"].is_unique and b["ref"].is_unique
    assert set(ta["person_id"]) == set(tb["person_id"])  # every record has its twin
    dates = a["date_of_birth"][a["date_of_birth"] != ""]
    assert dates.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()


def _result(system: str, recall1: float, wall: float, **kw: float) -> Any:
    tc = _truth(["C1", "C2"], ["1", "2"])
    tr = _truth(["R1", "R2"], ["1", "2"])
    hits = round(recall1 * 2)
    ranked = pd.DataFrame(
        {
            "request_ref": ["R1", "R2"],
            "child_ref": ["C1" if hits >= 1 else "C2", "C2" if hits >= 2 else "C1"],
            "rank": [1, 1],
            "score": [kw.get("score", 0.9)] * 2,
        }
    )
    metrics = lb.evaluate(ranked, tc, tr)
    run = lb.Run(system, 0, wall, 2**20, Path("/dev/null"))
    res = lb.Result(system, run, metrics)
    res.collapsed = system in lb.SPLINKS and metrics.recall_at_1 < lb.EM_COLLAPSED_BELOW
    return res


def test_a_collapsed_splink_is_not_the_peer() -> None:
    ftr = _result("ftr", 1.0, 2.0)
    ours = _result("splink", 0.5, 1.0)
    shared = _result("splink-shared", 0.0, 1.0)  # below EM_COLLAPSED_BELOW
    assert shared.collapsed and shared.peer_metrics is None
    assert lb.better_peer([ftr, ours, shared]).system == "splink"
    assert lb.better_peer([ftr, shared]) is None
    verdict = {row["metric"]: row["ftr_beats"] for row in lb.compare_with_peer(ftr, ours)}
    assert verdict["recall@1"] == "yes" and verdict["wall time (s)"] == "no"
    assert verdict["peak RSS (MiB)"] == "equal"
    assert verdict["blocking recall (candidates)"] == "n/a"  # measured on the output only
    assert lb.wall_ratio([ftr, shared]) == pytest.approx(2.0)
    text = lb.format_verdict(lb.compare_with_peer(ftr, ours), "splink")
    assert "FTR beats it" in text and "splink" in text


def test_our_sets_stay_where_evidence_ceiling_reads_them(tmp_path: Path) -> None:
    args = lb.parse_args(["--workdir", str(tmp_path), "--children", "20", "--sought", "5"])
    assert lb.set_dir(args, "ours", "khmer") == tmp_path / "khmer-20x5-seed1"
    assert lb.set_dir(args, "shared", "khmer") == tmp_path / "shared-cambodia-20x5-seed21"
    assert args.generators == ["ours", "shared"]
    assert args.systems == ["ftr", "rl", "splink", "splink-shared"]


def test_run_measured_passes_extra_environment(tmp_path: Path) -> None:
    code = "import os; print('value=' + os.environ['FTR_BENCH_TEST'])"
    run = lb.run_measured(
        [sys.executable, "-c", code], tmp_path / "log", env={"FTR_BENCH_TEST": "7"}
    )
    assert run.ok and "value=7" in run.tail()
