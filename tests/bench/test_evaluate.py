"""The scorer on tiny hand-made frames whose answers are worked out by hand."""

from __future__ import annotations

import importlib.util
import math
import sys
import warnings
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_evaluate", ROOT / "bench" / "evaluate.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_evaluate"] = mod
    spec.loader.exec_module(mod)
    return mod


ev = _load()


def frame(rows: list[tuple[object, ...]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


@pytest.fixture
def truth() -> tuple[pd.DataFrame, pd.DataFrame]:
    children = frame(
        [
            ("C1", "p1", "f1"),
            ("C2", "p2", "f1"),  # sibling of p1
            ("C3", "p3", "f2"),
            ("C4", "p4", "f3"),
            ("C5", "p5", None),  # no known family
        ],
        ["ref", "person_id", "family_id"],
    )
    requests = frame(
        [
            ("R1", "p1", "f1"),
            ("R2", "p2", "f1"),
            ("R3", "p3", "f2"),
            ("R4", "p9", "f9"),  # never registered
            ("R5", "p8", "f8"),  # never registered
            ("R6", "p4", "f3"),  # registered, but absent from the output
        ],
        ["ref", "person_id", "family_id"],
    )
    return children, requests


RANKED = frame(
    [
        ("R1", "C1", 1, 0.9),  # true child first, confident
        ("R1", "C2", 2, 0.4),
        ("R2", "C1", 1, 0.6),  # a sibling first
        ("R2", "C2", 2, 0.3),  # true child second
        ("R3", "C4", 1, 0.3),
        ("R3", "C5", 2, 0.2),
        ("R3", "C3", 3, 0.2),  # true child third
        ("R4", "C5", 1, 0.7),  # false alarm
        ("R5", "C3", 1, 0.2),  # no alarm
        ("R99", "C1", 1, 0.99),  # request not in the truth: ignored
    ],
    ["request_ref", "child_ref", "rank", "score"],
)


def test_ranking_metrics(truth: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    m = ev.evaluate(RANKED, *truth)
    assert (m.n_sought, m.n_registered, m.n_unregistered) == (6, 4, 2)
    assert m.recall_at_1 == pytest.approx(1 / 4)
    assert m.recall_at_10 == pytest.approx(3 / 4)
    assert m.mrr == pytest.approx((1 + 1 / 2 + 1 / 3 + 0) / 4)
    assert m.confident_hits == pytest.approx(1 / 4)
    assert m.sibling_first == pytest.approx(1 / 4)
    assert m.false_alarms == pytest.approx(1 / 2)
    assert m.n_output_rows == 9
    assert m.n_true_pairs == 4


def test_blocking_recall_on_output_and_on_candidates(
    truth: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    m = ev.evaluate(RANKED, *truth)
    assert (m.blocking_source, m.blocking_recall) == ("output", pytest.approx(3 / 4))
    cand = frame(
        [("R1", "C1"), ("R2", "C2"), ("R6", "C4"), ("R3", "C1"), ("R1", "C1")],
        ["request_ref", "child_ref"],
    )
    m = ev.evaluate(RANKED, *truth, candidates=cand)
    assert m.blocking_source == "candidates"
    assert m.blocking_recall == pytest.approx(3 / 4)  # (R3, C3) was not a candidate
    assert m.n_candidate_pairs == 4  # the duplicate counts once


def test_calibration_bins_of_the_tiny_output(truth: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    bins = ev.evaluate(RANKED, *truth).calibration
    assert len(bins) == 10
    assert [b.count for b in bins] == [0, 0, 3, 2, 1, 0, 1, 1, 0, 1]
    b2 = bins[2]
    assert (b2.low, b2.high) == (0.2, 0.3)
    assert b2.mean_score == pytest.approx(0.2)
    assert b2.observed == pytest.approx(1 / 3)  # R3-C3 is the one true pair
    assert bins[3].observed == pytest.approx(1 / 2)
    assert bins[9].observed == 1.0
    assert math.isnan(bins[0].mean_score)
    assert all(b.calibrated is None for b in bins)  # no bin has 50 rows


def test_calibration_judged_only_with_50_rows() -> None:
    scores = [0.85] * 100 + [0.15] * 49 + [1.0] * 60
    truth = [True] * 80 + [False] * 20 + [False] * 49 + [True] * 30 + [False] * 30
    bins = ev.calibration_bins(pd.Series(scores).to_numpy(), pd.Series(truth).to_numpy())
    assert bins[8].count == 100 and bins[8].observed == pytest.approx(0.8)
    assert bins[8].calibrated is True  # |0.80 - 0.85| <= 0.1
    assert bins[1].count == 49 and bins[1].calibrated is None
    assert bins[9].count == 60  # a score of exactly 1.0 falls in the last bin
    assert bins[9].calibrated is False  # |0.5 - 1.0| > 0.1


def test_rank_ties_and_gaps_use_order_not_rank_values() -> None:
    tc = frame([("C1", 1, 1), ("C2", 2, 2), ("C3", 3, 3)], ["ref", "person_id", "family_id"])
    tr = frame([("R1", 3, 3)], ["ref", "person_id", "family_id"])
    ranked = frame(
        [("R1", "C1", 1, 0.4), ("R1", "C3", 5, 0.3), ("R1", "C2", 1, 0.5)],
        ["request_ref", "child_ref", "rank", "score"],
    )
    m = ev.evaluate(ranked, tc, tr)
    # C2 wins the tie at rank 1 on score; C3 is third in order although its rank says 5.
    assert m.mrr == pytest.approx(1 / 3)
    assert m.recall_at_1 == 0.0


def test_a_child_registered_twice_counts_either_record() -> None:
    tc = frame([("C1", 7, 1), ("C1b", 7, 1)], ["ref", "person_id", "family_id"])
    tr = frame([("R1", 7, 1)], ["ref", "person_id", "family_id"])
    ranked = frame([("R1", "C1b", 1, 0.8)], ["request_ref", "child_ref", "rank", "score"])
    m = ev.evaluate(ranked, tc, tr)
    assert m.recall_at_1 == 1.0 and m.sibling_first == 0.0
    assert m.n_true_pairs == 2 and m.blocking_recall == pytest.approx(0.5)


def test_numeric_and_string_ids_compare_equal() -> None:
    tc = frame([("C1", 1, 10)], ["ref", "person_id", "family_id"])
    tr = frame([("R1", "1", "10")], ["ref", "person_id", "family_id"])
    ranked = frame([("R1", "C1", "1", "0.9")], ["request_ref", "child_ref", "rank", "score"])
    assert ev.evaluate(ranked, tc, tr).confident_hits == 1.0


def test_empty_output_scores_zero_without_alarms(
    truth: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    empty = frame([], ["request_ref", "child_ref", "rank", "score"])
    m = ev.evaluate(empty, *truth)
    assert (m.recall_at_10, m.mrr, m.false_alarms, m.blocking_recall) == (0.0, 0.0, 0.0, 0.0)


def test_missing_columns_are_reported(truth: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    with pytest.raises(ValueError, match="score"):
        ev.evaluate(RANKED.drop(columns="score"), *truth)
    with pytest.raises(ValueError, match="family_id"):
        ev.evaluate(RANKED, truth[0].drop(columns="family_id"), truth[1])


def test_printers_name_every_system(truth: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    m = ev.evaluate(RANKED, *truth)
    text = ev.format_comparison({"ftr": m, "splink": None}, {"wall time": {"ftr": "1.0 s"}})
    assert "ftr" in text and "splink" in text and "recall@10" in text
    assert "0.750" in text and "1.0 s" in text
    assert "[0.9, 1.0]" in ev.format_metrics(m, "tiny")


def test_cli(
    tmp_path: Path, truth: tuple[pd.DataFrame, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    RANKED.to_csv(tmp_path / "ranked.csv", index=False)
    truth[0].to_csv(tmp_path / "truth_children.csv", index=False)
    truth[1].to_csv(tmp_path / "truth_requests.csv", index=False)
    assert ev.main([str(tmp_path / "ranked.csv"), "--truth-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "recall@10" in out and "0.750" in out
    assert ev.main([str(tmp_path / "nope.csv"), "--truth-dir", str(tmp_path)]) == 2


# The shared generator's truth (../shared/eval/ftrgen.py): truth.csv, child_family.csv and,
# with --reregister, dup_truth.csv. Written by hand here, with the answers worked out.
SHARED_FILES = {
    "child_family.csv": "child_ref,family\nC1,F1\nC2,F1\nC3,F2\nC4,F3\nC4b,F3\n",
    "truth.csv": (
        "request_ref,child_ref,family\n"
        "R1,C1,F1\n"  # C2, a sibling, is ranked first; C1 second
        "R2,C3,F2\n"  # first and confident
        "R3,,F1\n"  # never registered (its family is): a false alarm below
        "R4,,F9\n"  # never registered, no alarm
        "R5,C4,F3\n"  # absent from the output
    ),
    "ranked.csv": (
        "request_ref,child_ref,rank,score\n"
        "R1,C2,1,0.7\nR1,C1,2,0.6\nR2,C3,1,0.9\nR3,C1,1,0.55\nR4,C3,1,0.2\n"
    ),
}


@pytest.fixture
def shared_dir(tmp_path: Path) -> Path:
    for name, text in SHARED_FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_the_shared_truth_format_is_scored_like_ours(shared_dir: Path) -> None:
    tc, tr = ev.load_truth(shared_dir)
    assert list(tc.columns) == list(tr.columns) == ["ref", "person_id", "family_id"]
    m = ev.evaluate(ev.read_csv(shared_dir / "ranked.csv"), tc, tr)
    assert (m.n_sought, m.n_registered, m.n_unregistered) == (5, 3, 2)
    assert m.n_true_pairs == 3
    assert m.recall_at_1 == pytest.approx(1 / 3)
    assert m.recall_at_10 == pytest.approx(2 / 3)
    assert m.mrr == pytest.approx((1 / 2 + 1) / 3)
    assert m.confident_hits == pytest.approx(1 / 3)
    assert m.sibling_first == pytest.approx(1 / 3)
    assert m.false_alarms == pytest.approx(1 / 2)
    assert m.n_output_rows == 5
    assert (m.blocking_source, m.blocking_recall) == ("output", pytest.approx(2 / 3))


def test_the_shared_scorer_agrees_on_the_same_files(shared_dir: Path) -> None:
    path = ROOT.parent / "shared" / "eval" / "score.py"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    spec = importlib.util.spec_from_file_location("shared_eval_score_test", path)
    assert spec is not None and spec.loader is not None
    shared = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shared)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # score.py leaves its files open
        theirs = shared.score(str(shared_dir / "ranked.csv"), str(shared_dir / "truth.csv"))
    tc, tr = ev.load_truth(shared_dir)
    ours = ev.evaluate(ev.read_csv(shared_dir / "ranked.csv"), tc, tr)
    assert theirs["recall@1"] == pytest.approx(ours.recall_at_1)
    assert theirs["recall@10"] == pytest.approx(ours.recall_at_10)
    assert theirs["mrr"] == pytest.approx(ours.mrr)
    assert theirs["false_alarm"] == pytest.approx(ours.false_alarms)
    assert theirs["confident_hits"] == pytest.approx(ours.confident_hits)
    assert theirs["sibling_on_top"] == pytest.approx(ours.sibling_first)


def test_a_shared_reregistration_counts_either_record(shared_dir: Path) -> None:
    (shared_dir / "dup_truth.csv").write_text("child_ref_a,child_ref_b\nC4,C4b\n")
    tc, tr = ev.load_truth(shared_dir)
    assert tc.set_index("ref").loc["C4b", "person_id"] == "C4"
    ranked = ev.read_csv(shared_dir / "ranked.csv")
    extra = pd.DataFrame([["R5", "C4b", "1", "0.8"]], columns=ranked.columns)
    m = ev.evaluate(pd.concat([ranked, extra]), tc, tr)
    assert m.recall_at_1 == pytest.approx(2 / 3)  # R2, and R5 through the second record
    assert m.n_true_pairs == 4


def test_shared_truth_errors_are_reported(
    shared_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    (shared_dir / "truth.csv").write_text("request_ref,child_ref,family\nR1,C9,F1\n")
    with pytest.raises(ValueError, match="C9"):
        ev.load_truth(shared_dir)
    (shared_dir / "child_family.csv").unlink()
    with pytest.raises(ValueError, match=r"child_family\.csv"):
        ev.load_truth(shared_dir)
    with pytest.raises(ValueError, match="neither"):
        ev.load_truth(tmp_path_factory.mktemp("empty"))


def test_cli_reads_the_shared_truth(shared_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ev.main([str(shared_dir / "ranked.csv"), "--truth-dir", str(shared_dir)]) == 0
    out = capsys.readouterr().out
    assert "5 (3 registered, 2 not registered)" in out and "0.333" in out
