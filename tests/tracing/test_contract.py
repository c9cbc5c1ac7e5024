"""Every rule of the DESIGN §3 data contract, on the pure validator (no database)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tracing import contract

TODAY = dt.date(2026, 11, 25)
HEADER = "ref,given_name,family_name,other_names,sex,age,date_of_birth,separation_date,"
HEADER += "separation_lat,separation_lon,current_lat,current_lon,registration_date"


def check(rows: str, kind: contract.Kind = "children", header: str = HEADER) -> contract.Validated:
    table = contract.read_csv_text(header + "\n" + rows)
    return contract.validate_table(kind, table, today=TODAY)


def only(v: contract.Validated, severity: str = "error") -> contract.Problem:
    problems = [p for p in v.problems if p.severity == severity]
    assert len(problems) == 1, problems
    return problems[0]


def test_a_good_row_becomes_a_clean_record() -> None:
    v = check("C1, Amina ,Yousif,Mina; Amoun,F,7,2019-03,2026-04-02,13.45,22.44,,,2026-05-01")
    assert v.problems == []
    (record,) = v.records
    assert record["given_name"] == "Amina"
    assert record["other_names"] == ["Mina", "Amoun"]
    assert record["sex"] == "female"
    assert record["age"] == 7
    assert record["date_of_birth"] == contract.PartialDate(dt.date(2019, 3, 1), "month")
    assert record["separation_point"] == (13.45, 22.44)
    assert record["current_point"] is None
    assert record["line"] == 2


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (",Amina,,,,,,,,,,,", "ref", "ref is empty"),
        ("C1,,,,,,,,,,,,", "given_name", "no name"),
        ("C1,Amina,,,,7.5,,,,,,,", "age", "not a whole number"),
        ("C1,Amina,,,,seven,,,,,,,", "age", "not a whole number"),
        ("C1,Amina,,,,-1,,,,,,,", "age", "outside 0–25"),
        ("C1,Amina,,,,26,,,,,,,", "age", "outside 0–25"),
        ("C1,Amina,,,,,2019-13,,,,,,", "date_of_birth", "does not exist"),
        ("C1,Amina,,,,,2019/03/01,,,,,,", "date_of_birth", "is not YYYY-MM-DD"),
        ("C1,Amina,,,,,2026-02-30,,,,,,", "date_of_birth", "does not exist"),
        ("C1,Amina,,,,,,2026-12-01,,,,,", "separation_date", "later than today"),
        ("C1,Amina,,,,,,,,,,,2027", "registration_date", "later than today"),
        ("C1,Amina,,,,,,,90.5,10,,,", "separation_lat", "outside ±90"),
        ("C1,Amina,,,,,,,10,-180.01,,,", "separation_lon", "outside ±180"),
        ("C1,Amina,,,,,,,10,,,,", "separation_lon", "give both or neither"),
        ("C1,Amina,,,,,,,,,,5,", "current_lat", "give both or neither"),
        ("C1,Amina,,,,,,,north,10,,,", "separation_lat", "not a number"),
        ("C1,Amina,,,girl,,,,,,,,", "sex", "not one of male, female, unknown"),
    ],
)
def test_each_error_names_line_column_and_reason(row: str, column: str, reason: str) -> None:
    v = check(row)
    problem = only(v)
    assert (problem.line, problem.column) == (2, column)
    assert reason in problem.message
    assert v.records == []


@pytest.mark.parametrize("sex", ["male", "MALE", "m", "M", "Female", "f", "unknown", ""])
def test_sex_values_are_case_insensitive(sex: str) -> None:
    v = check(f"C1,Amina,,,{sex},,,,,,,,")
    assert v.errors == []
    assert v.records[0]["sex"] in {"male", "female", "unknown"}


def test_duplicate_ref_is_an_error_on_the_later_row() -> None:
    v = check("C1,Amina,,,,,,,,,,,\nC2,Idris,,,,,,,,,,,\nC1,Halima,,,,,,,,,,,")
    problem = only(v)
    assert problem.line == 4 and "first used on line 2" in problem.message
    assert [r["ref"] for r in v.records] == ["C1", "C2"]


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("C1,Amina,,,,19,,,,,,,", "age", "may no longer be a child"),
        ("C1,Amina,,,,9,2019-01-10,,,,,,2026-05-01", "age", "2 or more years apart"),
        ("C1,Amina,,,,,,2026-06-01,,,,,2026-05-01", "separation_date", "after registration_date"),
    ],
)
def test_warnings_keep_the_row(row: str, column: str, reason: str) -> None:
    v = check(row)
    problem = only(v, "warning")
    assert problem.column == column and reason in problem.message
    assert len(v.records) == 1


def test_age_and_dob_one_year_apart_is_fine() -> None:
    assert check("C1,Amina,,,,8,2019-01-10,,,,,,2026-05-01").problems == []


def test_partial_separation_date_in_the_record_month_is_not_after_it() -> None:
    assert check("C1,Amina,,,,,,2026-05-20,,,,,2026-05").problems == []


def test_unknown_columns_are_one_warning_on_the_header() -> None:
    v = check("C1,Amina,x,y", header="ref,given_name,favourite_colour,shoe_size")
    problem = only(v, "warning")
    assert problem.line == 1 and problem.column == "favourite_colour, shoe_size"
    assert len(v.records) == 1


def test_a_file_without_ref_column_stores_nothing() -> None:
    v = check("Amina", header="given_name")
    assert only(v).message.startswith("no ref column")
    assert v.records == []


def test_a_row_with_quoted_line_breaks_is_named_by_its_first_line() -> None:
    v = check('C1,"Amina\nYousif",,,,,,,,,,,\nC2,,,,,,,,,,,,')
    assert only(v).line == 4  # C1 spans lines 2-3


def test_any_script_and_tricky_text_is_kept_exactly() -> None:
    names = [
        "محمد",
        "Олександр",
        "សុខ",
        "O'Brien",
        '"Sasha"',
        "👧🏽 Mimi",
        "<script>alert(1)</script>",
        "Robert'); DROP TABLE child_registration;--",
        '=HYPERLINK("http://x")',
    ]
    rows = "\n".join(
        f'C{i},"{n.replace(chr(34), chr(34) * 2)}",,,,,,,,,,,' for i, n in enumerate(names)
    )
    v = check(rows)
    assert v.errors == []
    assert [r["given_name"] for r in v.records] == names


def test_requests_have_their_own_columns() -> None:
    header = "ref,inquiry_ref,inquirer_name,inquirer_relationship,given_name,request_date,"
    header += "separation_date"
    v = check(
        "S1,INQ-1,Halima Adam,mother,Idris,2026-03-01,2026-03-05",
        kind="requests",
        header=header,
    )
    assert only(v, "warning").message.startswith("separation date 2026-03-05 is after request_date")
    assert v.records[0]["inquiry_ref"] == "INQ-1"
    assert v.records[0]["inquirer_relationship"] == "mother"


def test_neutralise_cell_defuses_formulas() -> None:
    assert contract.neutralise_cell("=1+1") == "'=1+1"
    assert contract.neutralise_cell("@SUM(A1)") == "'@SUM(A1)"
    assert contract.neutralise_cell("-3") == "'-3"
    assert contract.neutralise_cell("Amina") == "Amina"


def test_not_utf8_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("ref,given_name\nC1,Jos\xe9\n".encode("latin-1"))
    with pytest.raises(contract.ContractError, match="not UTF-8"):
        contract.read_table(path)


def test_xlsx_cells_are_read_like_csv(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["ref", "given_name", "age", "date_of_birth", "separation_lat", "separation_lon"])
    sheet.append(["C1", "Dara", 6, dt.datetime(2020, 1, 2), 11.5, 104.9])
    sheet.append(["C2", None, 5, None, None, None])
    path = tmp_path / "children.xlsx"
    book.save(path)
    v = contract.validate_file("children", path, today=TODAY)
    assert [(p.line, p.column) for p in v.errors] == [(3, "given_name")]
    (record,) = v.records
    assert record["age"] == 6
    assert record["date_of_birth"].iso() == "2020-01-02"
    assert record["separation_point"] == (11.5, 104.9)


def test_control_characters_and_overlong_refs_are_errors() -> None:
    v = check("C1,Ami\x00na,,,,,,,,,,,\n" + "C" * 65 + ",Idris,,,,,,,,,,,")
    assert [(p.line, p.column) for p in v.errors] == [(2, "given_name"), (3, "ref")]
    assert "control characters" in v.errors[0].message
    assert "at most 64" in v.errors[1].message
