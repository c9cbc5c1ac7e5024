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
    ranked = pd.DataFrame(
        rows, columns=["request_ref", "child_ref", "rank", "score", "name_weight"]
    )
    ranked.to_csv(tmp_path / "ftr.csv", index=False)
    cols = ["ref", "person_id", "family_id"]
    pd.DataFrame(children, columns=cols).to_csv(tmp_path / "truth_children.csv", index=False)
    truth_r = pd.DataFrame([(r, p, f) for r, _, p, f in requests], columns=cols)
    truth_r.to_csv(tmp_path / "truth_requests.csv", index=False)
    inquiries = pd.DataFrame([(r, i) for r, i, _, _ in requests], columns=["ref", "inquiry_ref"])
    inquiries.to_csv(tmp_path / "requests.csv", index=False)
    return tmp_path


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


def test_folds_keep_an_inquiry_together() -> None:
    requests = pd.DataFrame({"ref": ["a", "b", "c", "d"], "inquiry_ref": ["I1", "I1", "", None]})
    fold = ceiling_mod._fold_of(requests)
    assert fold["a"] == fold["b"]
    assert set(fold) <= {0, 1}
