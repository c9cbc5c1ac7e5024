"""The evidence ceiling on a hand-made output whose score is wrong but whose evidence is right."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    path = ROOT / "bench" / "evidence_ceiling.py"
    spec = importlib.util.spec_from_file_location("bench_evidence_ceiling", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_evidence_ceiling"] = mod
    spec.loader.exec_module(mod)
    return mod


ceiling_mod = _load()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """60 sought children, one inquiry each: 50 registered, 10 never registered.

    FTR's score puts a decoy first for everyone (0.6 against the true child's 0.4, and
    0.7 for the unregistered), while the name evidence tells them apart."""
    rng = np.random.default_rng(0)
    rows, children, requests = [], [], []
    for k in range(60):
        ref = f"R{k}"
        registered = k < 50
        requests.append((ref, f"I{k}", f"p{k}" if registered else f"q{k}", f"f{k}"))
        decoy = f"D{k}"
        children.append((decoy, f"d{k}", f"g{k}"))
        noise = rng.normal(0.0, 0.3, 2)
        if registered:
            children.append((f"C{k}", f"p{k}", f"f{k}"))
            rows.append((ref, decoy, 1, 0.6, -2.0 + noise[0]))
            rows.append((ref, f"C{k}", 2, 0.4, 2.0 + noise[1]))
        else:
            rows.append((ref, decoy, 1, 0.7, -2.0 + noise[0]))
    _write(tmp_path, rows, children, requests)
    return tmp_path


def _write(
    path: Path,
    rows: list[tuple[object, ...]],
    children: list[tuple[str, str, str]],
    requests: list[tuple[str, str, str, str]],
) -> None:
    """ftr.csv, the truth and requests.csv (ref, inquiry_ref) as link_bench leaves them."""
    columns = ["request_ref", "child_ref", "rank", "score", "name_weight"]
    pd.DataFrame(rows, columns=columns).to_csv(path / "ftr.csv", index=False)
    cols = ["ref", "person_id", "family_id"]
    pd.DataFrame(children, columns=cols).to_csv(path / "truth_children.csv", index=False)
    truth_r = pd.DataFrame([(r, p, f) for r, _, p, f in requests], columns=cols)
    truth_r.to_csv(path / "truth_requests.csv", index=False)
    inquiries = pd.DataFrame([(r, i) for r, i, _, _ in requests], columns=["ref", "inquiry_ref"])
    inquiries.to_csv(path / "requests.csv", index=False)


def test_truth_weights_rerank_by_the_evidence(workdir: Path) -> None:
    results = ceiling_mod.ceiling(workdir)
    ftr, weights = results["ftr"], results["truth weights"]
    assert ftr.recall_at_1 == 0.0 and ftr.false_alarms == 1.0
    # fitted on the other fold's inquiries, the name weight ranks every true child first
    assert weights.recall_at_1 == 1.0
    assert weights.confident_hits == 1.0
    assert weights.false_alarms == 0.0


def test_truth_calibration_keeps_the_ranking(workdir: Path) -> None:
    calibrated = ceiling_mod.ceiling(workdir)["truth calibration"]
    assert calibrated.recall_at_1 == 0.0  # the order is FTR's
    # a decoy's 0.6 or 0.7 is never right: calibrated down, it raises no alarm
    assert calibrated.false_alarms == 0.0
    assert calibrated.confident_hits == 0.0


def test_truth_calibration_lifts_an_under_confident_score(tmp_path: Path) -> None:
    # FTR ranks every true child first, but at 0.3, under the 0.5 of a confident hit;
    # decoys score 0.1 (registered) or 0.2 (never registered): all wrong
    rows: list[tuple[object, ...]] = []
    children, requests = [], []
    for k in range(60):
        registered = k < 50
        requests.append((f"R{k}", f"I{k}", f"p{k}" if registered else f"q{k}", f"f{k}"))
        children.append((f"D{k}", f"d{k}", f"g{k}"))
        if registered:
            children.append((f"C{k}", f"p{k}", f"f{k}"))
            rows.append((f"R{k}", f"C{k}", 1, 0.3, 1.0))
            rows.append((f"R{k}", f"D{k}", 2, 0.1, -1.0))
        else:
            rows.append((f"R{k}", f"D{k}", 1, 0.2, -1.0))
    _write(tmp_path, rows, children, requests)
    results = ceiling_mod.ceiling(tmp_path)
    assert results["ftr"].confident_hits == 0.0
    calibrated = results["truth calibration"]
    assert calibrated.confident_hits == 1.0 and calibrated.false_alarms == 0.0


def test_a_sought_child_missing_from_the_requests_is_an_error(workdir: Path) -> None:
    requests = pd.read_csv(workdir / "requests.csv")
    requests.iloc[1:].to_csv(workdir / "requests.csv", index=False)
    with pytest.raises(ValueError, match=r"not in requests\.csv"):
        ceiling_mod.ceiling(workdir)


def test_folds_keep_an_inquiry_together() -> None:
    requests = pd.DataFrame({"ref": ["a", "b", "c", "d"], "inquiry_ref": ["I1", "I1", "", None]})
    fold = ceiling_mod._fold_of(requests)
    assert fold["a"] == fold["b"]
    assert set(fold) <= {0, 1}
