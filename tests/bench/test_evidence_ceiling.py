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


# ------------------------------------------------------------- the union re-ranker's features

REQUEST_COLUMNS = [
    "ref", "inquiry_ref", "inquirer_name", "given_name", "family_name", "other_names", "sex",
    "age", "date_of_birth", "separation_date", "separation_lat", "separation_lon",
    "mother_name", "father_name",
]  # fmt: skip
CHILD_COLUMNS = [c for c in REQUEST_COLUMNS if c not in ("inquiry_ref", "inquirer_name")]


def test_cross_features_on_hand_written_records() -> None:
    requests = pd.DataFrame(
        [
            ("R1", "I1", "Fatima Mahmud", "Mousa", "Abdul Rahim", None, "M", "14", None,
             "2026-05-23", "13.0", "25.0", "Fatima", "Abdulrahim Mohamed"),
            ("R2", "I2", None, "Сергій", None, None, None, None, "2016", "2025-03", None, None,
             None, None),
        ],
        columns=REQUEST_COLUMNS,
    )  # fmt: skip
    children = pd.DataFrame(
        [
            # given and family name swapped; the family name is the father's
            ("C1", "ABDULRAHIM", "mousa", "", "male", "13", None, "2026-05-20", "13.0",
             "26.0", "FATIMA Ali", "Abdulrahim"),
            # the inquirer's family name; another father first
            ("C3", "Ali", "Mahmud", None, "female", "14", None, None, None, None, None,
             "Omar Abdulrahim"),
            ("C2", "Serhii", "Petrenko", None, "f", "9", "2016-07-01", "2025-03-15", "1.0",
             "1.0", None, None),
        ],
        columns=CHILD_COLUMNS,
    )  # fmt: skip
    pairs = pd.DataFrame({"request_ref": ["R1", "R1", "R2"], "child_ref": ["C1", "C3", "C2"]})
    f = ceiling_mod.cross_features(pairs, requests, children)
    assert list(f.columns) == list(ceiling_mod.CROSS_FEATURES)
    one, three, two = f.iloc[0], f.iloc[1], f.iloc[2]
    assert one["given_vs_names"] == 1.0 and one["names_vs_given"] == 1.0  # swapped
    assert one["given_vs_given"] < 0.7
    assert one["family_vs_father"] == 1.0  # "Abdul Rahim" joined meets "Abdulrahim"
    assert one["parents_vs_inquirer"] == 1.0  # the child's mother is the inquirer
    assert one["mother_vs_mother"] == 1.0  # first token, case aside
    assert one["father_vs_father"] == 1.0
    assert one["age_diff"] == 1.0 and one["separation_days"] == 3.0
    assert one["distance_km"] == pytest.approx(108.3, abs=0.5)  # 1° of longitude at 13°N
    assert one["sex_equal"] == 1.0
    assert np.isnan(one["birth_days"])
    assert three["family_vs_inquirer"] == 1.0 and one["family_vs_inquirer"] < 0.7
    assert three["father_vs_father"] < 0.7  # first tokens: abdulrahim, omar
    assert three["sex_equal"] == 0.0 and three["age_diff"] == 0.0
    assert np.isnan(three["distance_km"]) and np.isnan(three["separation_days"])
    # Cyrillic read as ASCII; partial dates as mid-month and 1 July
    assert two["given_vs_given"] > 0.8  # sergiy, serhii
    assert two["separation_days"] == 0.0 and two["birth_days"] == 0.0
    for missing in ("family_vs_family", "mother_vs_mother", "age_diff", "distance_km",
                    "sex_equal", "family_vs_inquirer"):  # fmt: skip
        assert np.isnan(two[missing]), missing


def test_union_candidates_mark_what_each_engine_ranked() -> None:
    ftr = pd.DataFrame(
        {
            "request_ref": ["R1", "R1"],
            "child_ref": ["A", "B"],
            "rank": ["1", "2"],
            "score": ["0.9", "0.1"],
            "name_weight": ["3.0", "-1.0"],
        }
    )
    splink = pd.DataFrame(
        {"request_ref": ["R1", "R1"], "child_ref": ["C", "A"], "rank": ["1", "2"],
         "score": ["0.8", "0.7"]}
    )  # fmt: skip
    union = ceiling_mod.union_candidates(ftr, {"splink": splink})
    assert list(union["child_ref"]) == ["A", "B", "C"]  # FTR's order first
    assert list(union["ftr_missing"]) == [0.0, 0.0, 1.0]
    assert np.isnan(union.loc[2, "ftr_name_weight"]) and np.isnan(union.loc[1, "splink_rank"])
    assert list(union["splink_rank"].iloc[[0, 2]]) == [2.0, 1.0]


def _records_for(workdir: Path, registered: int = 50, total: int = 60) -> None:
    """children.csv and requests.csv with names for the fixture's refs: the true child's
    given name is the sought child's, the decoy's another."""
    truth_r = pd.read_csv(workdir / "truth_requests.csv")
    req = pd.DataFrame({c: [None] * total for c in REQUEST_COLUMNS})
    req["ref"] = truth_r["ref"]
    req["inquiry_ref"] = [f"I{k}" for k in range(total)]
    req["given_name"] = [f"Name{k:03d}x" for k in range(total)]
    req.to_csv(workdir / "requests.csv", index=False)
    refs = pd.read_csv(workdir / "truth_children.csv")["ref"]
    given = [f"Name{int(r[1:]):03d}x" if r.startswith("C") else f"Other{r[1:]}" for r in refs]
    ch = pd.DataFrame({c: [None] * len(refs) for c in CHILD_COLUMNS})
    ch["ref"], ch["given_name"] = refs, given
    ch.to_csv(workdir / "children.csv", index=False)


def test_a_collapsed_splink_is_left_out(workdir: Path) -> None:
    _records_for(workdir)
    ftr = pd.read_csv(workdir / "ftr.csv")
    # a Splink that ranks the decoy alone: recall@1 0, below EM_COLLAPSED_BELOW
    ftr[ftr["child_ref"].str.startswith("D")].assign(rank=1).to_csv(
        workdir / "splink.csv", index=False, columns=["request_ref", "child_ref", "rank", "score"]
    )
    rep = ceiling_mod.report(workdir)
    assert rep.union.splinks == [] and rep.peer is None
    assert any("splink: EM collapsed" in n for n in rep.notes)
    assert any("splink-shared: no splink-shared.csv" in n for n in rep.notes)
    assert "union re-ranker" in ceiling_mod.format_report(rep)
    assert rep.results["union re-ranker"] is not None


def test_the_union_re_ranker_finds_a_child_only_splink_ranked(workdir: Path) -> None:
    _records_for(workdir)
    ftr = pd.read_csv(workdir / "ftr.csv")
    # FTR left out the true child of the first ten sought children; Splink ranks every
    # true child first and the decoy second
    dropped = ftr["child_ref"].isin([f"C{k}" for k in range(10)])
    ftr[~dropped].to_csv(workdir / "ftr.csv", index=False)
    rows = [(r, c, 1 if c.startswith("C") else 2, 0.9 if c.startswith("C") else 0.2)
            for r, c in zip(ftr["request_ref"], ftr["child_ref"], strict=True)]  # fmt: skip
    splink = pd.DataFrame(rows, columns=["request_ref", "child_ref", "rank", "score"])
    splink.to_csv(workdir / "splink.csv", index=False)
    rep = ceiling_mod.report(workdir)
    assert rep.peer == "splink" and rep.union.splinks == ["splink"]
    assert rep.results["ftr"] is not None and rep.results["ftr"].recall_at_10 == 0.8
    assert rep.union.holds == 1.0
    union = rep.results["union re-ranker"]
    assert union is not None and union.recall_at_1 == 1.0


def test_sets_found_are_tracing_sets_not_febrl4(workdir: Path) -> None:
    # link_bench leaves its FEBRL4 run beside the sets: records without inquiries, which
    # the ceiling cannot fold by inquiry; by default it is left out, not a crash
    (workdir / "sudan-60x60-seed1").mkdir()
    for name in ("ftr.csv", "requests.csv"):
        (workdir / "sudan-60x60-seed1" / name).write_bytes((workdir / name).read_bytes())
    febrl = workdir / "febrl4"
    febrl.mkdir()
    (febrl / "ftr.csv").write_text("request_ref,child_ref,rank,score\n")
    (febrl / "requests.csv").write_text("ref,given_name,family_name\n")
    assert [p.name for p in ceiling_mod.find_sets(workdir)] == ["sudan-60x60-seed1"]
