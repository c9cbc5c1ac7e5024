"""Real-time matching against `ftr link` on one small generated set, in each arrival
order: records registered and filed one at a time through the service calls, then the
stored ranking set beside `ftr link`'s on the same files."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from matching import Linker
from tracing.linkage.link_command import load

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "data" / "samples"))

import generate  # noqa: E402


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_realtime", ROOT / "bench" / "realtime_bench.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_realtime"] = mod
    spec.loader.exec_module(mod)
    return mod


rt = _load()


@pytest.fixture(scope="module")
def scenario_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("realtime")
    scenario = generate.generate("mixed", 240, 70, seed=4)
    generate.write(scenario, folder)
    return folder


def _firsts(ranked: pd.DataFrame) -> dict[str, str]:
    first = ranked[ranked["rank"].astype(int) == 1]
    return dict(zip(first["request_ref"].astype(str), first["child_ref"].astype(str), strict=True))


def test_the_arrivals_follow_the_order_asked() -> None:
    children = [
        {"ref": "C2", "registration_date": "2026-01-05"},
        {"ref": "C1", "registration_date": "2026-01-05"},
    ]
    requests = [
        {"ref": "R1", "inquiry_ref": "I1", "request_date": "2026-01-04"},
        {"ref": "R2", "inquiry_ref": "I1", "request_date": "2026-01-04"},
        {"ref": "R3", "inquiry_ref": "", "request_date": "2026-01-06"},
    ]
    plan = rt.arrivals(children, requests, "interleaved")
    assert [(a.kind, a.ref) for a in plan] == [
        ("inquiry", "I1"),
        ("child", "C1"),
        ("child", "C2"),
        ("inquiry", "R3"),
    ]
    assert [len(a.rows) for a in plan] == [2, 1, 1, 1]
    assert [a.kind for a in rt.arrivals(children, requests, "requests-first")] == [
        "inquiry",
        "inquiry",
        "child",
        "child",
    ]


@pytest.mark.parametrize("order", rt.ORDERS)
def test_real_time_ranks_first_the_child_ftr_link_ranks_first(
    order: str, scenario_files: Path, fresh_database_url: str, tmp_path: Path
) -> None:
    children_file, requests_file = scenario_files / "children.csv", scenario_files / "requests.csv"
    out = tmp_path / "realtime.csv"
    rt.run_realtime(fresh_database_url, children_file, requests_file, order, out)
    realtime = pd.read_csv(out, dtype={"request_ref": str, "child_ref": str})
    linked = Linker.fit(load("children", children_file), load("requests", requests_file)).rank(
        load("children", children_file), load("requests", requests_file), top_k=10
    )
    truth_c = pd.read_csv(scenario_files / "truth_children.csv", dtype=str)
    truth_r = pd.read_csv(scenario_files / "truth_requests.csv", dtype=str)
    registered = set(truth_c["person_id"])
    wanted = [
        ref
        for ref, person in zip(truth_r["ref"], truth_r["person_id"], strict=True)
        if person in registered
    ]
    ours, theirs = _firsts(realtime), _firsts(linked)
    assert len(wanted) > 30
    differ = [ref for ref in wanted if ours.get(ref) != theirs.get(ref)]
    assert not differ, [(r, ours.get(r), theirs.get(r)) for r in differ]
