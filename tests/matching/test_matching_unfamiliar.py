"""Hand-written records that the generators don't make, scored by a model fitted on
generated data (never on these records): names that move between fields, a lone
name-alike, a child sought with a sister, step-parents."""

from __future__ import annotations

import subprocess  # nosec B404: runs the evaluation generator
import sys
from functools import partial
from pathlib import Path

import pandas as pd
import pytest

from matching import Linker
from matching.records import parent_relation

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "data" / "samples"))
import generate  # noqa: E402

REGISTERED = "2026-11-20"
SOUGHT = "2026-11-25"


SHARED_EVAL = ROOT.parent / "shared" / "eval"


def _caseload(generator: str, tmp: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    if generator == "ours":
        scenario = generate.generate("sudan", 4000, 1000, seed=5)
        return scenario.children, scenario.requests
    script = SHARED_EVAL / "ftrgen.py"
    if not script.exists():
        pytest.skip(f"the independent generator is not here ({script})")
    args = ["--region", "sudan", "--children", "4000", "--requests", "1000", "--seed", "5"]
    subprocess.run([sys.executable, str(script), str(tmp), *args], check=True, capture_output=True)
    read = partial(pd.read_csv, dtype=str, keep_default_na=False)
    return read(tmp / "children.csv"), read(tmp / "requests.csv")


@pytest.fixture(scope="module", params=["ours", "shared"])
def fitted(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Linker, pd.DataFrame]:
    """A model fitted on a generated Sudanese caseload (of each generator), and that
    caseload's children."""
    children, sought = _caseload(request.param, tmp_path_factory.mktemp(request.param))
    return Linker.fit(children, sought, seed=0), children


def _rank(
    fitted: tuple[Linker, pd.DataFrame],
    children: list[dict[str, str]],
    sought: list[dict[str, str]],
) -> pd.DataFrame:
    linker, caseload = fitted
    cols = list(caseload.columns)
    added = pd.DataFrame([{c: row.get(c, "") for c in cols} for row in children])
    everyone = pd.concat([caseload, added], ignore_index=True).fillna("")
    return linker.rank(everyone, pd.DataFrame(sought).fillna(""), top_k=5)


def _first(out: pd.DataFrame, ref: str) -> pd.Series:
    rows = out[out["request_ref"] == ref]
    return rows[rows["rank"] == 1].iloc[0]


def test_a_patronymic_pair_is_ranked_first(fitted: tuple[Linker, pd.DataFrame]) -> None:
    # the field team wrote the child's second name, his father's given name (Yusuf); the
    # help desk wrote the family's name (Ibrahim), as the mother gives it
    child = {
        "ref": "T-PATRONYM", "given_name": "Ahmed", "family_name": "Yusuf", "sex": "male",
        "age": "8", "mother_name": "Fatima", "registration_date": REGISTERED,
    }  # fmt: skip
    # a boy of the same name and age, of another family
    alike = {
        "ref": "T-ALIKE", "given_name": "Ahmed", "family_name": "Ibrahim", "sex": "male",
        "age": "8", "mother_name": "Hawa", "father_name": "Osman", "registration_date": REGISTERED,
    }  # fmt: skip
    sought = {
        "ref": "Q-PATRONYM", "inquiry_ref": "I-PATRONYM", "given_name": "Ahmed",
        "family_name": "Ibrahim", "sex": "male", "age": "8", "mother_name": "Fatima",
        "father_name": "Yusuf Ibrahim", "inquirer_name": "Fatima Ibrahim",
        "inquirer_relationship": "mother", "request_date": SOUGHT,
    }  # fmt: skip
    first = _first(_rank(fitted, [child, alike], [sought]), "Q-PATRONYM")
    assert first["child_ref"] == "T-PATRONYM"


@pytest.mark.parametrize(
    "parents",
    [
        {},
        pytest.param(
            {"mother_name": "Zahra", "father_name": "Ishag"},
            # not yet: the sibling alternative no longer discounts a name-alike whose own
            # name agrees, and on data/samples/generate.py a father's name that differs
            # counts only -1.3 (its records write fathers' names in many ways); issue 17
            marks=pytest.mark.xfail(reason="a stranger's differing father counts too little"),
        ),
    ],
    ids=["no parents", "mother agrees, father differs"],
)
def test_a_lone_name_alike_stranger_stays_below_one_half(
    fitted: tuple[Linker, pd.DataFrame], parents: dict[str, str]
) -> None:
    # a sought boy never registered; a stranger with a common given and family name, his
    # age off by one, and no parents, or a mother of a common name and another father
    stranger = {
        "ref": "T-STRANGER", "given_name": "Mohammed", "family_name": "Adam", "sex": "male",
        "age": "8", "registration_date": REGISTERED, **parents,
    }  # fmt: skip
    sought = {
        "ref": "Q-ALONE", "inquiry_ref": "I-ALONE", "given_name": "Mohammed",
        "family_name": "Adam", "sex": "male", "age": "7", "mother_name": "Zahra Ali",
        "father_name": "Adam Haroun", "request_date": SOUGHT,
    }  # fmt: skip
    out = _rank(fitted, [stranger], [sought])
    assert "T-STRANGER" in set(out["child_ref"])
    assert _first(out, "Q-ALONE")["score"] < 0.5


def test_the_identical_record_with_a_sister_sought_beside_it(
    fitted: tuple[Linker, pd.DataFrame],
) -> None:
    # the case: every field agrees, his sister is sought in the same inquiry; a
    # sibling would differ from him somewhere, so the record is his
    child = {
        "ref": "T-SAME", "given_name": "محمد", "family_name": "أحمد", "sex": "male", "age": "7",
        "mother_name": "فاطمة عبد الله", "father_name": "أحمد إبراهيم",
        "separation_place": "El Geneina", "separation_date": "2026-11",
        "separation_lat": "13.45", "separation_lon": "22.45", "registration_date": REGISTERED,
    }  # fmt: skip
    inquiry = {
        "inquiry_ref": "I-SAME", "inquirer_name": "فاطمة عبد الله",
        "inquirer_relationship": "mother", "request_date": SOUGHT,
    }  # fmt: skip
    him = {**child, **inquiry, "ref": "Q-HIM"}
    sister = {**child, **inquiry, "ref": "Q-SISTER", "given_name": "آمنة", "sex": "female"}
    sister["age"] = "5"
    for row in (him, sister):
        row.pop("registration_date")
    out = _rank(fitted, [child], [him, sister])
    first = _first(out, "Q-HIM")
    assert first["child_ref"] == "T-SAME"
    assert first["score"] >= 0.95
    assert first["sibling_weight"] == 0.0
    # for the sister he is a brother, not her
    assert (
        _first(out, "Q-SISTER")["child_ref"] != "T-SAME" or _first(out, "Q-SISTER")["score"] < 0.5
    )


@pytest.mark.parametrize(
    "relationship", ["step-mother", "belle-mère", "زوجة الأب", "мачуха", "madrastra", "Grand-mère"]
)
def test_a_step_mother_is_not_counted_as_the_mother(relationship: str) -> None:
    assert parent_relation(relationship) is None
