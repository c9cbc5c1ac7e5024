"""The CSV/XLSX data contract (DESIGN §3): reading files and validating rows.

Pure Python, no Flask and no database: `ftr import` (into the store) and `ftr link`
(in memory) both validate through here, so a bad row is reported the same way by
each. Every problem names the file line (header = line 1; a row with quoted line
breaks is named by the line where it starts), the column and the reason.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Kind = Literal["children", "requests"]
Severity = Literal["error", "warning"]

PERSON_COLUMNS = (
    "ref",
    "given_name",
    "family_name",
    "other_names",
    "sex",
    "age",
    "date_of_birth",
    "separation_date",
    "separation_place",
    "separation_lat",
    "separation_lon",
    "mother_name",
    "father_name",
    "language",
)
# The child fields of a form or an API call: the contract's person columns but the ref.
PERSON_VALUE_COLUMNS = tuple(c for c in PERSON_COLUMNS if c != "ref")
CHILD_COLUMNS = (*PERSON_COLUMNS, "current_lat", "current_lon", "registration_date")
REQUEST_COLUMNS = (
    *PERSON_COLUMNS,
    "inquiry_ref",
    "inquirer_name",
    "inquirer_relationship",
    "request_date",
)
COLUMNS: dict[Kind, tuple[str, ...]] = {"children": CHILD_COLUMNS, "requests": REQUEST_COLUMNS}
NAME_COLUMNS = ("given_name", "family_name", "other_names")
# The date a record was made, against which the separation date and the age are read.
RECORD_DATE_COLUMN: dict[Kind, str] = {"children": "registration_date", "requests": "request_date"}

MAX_AGE = 25
MAX_REF_LENGTH = 64
# Tabs and line breaks are fine inside a cell; other control characters are not.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ADULT_AGE = 18
SEX_ALIASES = {"male": "male", "m": "male", "female": "female", "f": "female", "unknown": "unknown"}
_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_INT_RE = re.compile(r"^[+-]?\d+(?:\.0*)?$")
# Spreadsheet programs run a cell starting with these as a formula.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class ContractError(Exception):
    """The file as a whole cannot be read (not found, not UTF-8, no header...)."""


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    column: str | None
    message: str
    severity: Severity = "error"
    ref: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        ref = f" [{self.ref}]" if self.ref else ""
        return f"{self.severity}: {where}{ref}: {self.message}"


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date known to a year, a month or a day."""

    value: dt.date
    precision: Literal["year", "month", "day"]

    def iso(self) -> str:
        if self.precision == "year":
            return f"{self.value.year:04d}"
        if self.precision == "month":
            return f"{self.value.year:04d}-{self.value.month:02d}"
        return self.value.isoformat()

    @property
    def last_day(self) -> dt.date:
        if self.precision == "year":
            return dt.date(self.value.year, 12, 31)
        if self.precision == "month":
            days = calendar.monthrange(self.value.year, self.value.month)[1]
            return dt.date(self.value.year, self.value.month, days)
        return self.value


@dataclass(slots=True)
class Row:
    """One data row as read: its starting line and its cells by column name."""

    line: int
    cells: dict[str, str]


@dataclass(slots=True)
class Table:
    header: list[str]
    rows: list[Row]


class ProblemList:
    """Errors and warnings of anything that carries a `problems` list."""

    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


@dataclass
class Validated(ProblemList):
    """The outcome of validating a table: clean records and every problem found."""

    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows_read: int = 0


# --------------------------------------------------------------------------- reading


def read_table(path: Path) -> Table:
    """Read a CSV (UTF-8) or XLSX file into rows keyed by its header."""
    if not path.exists():
        raise ContractError(f"{path}: no such file")
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        return _read_xlsx(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ContractError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8 CSV"
        ) from exc
    return read_csv_text(text, str(path))


def read_csv_text(text: str, name: str = "<csv>") -> Table:
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ContractError(f"{name}: the file is empty; a header row is needed") from None
    except csv.Error as exc:
        raise ContractError(f"{name}: header row unreadable: {exc}") from exc
    rows: list[Row] = []
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ContractError(f"{name}: line {start}: {exc}") from exc
        if any(c.strip() for c in cells):
            rows.append(_row(start, header, cells))
        start = reader.line_num + 1
    return Table(header, rows)


def _row(line: int, header: Sequence[str], cells: Sequence[str]) -> Row:
    row = Row(line, dict(zip(header, cells, strict=False)))
    if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
        row.cells["__extra__"] = str(len(cells) - len(header))
    return row


def _xlsx_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ContractError(f"{path}: not a readable .xlsx workbook: {exc}") from exc
    try:
        sheet = book.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        first = next(values, None)
        if first is None:
            raise ContractError(f"{path}: the sheet is empty; a header row is needed")
        header = [_xlsx_cell(h).strip() for h in first]
        rows = []
        for line, raw in enumerate(values, start=2):
            cells = [_xlsx_cell(v) for v in raw]
            if any(c.strip() for c in cells):
                rows.append(_row(line, header, cells))
        return Table(header, rows)
    finally:
        book.close()


# --------------------------------------------------------------------------- parsing


def parse_partial_date(text: str) -> PartialDate:
    """Parse YYYY, YYYY-MM or YYYY-MM-DD; raise ValueError with a reason."""
    match = _DATE_RE.match(text)
    if not match:
        raise ValueError(f"date {text!r} is not YYYY-MM-DD, YYYY-MM or YYYY")
    year, month, day = match.groups()
    try:
        if day is not None:
            return PartialDate(dt.date(int(year), int(month), int(day)), "day")
        if month is not None:
            return PartialDate(dt.date(int(year), int(month), 1), "month")
        return PartialDate(dt.date(int(year), 1, 1), "year")
    except ValueError:
        raise ValueError(f"date {text!r} does not exist") from None


def parse_sex(text: str) -> str:
    if not text:
        return "unknown"
    try:
        return SEX_ALIASES[text.lower()]
    except KeyError:
        raise ValueError(f"sex {text!r} is not one of male, female, unknown (or m, f)") from None


def split_other_names(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def partial_date(value: dt.date | None, precision: str | None) -> str:
    """A stored date as precisely as it is known: 2019, 2019-03 or 2019-03-14."""
    if value is None:
        return ""
    if precision == "year":
        return PartialDate(value, "year").iso()
    if precision == "month":
        return PartialDate(value, "month").iso()
    return value.isoformat()


def neutralise_cell(value: object) -> str:
    """Text safe to open in a spreadsheet: a formula-like cell gets a leading quote.

    A number is left as it is, negative ones too: a weight of -6.6781 is no formula, and
    quoted it would become text. Text is quoted whatever follows the sign ("-3" typed in
    a name field is text, and stays text)."""
    if value is None:
        return ""
    text = str(value)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number and text.startswith(_FORMULA_PREFIXES):
        return "'" + text
    return text


def age_at(dob: PartialDate, when: dt.date) -> int:
    years = when.year - dob.value.year
    if (when.month, when.day) < (dob.value.month, dob.value.day):
        years -= 1
    return years


# --------------------------------------------------------------------------- validating


class _RowCheck:
    """Collects the problems of one row while its cells are converted."""

    __slots__ = ("line", "problems", "ref")

    def __init__(self, line: int, ref: str | None) -> None:
        self.line = line
        self.ref = ref
        self.problems: list[Problem] = []

    def error(self, column: str | None, message: str) -> None:
        self.problems.append(Problem(self.line, column, message, "error", self.ref))

    def warn(self, column: str | None, message: str) -> None:
        self.problems.append(Problem(self.line, column, message, "warning", self.ref))

    @property
    def failed(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


def _text(cells: dict[str, str], column: str) -> str | None:
    value = cells.get(column, "").strip()
    return value or None


def _date(
    check: _RowCheck, cells: dict[str, str], column: str, today: dt.date
) -> PartialDate | None:
    text = cells.get(column, "").strip()
    if not text:
        return None
    try:
        value = parse_partial_date(text)
    except ValueError as exc:
        check.error(column, str(exc))
        return None
    if value.value > today:
        check.error(column, f"date {text} is later than today ({today.isoformat()})")
        return None
    return value


def _point(check: _RowCheck, cells: dict[str, str], prefix: str) -> tuple[float, float] | None:
    lat_col, lon_col = f"{prefix}_lat", f"{prefix}_lon"
    lat_text, lon_text = cells.get(lat_col, "").strip(), cells.get(lon_col, "").strip()
    if not lat_text and not lon_text:
        return None
    if not lat_text or not lon_text:
        missing, other = (lat_col, lon_col) if not lat_text else (lon_col, lat_col)
        check.error(
            missing,
            f"{missing} is empty but {other} is given; give both or neither",
        )
        return None
    values = []
    for column, text, limit in ((lat_col, lat_text, 90.0), (lon_col, lon_text, 180.0)):
        try:
            value = float(text)
        except ValueError:
            check.error(column, f"{text!r} is not a number")
            return None
        if not -limit <= value <= limit:
            check.error(column, f"{value} is outside ±{limit:g}")
            return None
        values.append(value)
    return values[0], values[1]


def validate_row(
    kind: Kind, row: Row, today: dt.date, seen: dict[str, int]
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Convert one row to a clean record, or None when it has an error."""
    cells = row.cells
    ref = cells.get("ref", "").strip()
    check = _RowCheck(row.line, ref or None)
    if "__extra__" in cells:
        check.error(None, f"the row has {cells['__extra__']} more cells than the header")
    bad_cells = [c for c, v in cells.items() if c != "__extra__" and _CONTROL_RE.search(v)]
    for column in bad_cells:
        check.error(column, "the cell holds control characters (such as NUL); remove them")
    if not ref:
        check.error("ref", "ref is empty; every row needs a unique ref")
    elif len(ref) > MAX_REF_LENGTH:
        check.error("ref", f"ref is {len(ref)} characters long; at most {MAX_REF_LENGTH}")
    elif ref in seen:
        check.error("ref", f"duplicate ref {ref!r}, first used on line {seen[ref]}")
    else:
        seen[ref] = row.line

    given, family = _text(cells, "given_name"), _text(cells, "family_name")
    other = split_other_names(cells.get("other_names", ""))
    if not (given or family or other):
        check.error("given_name", "no name: fill given_name, family_name or other_names")

    try:
        sex = parse_sex(cells.get("sex", "").strip())
    except ValueError as exc:
        check.error("sex", str(exc))
        sex = "unknown"

    age: int | None = None
    age_text = cells.get("age", "").strip()
    if age_text:
        if not _INT_RE.match(age_text):
            check.error("age", f"age {age_text!r} is not a whole number of years")
        else:
            age = int(float(age_text))
            if age < 0 or age > MAX_AGE:
                check.error("age", f"age {age} is outside 0–{MAX_AGE}")
                age = None
            elif age >= ADULT_AGE:
                check.warn("age", f"age {age}: may no longer be a child (18–25)")

    dob = _date(check, cells, "date_of_birth", today)
    separation_date = _date(check, cells, "separation_date", today)
    record_date_column = RECORD_DATE_COLUMN[kind]
    record_date = _date(check, cells, record_date_column, today)
    separation = _point(check, cells, "separation")
    current = _point(check, cells, "current") if kind == "children" else None

    if separation_date and record_date and separation_date.value > record_date.last_day:
        check.warn(
            "separation_date",
            f"separation date {separation_date.iso()} is after"
            f" {record_date_column} {record_date.iso()}",
        )
    if age is not None and dob is not None:
        computed = age_at(dob, record_date.last_day if record_date else today)
        if abs(computed - age) >= 2:
            check.warn(
                "age",
                f"age {age} and date of birth {dob.iso()} (age {computed})"
                " are 2 or more years apart",
            )

    if check.failed:
        return None, check.problems
    record: dict[str, Any] = {
        "ref": ref,
        "given_name": given,
        "family_name": family,
        "other_names": other,
        "sex": sex,
        "age": age,
        "date_of_birth": dob,
        "separation_date": separation_date,
        record_date_column: record_date,
        "separation_place": _text(cells, "separation_place"),
        "separation_point": separation,
        "mother_name": _text(cells, "mother_name"),
        "father_name": _text(cells, "father_name"),
        "language": _text(cells, "language"),
        "line": row.line,
    }
    if kind == "children":
        record["current_point"] = current
    else:
        record["inquiry_ref"] = _text(cells, "inquiry_ref")
        record["inquirer_name"] = _text(cells, "inquirer_name")
        record["inquirer_relationship"] = _text(cells, "inquirer_relationship")
    return record, check.problems


def header_problems(kind: Kind, header: Sequence[str]) -> tuple[list[Problem], bool]:
    """Problems of the header itself, and whether the file can be imported at all."""
    problems = []
    known = set(COLUMNS[kind])
    unknown = [h for h in header if h and h not in known]
    if unknown:
        problems.append(Problem(1, ", ".join(unknown), "unknown column(s) ignored", "warning"))
    duplicates = sorted({h for h in header if h and header.count(h) > 1})
    if duplicates:
        problems.append(Problem(1, ", ".join(duplicates), "column named twice", "error"))
    if "ref" not in header:
        problems.append(Problem(1, "ref", "no ref column; every row needs a unique ref", "error"))
    if not any(c in header for c in NAME_COLUMNS):
        problems.append(
            Problem(1, None, "no name column (given_name, family_name or other_names)", "error")
        )
    return problems, not any(p.severity == "error" for p in problems)


def validate_table(kind: Kind, table: Table, today: dt.date | None = None) -> Validated:
    """Validate every row; the good ones come back as records, every problem is listed."""
    today = today or dt.date.today()
    result = Validated(rows_read=len(table.rows))
    problems, usable = header_problems(kind, table.header)
    result.problems.extend(problems)
    if not usable:
        return result
    seen: dict[str, int] = {}
    for row in table.rows:
        record, row_problems = validate_row(kind, row, today, seen)
        result.problems.extend(row_problems)
        if record is not None:
            result.records.append(record)
    return result


def validate_file(kind: Kind, path: Path, today: dt.date | None = None) -> Validated:
    return validate_table(kind, read_table(path), today)


# --------------------------------------------------------------------------- output


def record_to_row(kind: Kind, record: dict[str, Any]) -> dict[str, Any]:
    """A clean record back in contract columns: what the matching engine reads."""
    row: dict[str, Any] = {}
    for column in COLUMNS[kind]:
        if column in ("separation_lat", "separation_lon", "current_lat", "current_lon"):
            prefix, axis = column.rsplit("_", 1)
            point = record.get(f"{prefix}_point")
            row[column] = (point[0] if axis == "lat" else point[1]) if point else None
            continue
        value = record.get(column)
        if isinstance(value, PartialDate):
            value = value.iso()
        elif isinstance(value, list):
            value = ";".join(value)
        row[column] = value
    return row


def write_problems_csv(problems: Iterable[Problem], out: Path) -> None:
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "severity", "ref", "column", "message"])
        for p in problems:
            writer.writerow(
                [
                    p.line,
                    p.severity,
                    neutralise_cell(p.ref or ""),
                    p.column or "",
                    neutralise_cell(p.message),
                ]
            )
