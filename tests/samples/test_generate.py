"""The seeded scenario generator (data/samples/generate.py): determinism and the contract."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "data" / "samples"))

import generate  # noqa: E402  (data/samples/generate.py)

TODAY = dt.date(2026, 11, 1)
SCRIPT = re.compile(r"[\u0400-\u04ff\u0600-\u06ff\u1780-\u17ff]")
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
SEXES = {"male", "female", "unknown", "m", "f", ""}
# Generous boxes around Darfur/eastern Chad, Cambodia and Ukraine.
BOXES = {
    "SD": ((10.0, 17.0), (19.0, 28.0)),
    "KH": ((10.0, 15.5), (101.5, 106.0)),
    "UA": ((44.0, 53.0), (22.0, 41.0)),
}
CURRENT_BOXES = {**BOXES, "UA": ((44.0, 54.0), (12.0, 41.0))}


@pytest.fixture(scope="module")
def scenario() -> generate.Scenario:
    return generate.generate("mixed", 1200, 360, seed=42)


@pytest.fixture(scope="module")
def large() -> generate.Scenario:
    return generate.generate("mixed", 6000, 3000, seed=5)


def _script(text: str) -> bool:
    return bool(SCRIPT.search(text))


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dict("records")  # type: ignore[return-value]


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    for name in ("a", "b"):
        generate.write(generate.generate("mixed", 300, 90, seed=11), tmp_path / name)
    for file in ("children.csv", "requests.csv", "truth_children.csv", "truth_requests.csv"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()


def test_another_seed_gives_another_scenario() -> None:
    a = generate.generate("sudan", 200, 60, seed=1)
    b = generate.generate("sudan", 200, 60, seed=2)
    assert not a.children.equals(b.children)


# --------------------------------------------------------------------------- shape


def test_row_counts_and_columns(scenario: generate.Scenario) -> None:
    assert len(scenario.children) == 1200
    assert len(scenario.requests) == 360
    assert list(scenario.children.columns) == list(generate.CHILD_COLUMNS)
    assert list(scenario.requests.columns) == list(generate.REQUEST_COLUMNS)
    for frame in (scenario.truth_children, scenario.truth_requests):
        assert list(frame.columns) == ["ref", "person_id", "family_id"]
    for frame in (scenario.children, scenario.requests):
        assert all(isinstance(v, str) for v in frame.to_numpy().ravel())


@pytest.mark.parametrize(("n_children", "n_sought"), [(0, 0), (1, 0), (0, 1), (5, 40), (37, 3)])
def test_exact_counts_for_small_and_odd_sizes(n_children: int, n_sought: int) -> None:
    s = generate.generate("khmer", n_children, n_sought, seed=3)
    assert len(s.children) == len(s.truth_children) == n_children
    assert len(s.requests) == len(s.truth_requests) == n_sought


def test_refs_are_unique_and_well_formed(scenario: generate.Scenario) -> None:
    children, requests = scenario.children, scenario.requests
    assert children["ref"].is_unique
    assert requests["ref"].is_unique
    assert children["ref"].str.fullmatch(r"CH-(SD|KH|UA)-\d{6}").all()
    assert requests["ref"].str.fullmatch(r"SC-(SD|KH|UA)-\d{6}").all()
    assert requests["inquiry_ref"].str.fullmatch(r"INQ-(SD|KH|UA)-\d{6}").all()
    # One inquirer per inquiry.
    per_inquiry = requests.groupby("inquiry_ref")[["inquirer_name", "inquirer_relationship"]]
    assert (per_inquiry.nunique() == 1).all().all()


def test_every_row_has_a_name(scenario: generate.Scenario) -> None:
    for frame in (scenario.children, scenario.requests):
        named = (frame["given_name"] != "") | (frame["family_name"] != "")
        named |= frame["other_names"] != ""
        assert named.all()
        assert not frame["other_names"].str.contains(";;|^;|;$").any()


def test_each_culture_alone_and_mixed(scenario: generate.Scenario) -> None:
    for culture, code in generate.CULTURE_CODES.items():
        s = generate.generate(culture, 60, 20, seed=1)
        assert s.children["ref"].str.startswith(f"CH-{code}-").all()
        assert s.requests["ref"].str.startswith(f"SC-{code}-").all()
    codes = scenario.children["ref"].str[3:5].value_counts()
    assert set(codes.index) == {"SD", "KH", "UA"}
    assert codes.min() > 250


# --------------------------------------------------------------------------- valid values


def _check_values(frame: pd.DataFrame, record_date: str, today: dt.date) -> None:
    for row in _rows(frame):
        record = dt.date.fromisoformat(row[record_date])
        assert record <= today
        assert row["sex"].lower() in SEXES
        if row["age"]:
            assert 0 <= int(row["age"]) <= 25
        for column in ("date_of_birth", "separation_date"):
            if row[column]:
                assert DATE.match(row[column]), row[column]
                assert row[column] <= row[record_date], (row["ref"], column)
        if row["separation_date"] and row["date_of_birth"]:
            assert row["date_of_birth"][:4] <= row["separation_date"][:4]
        boxes = {"separation": BOXES, "current": CURRENT_BOXES}
        for prefix in ("separation", "current"):
            if f"{prefix}_lat" not in row:
                continue
            lat, lon = row[f"{prefix}_lat"], row[f"{prefix}_lon"]
            assert bool(lat) == bool(lon)
            if lat:
                (lat_lo, lat_hi), (lon_lo, lon_hi) = boxes[prefix][row["ref"][3:5]]
                assert lat_lo <= float(lat) <= lat_hi and lon_lo <= float(lon) <= lon_hi


def test_values_are_valid(scenario: generate.Scenario) -> None:
    _check_values(scenario.children, "registration_date", TODAY)
    _check_values(scenario.requests, "request_date", TODAY)


def test_dates_respect_an_earlier_today() -> None:
    today = dt.date(2024, 3, 1)
    s = generate.generate("mixed", 300, 100, seed=8, today=today)
    _check_values(s.children, "registration_date", today)
    _check_values(s.requests, "request_date", today)


def test_ages_are_mostly_those_of_children(scenario: generate.Scenario) -> None:
    for frame in (scenario.children, scenario.requests):
        ages = pd.to_numeric(frame["age"][frame["age"] != ""])
        assert (ages <= 17).mean() > 0.95
        assert (ages < 6).mean() > 0.1


def test_the_project_importer_accepts_every_row(tmp_path: Path) -> None:
    contract = pytest.importorskip("tracing.contract")
    generate.write(generate.generate("mixed", 1500, 500, seed=9), tmp_path)
    for kind, name in (("children", "children.csv"), ("requests", "requests.csv")):
        validated = contract.validate_file(kind, tmp_path / name, today=dt.date(2026, 11, 25))
        assert validated.errors == []
        assert len(validated.records) == validated.rows_read
        # Warnings (an age of 18 or more, age against date of birth) stay rare.
        assert len(validated.warnings) < 0.03 * validated.rows_read


# --------------------------------------------------------------------------- truth


def test_truth_covers_every_row(scenario: generate.Scenario) -> None:
    assert scenario.truth_children["ref"].tolist() == scenario.children["ref"].tolist()
    assert scenario.truth_requests["ref"].tolist() == scenario.requests["ref"].tolist()
    for frame in (scenario.truth_children, scenario.truth_requests):
        assert frame["person_id"].str.fullmatch(r"P\d{7}").all()
        assert frame["family_id"].str.fullmatch(r"F\d{6}").all()
    # A person is registered once; a person belongs to one family.
    assert scenario.truth_children["person_id"].is_unique
    both = pd.concat([scenario.truth_children, scenario.truth_requests])
    assert (both.groupby("person_id")["family_id"].nunique() == 1).all()


@pytest.mark.parametrize("share", [0.0, 0.3, 0.7, 1.0])
def test_registered_share_is_respected(share: float) -> None:
    s = generate.generate("mixed", 6000, 2000, seed=4, registered_share=share)
    sought = s.truth_requests.drop_duplicates("person_id")
    registered = sought["person_id"].isin(set(s.truth_children["person_id"])).mean()
    assert abs(registered - share) < 0.04


def test_most_registered_children_are_sought_by_no_one(scenario: generate.Scenario) -> None:
    sought = scenario.truth_children["person_id"].isin(set(scenario.truth_requests["person_id"]))
    assert 0.05 < sought.mean() < 0.5


def test_siblings_exist(large: generate.Scenario) -> None:
    truth = large.truth_requests.merge(large.requests[["ref", "inquiry_ref"]], on="ref")
    per_inquiry = truth.groupby("inquiry_ref").agg(
        rows=("ref", "size"), families=("family_id", "nunique"), persons=("person_id", "nunique")
    )
    multi = per_inquiry[per_inquiry["rows"] > 1]
    assert len(multi) > 0.2 * len(per_inquiry)
    assert (multi["families"] == 1).all()  # an inquiry seeks children of one family
    assert (multi["persons"] == multi["rows"]).all()  # ... each of them once
    # Registered siblings; sought families of which only some children are registered.
    assert large.truth_children["family_id"].duplicated().any()
    registered = set(large.truth_children["person_id"])
    status = truth.assign(registered=truth["person_id"].isin(registered))
    mixed = status.groupby("family_id")["registered"].nunique()
    assert (mixed == 2).sum() > 10


def test_two_relatives_sometimes_seek_the_same_child(large: generate.Scenario) -> None:
    truth = large.truth_requests.merge(large.requests[["ref", "inquiry_ref"]], on="ref")
    repeated = truth[truth["person_id"].duplicated(keep=False)]
    share = repeated["person_id"].nunique() / truth["person_id"].nunique()
    assert 0.01 < share < 0.06
    assert (repeated.groupby("person_id")["inquiry_ref"].nunique() > 1).all()


# --------------------------------------------------------------------------- realism


def test_some_names_in_original_script_on_one_side_only(large: generate.Scenario) -> None:
    names = ["given_name", "family_name", "other_names"]
    child_script = large.children[names].apply(lambda col: col.map(_script)).any(axis=1)
    request_script = large.requests[names].apply(lambda col: col.map(_script)).any(axis=1)
    assert 0.01 < child_script.mean() < 0.08
    assert 0.01 < request_script.mean() < 0.08
    scripted_children = set(large.truth_children["person_id"][child_script])
    scripted_requests = set(large.truth_requests["person_id"][request_script])
    assert not scripted_children & scripted_requests
    text = " ".join(large.children["given_name"][child_script])
    assert re.search("[\u0600-\u06ff]", text)  # Arabic
    assert re.search("[\u0400-\u04ff]", text)  # Cyrillic
    assert re.search("[\u1780-\u17ff]", text)  # Khmer


def test_names_are_romanised_differently(large: generate.Scenario) -> None:
    words = set(
        " ".join(pd.concat([large.children["given_name"], large.requests["given_name"]]))
        .lower()
        .split()
    )
    for variants in (
        {"mohammed", "muhammad", "mahamat", "mohamed"},
        {"oleksandr", "aleksandr", "alexander"},
        {"serhii", "sergey"},
        {"mykola", "nikolai"},
        {"sreymom", "srey", "sreymum"},
    ):
        assert len(variants & words) >= 2, variants


def test_common_names_are_very_common(large: generate.Scenario) -> None:
    sudan = large.requests[large.requests["ref"].str.startswith("SC-SD")]
    top = sudan["given_name"].str.lower().value_counts(normalize=True)
    assert top.index[0] in {"mohammed", "muhammad", "mahamat", "mohamed", "fatima", "ahmed"}
    mohammed = top.reindex(["mohammed", "muhammad", "mahamat", "mohamed"]).fillna(0).sum()
    assert mohammed > 0.04
    # ... and a long tail of rare ones.
    assert (sudan["given_name"].value_counts() == 1).sum() > 20


def test_a_parent_inquirer_is_named_like_that_parent(large: generate.Scenario) -> None:
    requests = large.requests.drop_duplicates("inquiry_ref")
    mothers = requests[(requests["inquirer_relationship"] == "mother")]
    mothers = mothers[mothers["mother_name"] != ""]
    same = (mothers["inquirer_name"] == mothers["mother_name"]).mean()
    assert 0.4 < same < 0.95
    relationships = set(requests["inquirer_relationship"])
    assert {"mother", "father", "grandmother", "aunt", "uncle", "sibling"} <= relationships


def test_small_children_are_often_known_by_little(large: generate.Scenario) -> None:
    children = large.children
    small = children[pd.to_numeric(children["age"].replace("", "99")) < 6]
    sparse = (
        (small["family_name"] == "")
        & (small["mother_name"] == "")
        & (small["father_name"] == "")
        & (small["separation_place"] == "")
    )
    assert sparse.mean() > 0.2


def test_languages_by_culture(scenario: generate.Scenario) -> None:
    languages = scenario.children.groupby(scenario.children["ref"].str[3:5])["language"]
    seen = {code: set(values) - {""} for code, values in languages}
    assert {"Arabic", "Masalit"} <= seen["SD"]
    assert "Khmer" in seen["KH"]
    assert {"Ukrainian", "Russian"} <= seen["UA"]


# --------------------------------------------------------------------------- API, CLI


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError):
        generate.generate("atlantis", 10, 10)
    with pytest.raises(ValueError):
        generate.generate("sudan", -1, 10)
    with pytest.raises(ValueError):
        generate.generate("sudan", 10, 10, registered_share=1.5)


def test_noise_table_documents_every_rate() -> None:
    table = generate.describe_noise()
    assert table.startswith("| rate | value |")
    for key, value in generate.NOISE_RATES.items():
        line = next(line for line in table.splitlines() if line.startswith(f"| `{key}` |"))
        description = line.split("|")[3].strip()
        assert description, key
        assert 0.0 <= value <= 1.0


def test_cli_writes_the_files_and_describes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--culture", "ukraine", "--children", "50", "--sought", "20", "--seed", "1"]
    assert generate.main([*args, "--out", str(tmp_path)]) == 0
    children = pd.read_csv(tmp_path / "children.csv", dtype=str, keep_default_na=False)
    assert len(children) == 50
    truth = pd.read_csv(tmp_path / "truth_requests.csv", dtype=str)
    assert len(truth) == 20
    assert generate.main(["--describe"]) == 0
    assert "`original_script`" in capsys.readouterr().out


def test_committed_samples_are_what_the_generator_writes(tmp_path: Path) -> None:
    samples = ROOT / "data" / "samples"
    if not (samples / "children.csv").exists():
        pytest.skip("samples not generated")
    generate.write(generate.generate("mixed", 1200, 360, seed=42), tmp_path)
    for file in ("children.csv", "requests.csv", "truth_children.csv", "truth_requests.csv"):
        assert (tmp_path / file).read_bytes() == (samples / file).read_bytes(), file


def test_readme_states_the_current_noise_rates() -> None:
    readme = (ROOT / "data" / "samples" / "README.md").read_text(encoding="utf-8")
    stated = readme.split("<!-- noise-rates:start -->\n", 1)[1].split("\n<!-- noise-rates:end -->")[
        0
    ]
    assert stated == generate.describe_noise(), "run generate.py --describe into the README"


def test_the_generator_writes_the_contracts_columns() -> None:
    """The contract's columns have one source (tracing.contract, which the bench baselines
    import); the generator, a standalone script, must write exactly those, in its order."""
    from tracing import contract

    assert sorted(generate.CHILD_COLUMNS) == sorted(contract.CHILD_COLUMNS)
    assert sorted(generate.REQUEST_COLUMNS) == sorted(contract.REQUEST_COLUMNS)
    assert len(set(generate.CHILD_COLUMNS)) == len(generate.CHILD_COLUMNS)
    assert len(set(generate.REQUEST_COLUMNS)) == len(generate.REQUEST_COLUMNS)


def test_the_baselines_read_the_contracts_columns() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "baselines"))
    try:
        import baseline_io
    finally:
        sys.path.pop(0)
    from tracing import contract

    assert list(contract.CHILD_COLUMNS) == baseline_io.CHILD_COLUMNS
    assert list(contract.REQUEST_COLUMNS) == baseline_io.REQUEST_COLUMNS
