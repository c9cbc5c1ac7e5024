"""Bulk import of validated rows (`ftr import`): COPY and one merge per batch.

Writes happen in transactions: an import commits one batch at a time, so that a crash
leaves whole records only, and re-running the same file updates, never duplicates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from geoalchemy2 import Geography
from psycopg import sql
from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from models import ChildRegistration, Inquiry, SoughtChild
from models.db import transaction
from tracing.accounts.services import DEFAULT_AGENCY, ensure_agency
from tracing.audit import command_details, record_audit
from tracing.contract import Kind, Problem, ProblemList, Validated
from tracing.linkage.store_upkeep import refresh_statistics, table_of
from tracing.people import ewkt, person_values

IMPORT_BATCH_SIZE = 2000


ProgressCallback = Callable[[int], None]


@dataclass
class ImportReport(ProblemList):
    kind: Kind
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    # Ids of stored rows that are new or changed: the bulk matching pass takes these.
    changed_ids: list[int] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return self.inserted + self.updated + self.unchanged


def _comparable(table: Table, column: str, alias: str) -> sql.Composable:
    # Geography has no equality operator for IS DISTINCT FROM: compare its bytes.
    ident = sql.Identifier(alias, column)
    if isinstance(table.c[column].type, Geography):
        return sql.SQL("ST_AsBinary({})").format(ident)
    return ident


def _upsert(
    session: Session, table: Table, rows: list[dict[str, Any]], keep: Sequence[str] = ()
) -> dict[str, tuple[int, bool]]:
    """Insert or update rows by ref; return {ref: (id, inserted)} for new or changed rows.

    The rows are COPYed into a temporary table and merged with one INSERT … ON CONFLICT:
    several times faster than a multi-row INSERT, in the session's own transaction.
    A row identical to the stored one is left alone (its revision stays), so that a
    re-import does not make every record look changed to the matcher.
    """
    if not rows:
        return {}
    columns = list(rows[0])
    content = [c for c in columns if c not in {"ref", *keep}]
    target, staging = sql.Identifier(table.name), sql.Identifier(f"import_{table.name}")
    column_list = sql.SQL(", ").join(map(sql.Identifier, columns))
    updates: list[sql.Composable] = [
        sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in content
    ]
    updates.append(sql.SQL("updated_at = now()"))
    if "revision" in table.c:
        updates.append(sql.SQL("revision = {}.revision + 1").format(target))
    merge = sql.SQL(
        "INSERT INTO {target} ({columns}) SELECT {columns} FROM {staging} "
        "ON CONFLICT (ref) DO UPDATE SET {updates} "
        "WHERE ({old}) IS DISTINCT FROM ({new}) "
        "RETURNING ref, id, (xmax = 0) AS inserted"
    ).format(
        target=target,
        staging=staging,
        columns=column_list,
        updates=sql.SQL(", ").join(updates),
        old=sql.SQL(", ").join(_comparable(table, c, table.name) for c in content),
        new=sql.SQL(", ").join(_comparable(table, c, "excluded") for c in content),
    )
    driver = session.connection().connection.driver_connection
    if not isinstance(driver, psycopg.Connection):
        raise TypeError("FTR imports need the psycopg 3 driver")
    with driver.cursor() as cursor:
        cursor.execute(
            sql.SQL(
                "CREATE TEMP TABLE {staging} ON COMMIT DROP AS "
                "SELECT {columns} FROM {target} WITH NO DATA"
            ).format(staging=staging, columns=column_list, target=target)
        )
        with cursor.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(staging, column_list)) as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
        cursor.execute(merge)
        outcome = {ref: (row_id, inserted) for ref, row_id, inserted in cursor.fetchall()}
        # Dropped here too: inside a test's savepoint the transaction never commits.
        cursor.execute(sql.SQL("DROP TABLE {}").format(staging))
    return outcome


def _account(
    report: ImportReport,
    records: list[dict[str, Any]],
    outcome: dict[str, tuple[int, bool]],
) -> None:
    for record in records:
        ref = record["ref"]
        if ref in outcome:
            row_id, inserted = outcome[ref]
            report.changed_ids.append(row_id)
            if inserted:
                report.inserted += 1
                continue
            report.updated += 1
            message = "ref exists in the store: the record was updated"
        else:
            report.unchanged += 1
            message = "ref exists in the store with the same content: nothing to change"
        report.problems.append(Problem(record["line"], "ref", message, "warning", ref))


def _child_rows(records: list[dict[str, Any]], agency_id: int) -> list[dict[str, Any]]:
    rows = []
    for record in records:
        values = person_values(record)
        registration = record["registration_date"]
        values["registration_date"] = registration.value if registration else None
        values["current_point"] = ewkt(record["current_point"])
        values["agency_id"] = agency_id
        rows.append(values)
    return rows


def _import_children_batch(
    session: Session, records: list[dict[str, Any]], agency_id: int, report: ImportReport
) -> None:
    outcome = _upsert(
        session, table_of(ChildRegistration), _child_rows(records, agency_id), keep=("agency_id",)
    )
    _account(report, records, outcome)


def _inquiry_ref(record: dict[str, Any]) -> str:
    # A sought child filed alone forms an inquiry of its own, named after it.
    return str(record["inquiry_ref"] or record["ref"])


def _import_requests_batch(
    session: Session, records: list[dict[str, Any]], agency_id: int, report: ImportReport
) -> None:
    inquiries: dict[str, dict[str, Any]] = {}
    for record in records:
        ref = _inquiry_ref(record)
        request_date = record["request_date"]
        values = inquiries.setdefault(
            ref,
            {
                "ref": ref,
                "inquirer_name": None,
                "inquirer_relationship": None,
                "request_date": None,
                "agency_id": agency_id,
            },
        )
        # Rows filed together share one inquirer: the first value given wins.
        for key, value in (
            ("inquirer_name", record["inquirer_name"]),
            ("inquirer_relationship", record["inquirer_relationship"]),
            ("request_date", request_date.value if request_date else None),
        ):
            if values[key] is None:
                values[key] = value
    inquiry_table, sought_table = table_of(Inquiry), table_of(SoughtChild)
    inquiry_outcome = _upsert(session, inquiry_table, list(inquiries.values()), keep=("agency_id",))
    found = session.execute(select(Inquiry.ref, Inquiry.id).where(Inquiry.ref.in_(list(inquiries))))
    ids = dict(found.all())
    rows = []
    for record in records:
        values = person_values(record)
        values["inquiry_id"] = ids[_inquiry_ref(record)]
        rows.append(values)
    outcome = _upsert(session, sought_table, rows)
    # The matcher reads the inquirer's name and relationship (kin words) and the request
    # date (an age's birth year) as the sought children's own: a corrected inquiry makes
    # each of its sought children a new revision to match again, as if edited itself.
    corrected = [row_id for row_id, inserted in inquiry_outcome.values() if not inserted]
    if corrected:
        bumped = session.execute(
            update(SoughtChild)
            .where(
                SoughtChild.inquiry_id.in_(corrected),
                SoughtChild.ref.not_in(list(outcome)),
            )
            .values(revision=SoughtChild.revision + 1, updated_at=func.now())
            .returning(SoughtChild.ref, SoughtChild.id),
            execution_options={"synchronize_session": False},
        )
        in_file = {record["ref"] for record in records}
        for ref, row_id in bumped:
            outcome[ref] = (row_id, False)
            if ref not in in_file:  # a sibling filed earlier: matched again all the same
                report.changed_ids.append(row_id)
    _account(report, records, outcome)


def import_records(
    session: Session,
    kind: Kind,
    validated: Validated,
    *,
    agency_name: str = DEFAULT_AGENCY,
    batch_size: int = IMPORT_BATCH_SIZE,
    on_progress: ProgressCallback | None = None,
    source: str | None = None,
) -> ImportReport:
    """Store the valid records of a validated file, one transaction per batch.

    Rows with errors were already left out by validation and are reported here
    with the rest; a re-run of the same file updates rows, never duplicates them. The
    import is audited (`source` names the file).
    """
    report = ImportReport(kind, rows_read=validated.rows_read, problems=list(validated.problems))
    with transaction(session):
        agency_id = ensure_agency(session, agency_name).id
    store = _import_children_batch if kind == "children" else _import_requests_batch
    records = validated.records
    for start in range(0, len(records), batch_size):
        batch = records[start : start + batch_size]
        with transaction(session):
            store(session, batch, agency_id, report)
        if on_progress:
            on_progress(len(batch))
    if report.inserted or report.updated:
        refresh_statistics(session, kind)
    report.problems.sort(key=lambda p: (p.line, p.severity))
    with transaction(session):
        record_audit(
            session,
            None,
            f"import_{kind}",
            details=command_details(
                file=source,
                agency=agency_name,
                rows_read=report.rows_read,
                inserted=report.inserted,
                updated=report.updated,
                unchanged=report.unchanged,
                rejected_rows=len({p.line for p in report.errors}),
            ),
        )
    return report
