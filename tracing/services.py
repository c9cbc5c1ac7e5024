"""Use cases of FTR. Each takes a SQLAlchemy session; pages, API and CLI call these.

Writes happen in transactions: an import commits one batch at a time, so that a crash
leaves whole records only, and re-running the same file updates, never duplicates.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from typing import cast as cast_type

import psycopg
from geoalchemy2 import Geography
from psycopg import sql
from sqlalchemy import Select, Table, and_, bindparam, exists, func, or_, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, defer, joinedload
from sqlalchemy.orm.exc import StaleDataError

from models import (
    Agency,
    AuditEvent,
    Base,
    CaseStatus,
    ChildRegistration,
    FollowUp,
    FollowUpKind,
    Inquiry,
    MatchStatus,
    PotentialMatch,
    Referral,
    Role,
    SoughtChild,
    User,
)

__all__ = ["Role"]

import pandas as pd

import matching.linker
from matching import Linker
from matching.linker import ENGINE_VERSION, RANK_CHUNK_SIZE
from matching.normalize import join_head_rest, normalize_name, token_keys

from . import linkage
from .contract import (
    Kind,
    PartialDate,
    Problem,
    ProblemList,
    Row,
    Validated,
    neutralise_cell,
    partial_date,
    validate_row,
)

log = logging.getLogger(__name__)
IMPORT_BATCH_SIZE = 2000
DEFAULT_AGENCY = "Demo Agency"

ProgressCallback = Callable[[int], None]


class ServiceError(Exception):
    """A use case refused: the message is meant for the person who asked."""


# --------------------------------------------------------------------------- agencies, users


def ensure_agency(session: Session, name: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.name == name))
    if agency is None:
        agency = Agency(name=name)
        session.add(agency)
        session.flush()
    return agency


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def create_user(
    session: Session,
    email: str,
    role: str,
    agency_name: str,
    password: str,
    *,
    reset_if_exists: bool = False,
    audit_actor_id: int | None = None,
    ip: str | None = None,
) -> User:
    """Create a user (or, when asked, reset an existing user's password and role)."""
    email = email.strip().lower()
    if "@" not in email:
        raise ServiceError(f"{email!r} is not an email address")
    if role not in {r.value for r in Role}:
        raise ServiceError(f"unknown role {role!r}; one of {', '.join(r.value for r in Role)}")
    if len(password) < 10:
        raise ServiceError("the password needs at least 10 characters")
    agency = ensure_agency(session, agency_name)
    user = session.scalar(select(User).where(User.email == email))
    if user is not None and not reset_if_exists:
        raise ServiceError(f"a user {email} exists already")
    created = user is None
    if user is None:
        user = User(email=email, role=role, agency=agency)
        session.add(user)
    user.role, user.agency, user.active = role, agency, True
    user.failed_logins, user.locked_until = 0, None
    user.set_password(password)
    session.flush()
    record_audit(
        session, audit_actor_id, "create_user" if created else "reset_user", record=user, ip=ip
    )
    session.commit()
    return user


# --------------------------------------------------------------------------- imports


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


def _ewkt(point: tuple[float, float] | None) -> str | None:
    if point is None:
        return None
    lat, lon = point
    return f"SRID=4326;POINT({lon!r} {lat!r})"


def _date_parts(value: PartialDate | None) -> tuple[dt.date | None, str | None]:
    return (value.value, value.precision) if value else (None, None)


def store_keys(
    names: Sequence[str | None], parents: Sequence[str | None]
) -> tuple[list[str], list[str], str]:
    """Index entries of a person: (name keys, block keys, search text).

    Name keys are the engine's keys of each name token (`matching.name_keys`). A very
    common name (one key can cover thousands of children) is made selective by block
    keys that pair two tokens of the child's names, or one of them with a parent's.
    """
    tokens = [t for name in names for t in normalize_name(name or "")]
    parent_tokens = [t for name in parents for t in normalize_name(name or "")]
    return token_index_keys(tokens, parent_tokens)


def token_index_keys(
    tokens: Sequence[str], parent_tokens: Sequence[str] = ()
) -> tuple[list[str], list[str], str]:
    """`store_keys` of names already normalised: normalising twice is not idempotent
    (a token's own normal form can lose a letter again), so a search query that has its
    tokens keys them as they are."""
    tokens = list(dict.fromkeys(tokens))
    primary = {t: token_keys(t)[0] for t in {*tokens, *parent_tokens}}
    blocks = {
        "x:" + "|".join(sorted((primary[a], primary[b])))
        for i, a in enumerate(tokens)
        for b in tokens[i + 1 :]
        if primary[a] != primary[b]
    }
    blocks |= {f"m:{primary[a]}|{primary[b]}" for a in tokens for b in parent_tokens}
    # the name after a joined head is a key too (Sreypov is found as Pov, and Pov as
    # Sreypov), as in the engine's blocking
    parts = [rest for t in tokens if (rest := join_head_rest(t)) is not None]
    keys = list(dict.fromkeys(k for t in [*tokens, *parts] for k in token_keys(t)))
    return keys, sorted(blocks), " ".join(tokens)


def _person_values(record: dict[str, Any]) -> dict[str, Any]:
    dob, dob_precision = _date_parts(record["date_of_birth"])
    sep, sep_precision = _date_parts(record["separation_date"])
    return {
        "ref": record["ref"],
        "given_name": record["given_name"],
        "family_name": record["family_name"],
        "other_names": record["other_names"],
        "sex": record["sex"],
        "age": record["age"],
        "date_of_birth": dob,
        "date_of_birth_precision": dob_precision,
        "separation_date": sep,
        "separation_date_precision": sep_precision,
        "separation_place": record["separation_place"],
        "separation_point": _ewkt(record["separation_point"]),
        "mother_name": record["mother_name"],
        "father_name": record["father_name"],
        "languages": record["language"],
        **_key_values(
            (record["given_name"], record["family_name"], *record["other_names"]),
            (record["mother_name"], record["father_name"]),
        ),
    }


def _key_values(names: Sequence[str | None], parents: Sequence[str | None]) -> dict[str, Any]:
    keys, blocks, search_text = store_keys(names, parents)
    return {"name_keys": keys, "block_keys": blocks, "search_text": search_text}


def _table(model: type[Base]) -> Table:
    return cast_type(Table, model.__table__)


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
        values = _person_values(record)
        registration = record["registration_date"]
        values["registration_date"] = registration.value if registration else None
        values["current_point"] = _ewkt(record["current_point"])
        values["agency_id"] = agency_id
        rows.append(values)
    return rows


def _import_children_batch(
    session: Session, records: list[dict[str, Any]], agency_id: int, report: ImportReport
) -> None:
    outcome = _upsert(
        session, _table(ChildRegistration), _child_rows(records, agency_id), keep=("agency_id",)
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
    inquiry_table, sought_table = _table(Inquiry), _table(SoughtChild)
    _upsert(session, inquiry_table, list(inquiries.values()), keep=("agency_id",))
    found = session.execute(select(Inquiry.ref, Inquiry.id).where(Inquiry.ref.in_(list(inquiries))))
    ids = dict(found.all())
    rows = []
    for record in records:
        values = _person_values(record)
        values["inquiry_id"] = ids[_inquiry_ref(record)]
        rows.append(values)
    _account(report, records, _upsert(session, sought_table, rows))


def import_records(
    session: Session,
    kind: Kind,
    validated: Validated,
    *,
    agency_name: str = DEFAULT_AGENCY,
    batch_size: int = IMPORT_BATCH_SIZE,
    on_progress: ProgressCallback | None = None,
) -> ImportReport:
    """Store the valid records of a validated file, one transaction per batch.

    Rows with errors were already left out by validation and are reported here
    with the rest; a re-run of the same file updates rows, never duplicates them.
    """
    report = ImportReport(kind, rows_read=validated.rows_read, problems=list(validated.problems))
    agency_id = ensure_agency(session, agency_name).id
    session.commit()
    store = _import_children_batch if kind == "children" else _import_requests_batch
    records = validated.records
    for start in range(0, len(records), batch_size):
        batch = records[start : start + batch_size]
        try:
            store(session, batch, agency_id, report)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        if on_progress:
            on_progress(len(batch))
    if report.inserted or report.updated:
        refresh_statistics(session, kind)
        session.commit()
    report.problems.sort(key=lambda p: (p.line, p.severity))
    return report


_IMPORTED_TABLES: dict[Kind, tuple[type[Base], ...]] = {
    "children": (ChildRegistration,),
    "requests": (Inquiry, SoughtChild),
}


REKEY_BATCH_SIZE = 5_000


@dataclass
class RekeySummary:
    checked: int = 0
    updated: int = 0


def refresh_keys(
    session: Session,
    *,
    batch_size: int = REKEY_BATCH_SIZE,
    on_progress: Callable[[int, int], None] | None = None,
) -> RekeySummary:
    """Write every record's index keys (name keys, block keys, search text) again with
    the engine's current normalisation and variant table (`ftr rekey`).

    Keys are written with a record, so a store kept across an engine upgrade holds keys of
    the old normalisation (Abder Rahmane as two names, Adoum without Adam's variant key)
    and real-time matching would miss some candidates through them. Rows whose keys are
    unchanged are left alone; a changed row keeps its revision and its last-change time,
    since its content is the same. One transaction per batch: an interrupted run resumes
    where it stopped when run again.

    `on_progress(done, total)` is called after each batch, over both tables.
    """
    summary = RekeySummary()
    models = (ChildRegistration, SoughtChild)
    total = sum(session.scalar(select(func.count()).select_from(m)) or 0 for m in models)
    for model in models:
        table = _table(model)
        write = (
            table.update()
            # a record edited since it was read keeps the keys its edit wrote
            .where(table.c.id == bindparam("b_id"), table.c.revision == bindparam("b_revision"))
            .values(
                name_keys=bindparam("b_name_keys"),
                block_keys=bindparam("b_block_keys"),
                search_text=bindparam("b_search_text"),
                updated_at=table.c.updated_at,  # not a change of the record
            )
        )
        last_id = 0
        while True:
            rows = session.execute(
                select(
                    table.c.id,
                    table.c.revision,
                    table.c.given_name,
                    table.c.family_name,
                    table.c.other_names,
                    table.c.mother_name,
                    table.c.father_name,
                    table.c.name_keys,
                    table.c.block_keys,
                    table.c.search_text,
                )
                .where(table.c.id > last_id)
                .order_by(table.c.id)
                .limit(batch_size)
            ).all()
            if not rows:
                break
            changed = []
            for row in rows:
                keys = _key_values(
                    (row.given_name, row.family_name, *(row.other_names or [])),
                    (row.mother_name, row.father_name),
                )
                stored = {
                    "name_keys": row.name_keys,
                    "block_keys": row.block_keys,
                    "search_text": row.search_text,
                }
                if keys != stored:
                    changed.append(
                        {
                            "b_id": row.id,
                            "b_revision": row.revision,
                            **{f"b_{k}": v for k, v in keys.items()},
                        }
                    )
            if changed:
                session.execute(write, changed)
            session.commit()
            summary.checked += len(rows)
            summary.updated += len(changed)
            last_id = rows[-1].id
            if on_progress:
                on_progress(summary.checked, total)
    if summary.updated:  # the keys' counts moved: fresh statistics, and clean GIN lists
        refresh_statistics(session, "children")
        refresh_statistics(session, "requests")
    return summary


def refresh_statistics(session: Session, kind: Kind) -> None:
    """Bring the planner's statistics and the GIN indexes up to date after a bulk load.

    Without this, the name-key queries that matching runs for every new record read a
    bulk load's whole GIN pending list and are planned on empty statistics, until
    autovacuum comes by (if it is on at all): measured on a 200k store, 300 ms instead
    of 10 ms per query. It commits what the session has done so far.

    Both need the tables' owner: a deployment whose application role does not own them
    (the safer set-up) leaves the upkeep to autovacuum, and the import goes on.
    """
    linkage.forget_rare_keys()
    # PostgreSQL adds a session's committed changes to the tables' statistics at most
    # once a second. ANALYZE sets a table's count of live rows to the rows it found, and
    # linkage.selective_keys reads the rows added since as that count less those rows: a
    # batch inserted before ANALYZE but added to the count after it would be counted
    # twice. So this session's changes are added first, at the end of a transaction.
    try:
        with session.begin_nested():
            session.execute(text("SELECT pg_stat_force_next_flush()"))
    except DBAPIError as exc:
        missing = (psycopg.errors.InsufficientPrivilege, psycopg.errors.UndefinedFunction)
        if not isinstance(exc.orig, missing):
            raise
    session.commit()
    for model in _IMPORTED_TABLES[kind]:
        table = _table(model)
        try:
            with session.begin_nested():
                # ANALYZE only warns when not the owner; gin_clean_pending_list raises.
                session.execute(text(f'ANALYZE "{table.name}"'))  # a model's table name
            # Committed at once: other sessions see an ANALYZE's time and row count as
            # soon as it ends, but its key statistics only once committed, and
            # linkage.selective_keys reads both.
            session.commit()
            with session.begin_nested():
                for index in table.indexes:
                    if index.dialect_options["postgresql"].get("using") == "gin":
                        session.execute(
                            text("SELECT gin_clean_pending_list(CAST(:index AS regclass))"),
                            {"index": index.name},
                        )
            session.commit()
        except DBAPIError as exc:
            if not isinstance(exc.orig, psycopg.errors.InsufficientPrivilege):
                raise
            log.warning("statistics of %s left to autovacuum: %s", table.name, exc.orig)


# --------------------------------------------------------------------------- spatial queries


def children_separated_near(
    session: Session, lat: float, lon: float, radius_km: float
) -> list[ChildRegistration]:
    """Registered children separated within radius_km of a point (uses the GiST index)."""
    point = func.ST_GeogFromText(bindparam("point", f"SRID=4326;POINT({lon!r} {lat!r})"))
    stmt = (
        select(ChildRegistration)
        .where(func.ST_DWithin(ChildRegistration.separation_point, point, radius_km * 1000.0))
        .order_by(ChildRegistration.ref)
    )
    return list(session.scalars(stmt))


# --------------------------------------------------------------------------- sign-in, audit


@dataclass
class AuthOutcome:
    user: User | None
    message: str = ""


GENERIC_LOGIN_FAILURE = "Email or password is wrong, or the account is locked."


def record_audit(
    session: Session,
    actor_id: int | None,
    action: str,
    *,
    record: Any = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session's transaction; the caller commits."""
    event = AuditEvent(
        user_id=actor_id,
        action=action,
        record_type=record.__tablename__ if record is not None else None,
        record_id=getattr(record, "id", None),
        record_ref=getattr(record, "ref", None),
        ip=ip,
        details=details or {},
    )
    session.add(event)
    return event


def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    ip: str | None,
    max_failures: int = 5,
    lockout_minutes: int = 15,
) -> AuthOutcome:
    """Check a password; lock the account for a while after repeated failures.

    The message never says whether the email exists or the account is locked, so that
    nobody can probe for accounts.
    """
    now = dt.datetime.now(dt.UTC)
    user = session.scalar(select(User).where(User.email == email.strip().lower()).with_for_update())
    if user is None:
        record_audit(session, None, "login_failed", ip=ip, details={"email": email[:320]})
        session.commit()
        return AuthOutcome(None, GENERIC_LOGIN_FAILURE)
    if not user.active or (user.locked_until is not None and user.locked_until > now):
        record_audit(session, user.id, "login_refused_locked", record=user, ip=ip)
        session.commit()
        return AuthOutcome(None, GENERIC_LOGIN_FAILURE)
    if not user.check_password(password):
        user.failed_logins += 1
        details: dict[str, Any] = {"failures": user.failed_logins}
        if user.failed_logins >= max_failures:
            user.locked_until = now + dt.timedelta(minutes=lockout_minutes)
            user.failed_logins = 0
            details["locked_until"] = user.locked_until.isoformat()
        record_audit(session, user.id, "login_failed", record=user, ip=ip, details=details)
        session.commit()
        return AuthOutcome(None, GENERIC_LOGIN_FAILURE)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    record_audit(session, user.id, "login", record=user, ip=ip)
    session.commit()
    return AuthOutcome(user)


# --------------------------------------------------------------------------- access


def _referred_ids(session: Session, actor: User, column: Any, ids: Iterable[int]) -> set[int]:
    """Of these record ids, those referred to the actor's agency and accepted.

    `column` is `Referral.child_id` or `Referral.inquiry_id`."""
    wanted = list(ids)
    if not wanted:
        return set()
    return set(
        session.scalars(
            select(column).where(
                Referral.to_agency_id == actor.agency_id,
                Referral.status == "accepted",
                column.in_(wanted),
            )
        )
    )


def _sees_child(session: Session, actor: User, child: ChildRegistration) -> bool:
    return child.agency_id == actor.agency_id or bool(
        _referred_ids(session, actor, Referral.child_id, [child.id])
    )


def _sees_inquiry(session: Session, actor: User, inquiry: Inquiry) -> bool:
    return inquiry.agency_id == actor.agency_id or bool(
        _referred_ids(session, actor, Referral.inquiry_id, [inquiry.id])
    )


def visible_child(session: Session, actor: User, child_id: int) -> ChildRegistration | None:
    """The child when the actor's agency owns it or had it referred; None otherwise."""
    child = session.get(ChildRegistration, child_id)
    return child if child is not None and _sees_child(session, actor, child) else None


def owned_child(session: Session, actor: User, child_id: int) -> ChildRegistration | None:
    """The child when the actor's agency owns it: a referral shares reading, not writing."""
    child = session.get(ChildRegistration, child_id)
    return child if child is not None and child.agency_id == actor.agency_id else None


def visible_inquiry(session: Session, actor: User, inquiry_id: int) -> Inquiry | None:
    inquiry = session.get(Inquiry, inquiry_id)
    return inquiry if inquiry is not None and _sees_inquiry(session, actor, inquiry) else None


def may_see_exact_location(actor: User, child: ChildRegistration) -> bool:
    """The exact current location of a child: caseworkers of the owning agency only."""
    return actor.agency_id == child.agency_id and actor.role in {
        Role.CASEWORKER.value,
        Role.SUPERVISOR.value,
    }


# --------------------------------------------------------------------------- registering


def as_flag(value: Any, name: str) -> bool:
    """A yes/no answer from a form or JSON; anything else is refused, never guessed."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "yes", "y", "on", "1"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"false", "no", "n", "off", "0", ""}:
        return False
    raise ValidationFailed([Problem(0, name, f"{name} must be true or false", "error")])


class ValidationFailed(ServiceError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems if p.severity == "error"))
        self.problems = problems


FLAG_FIELDS = frozenset({"age_estimated", "consent_tracing", "consent_sharing"})
PERSON_EXTRA_FIELDS = (
    "age_estimated",
    "distinctive_features",
    "separation_cause",
    "other_relatives",
)
CHILD_EXTRA_FIELDS = (
    *PERSON_EXTRA_FIELDS,
    "current_place",
    "care_arrangement",
    "consent_tracing",
    "consent_sharing",
)


def _validated(
    kind: Kind, cells: dict[str, str], today: dt.date | None = None
) -> tuple[dict[str, Any], list[Problem]]:
    record, problems = validate_row(kind, Row(0, cells), today or dt.date.today(), {})
    if record is None:
        raise ValidationFailed(problems)
    return record, problems


def _apply_person(
    target: ChildRegistration | SoughtChild,
    record: dict[str, Any],
    extra: dict[str, Any],
    fields: Sequence[str],
) -> bool:
    """Copy validated values onto a stored person; True when anything changed."""
    values = _person_values(record)
    values.pop("ref")
    point = values.pop("separation_point")
    changed = False
    for key, value in values.items():
        if getattr(target, key) != value:
            setattr(target, key, value)
            changed = True
    if _ewkt_of(target.separation_point) != point:
        target.separation_point = point
        changed = True
    for key in fields:
        if key not in extra:
            continue
        value = extra[key]
        if key in FLAG_FIELDS:
            value = as_flag(value, key)
        elif value is not None:
            value = str(value).strip()[:2000] or None
        if getattr(target, key) != value:
            setattr(target, key, value)
            changed = True
    return changed


def _ewkt_of(value: Any) -> str | None:
    """A stored point (WKB element or EWKT text) as the EWKT our importer writes."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return _ewkt(point_of(value))


def _next_ref(
    session: Session, model: type[ChildRegistration] | type[Inquiry], prefix: str
) -> tuple[int, str]:
    sequence = f"{model.__tablename__}_id_seq"
    next_id = int(session.scalar(select(func.nextval(sequence))) or 0)
    return next_id, f"{prefix}-{dt.date.today().year}-{next_id:06d}"


def register_child(
    session: Session,
    actor: User,
    cells: dict[str, str],
    extra: dict[str, Any],
    *,
    ip: str | None = None,
    match: bool = True,
    stats: dict[str, int] | None = None,
) -> tuple[ChildRegistration, list[Problem]]:
    """Register a separated child found by a field team, then match it against open requests."""
    cells = {**cells, "ref": "new"}
    record, problems = _validated("children", cells)
    child_id, ref = _next_ref(session, ChildRegistration, "CH")
    child = ChildRegistration(
        id=child_id, ref=ref, agency_id=actor.agency_id, registered_by_id=actor.id
    )
    _apply_person(child, record, extra, CHILD_EXTRA_FIELDS)
    registration = record["registration_date"]
    child.registration_date = registration.value if registration else dt.date.today()
    child.current_point = _ewkt(record["current_point"])
    session.add(child)
    session.flush()
    record_audit(session, actor.id, "register_child", record=child, ip=ip)
    session.commit()
    # Stored first: a failure while matching never loses the registration.
    if match:
        _collect(stats, match_child(session, child))
        session.commit()
    return child, problems


def update_child(
    session: Session,
    actor: User,
    child: ChildRegistration,
    cells: dict[str, str],
    extra: dict[str, Any],
    *,
    ip: str | None = None,
    match: bool = True,
    stats: dict[str, int] | None = None,
) -> tuple[bool, list[Problem]]:
    if not may_see_exact_location(actor, child):
        # The form never showed the exact location to this user: keep the stored one.
        cells = {**cells, "current_lat": "", "current_lon": ""}
    record, problems = _validated("children", {**cells, "ref": child.ref})
    changed = _apply_person(child, record, extra, CHILD_EXTRA_FIELDS)
    current = _ewkt(record["current_point"])
    if may_see_exact_location(actor, child) and _ewkt_of(child.current_point) != current:
        child.current_point = current
        changed = True
    registration = record["registration_date"]
    if registration and child.registration_date != registration.value:
        child.registration_date = registration.value
        changed = True
    if changed:
        child.revision += 1
        record_audit(session, actor.id, "update_child", record=child, ip=ip)
        if not child.consent_tracing:
            _withdraw_cross_agency(session, actor, child)
    session.commit()
    if changed and match:
        _collect(stats, match_child(session, child))
        session.commit()
    return changed, problems


INQUIRER_FIELDS = (
    "inquirer_name",
    "inquirer_relationship",
    "inquirer_contact",
    "inquirer_place",
    "inquirer_language",
    "request_date",
    "consent_tracing",
    "consent_sharing",
)


def _withdraw_cross_agency(session: Session, actor: User, child: ChildRegistration) -> None:
    """Consent to tracing withdrawn: the child's open matches with other agencies end."""
    open_matches = session.scalars(
        select(PotentialMatch).where(
            PotentialMatch.child_id == child.id,
            PotentialMatch.sought_agency_id != child.agency_id,
            PotentialMatch.status.in_(OPEN_MATCH_STATUSES),
        )
    ).all()
    for match in open_matches:
        match.status = MatchStatus.SUPERSEDED.value
        match.decided_by_id, match.decided_at = actor.id, dt.datetime.now(dt.UTC)
        record_audit(session, actor.id, "withdraw_match_no_consent", record=match)


def file_inquiry(
    session: Session,
    actor: User,
    inquirer: dict[str, Any],
    children: list[tuple[dict[str, str], dict[str, Any]]],
    *,
    ip: str | None = None,
    match: bool = True,
    stats: dict[str, int] | None = None,
) -> tuple[Inquiry, list[Problem]]:
    """File a tracing request for one or more sought children, in one transaction."""
    if not children:
        raise ServiceError("an inquiry seeks at least one child")
    inquiry_id, ref = _next_ref(session, Inquiry, "INQ")
    request_date = str(inquirer.get("request_date") or "")
    problems: list[Problem] = []
    records = []
    failed: list[Problem] = []
    for index, (cells, extra) in enumerate(children, start=1):
        try:
            record, row_problems = _validated(
                "requests", {**cells, "ref": f"{ref}-{index}", "request_date": request_date}
            )
        except ValidationFailed as exc:
            failed.extend(
                Problem(index, p.column, p.message, p.severity, p.ref) for p in exc.problems
            )
            continue
        problems.extend(Problem(index, p.column, p.message, p.severity) for p in row_problems)
        records.append((record, extra))
    if failed:
        raise ValidationFailed(failed)
    inquiry = Inquiry(
        id=inquiry_id,
        ref=ref,
        agency_id=actor.agency_id,
        filed_by_id=actor.id,
        inquirer_name=inquirer.get("inquirer_name") or None,
        inquirer_relationship=inquirer.get("inquirer_relationship") or None,
        inquirer_contact=inquirer.get("inquirer_contact") or None,
        inquirer_place=inquirer.get("inquirer_place") or None,
        inquirer_language=inquirer.get("inquirer_language") or None,
        consent_tracing=as_flag(inquirer.get("consent_tracing", True), "consent_tracing"),
        consent_sharing=as_flag(inquirer.get("consent_sharing", False), "consent_sharing"),
        request_date=records[0][0]["request_date"].value
        if records[0][0]["request_date"]
        else dt.date.today(),
    )
    session.add(inquiry)
    for index, (record, extra) in enumerate(records, start=1):
        sought = SoughtChild(ref=f"{ref}-{index}", inquiry=inquiry)
        _apply_person(sought, record, extra, PERSON_EXTRA_FIELDS)
        sought.consent_tracing = inquiry.consent_tracing
        sought.consent_sharing = inquiry.consent_sharing
        session.add(sought)
    session.flush()
    record_audit(
        session,
        actor.id,
        "file_inquiry",
        record=inquiry,
        ip=ip,
        details={"sought_children": len(records)},
    )
    session.commit()
    if match:
        _collect(stats, match_sought_children(session, [s.id for s in inquiry.sought_children]))
        session.commit()
    return inquiry, problems


def _collect(stats: dict[str, int] | None, counts: dict[str, int]) -> None:
    """Add a matching pass's counts (candidates scored, proposals...) to `stats`."""
    if stats is not None:
        for key, value in counts.items():
            stats[key] = stats.get(key, 0) + value


def view_child(session: Session, actor: User, child: ChildRegistration, *, ip: str | None) -> None:
    """Record that the actor opened a case's sensitive fields."""
    record_audit(session, actor.id, "view_child", record=child, ip=ip)
    session.commit()


def view_inquiry(session: Session, actor: User, inquiry: Inquiry, *, ip: str | None) -> None:
    record_audit(session, actor.id, "view_inquiry", record=inquiry, ip=ip)
    session.commit()


def point_of(value: Any) -> tuple[float, float] | None:
    """A stored point as (lat, lon)."""
    if value is None:
        return None
    from geoalchemy2.shape import to_shape
    from shapely import Point

    shape = to_shape(value)
    if not isinstance(shape, Point):
        raise TypeError(f"expected a point, got {shape.geom_type}")
    return (shape.y, shape.x)


def person_form_data(person: ChildRegistration | SoughtChild) -> dict[str, Any]:
    separation = point_of(person.separation_point)
    return {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "other_names": "; ".join(person.other_names),
        "sex": person.sex,
        "age": "" if person.age is None else str(person.age),
        "age_estimated": person.age_estimated,
        "date_of_birth": partial_date(person.date_of_birth, person.date_of_birth_precision),
        "language": person.languages,
        "distinctive_features": person.distinctive_features,
        "separation_date": partial_date(person.separation_date, person.separation_date_precision),
        "separation_place": person.separation_place,
        "separation_lat": "" if separation is None else str(separation[0]),
        "separation_lon": "" if separation is None else str(separation[1]),
        "separation_cause": person.separation_cause,
        "mother_name": person.mother_name,
        "father_name": person.father_name,
        "other_relatives": person.other_relatives,
    }


def child_form_data(child: ChildRegistration, *, exact_location: bool) -> dict[str, Any]:
    """A registration as form data; the exact current location only for those who may see it."""
    current = point_of(child.current_point) if exact_location else None
    return {
        **person_form_data(child),
        "current_place": child.current_place,
        "current_lat": "" if current is None else str(current[0]),
        "current_lon": "" if current is None else str(current[1]),
        "care_arrangement": child.care_arrangement or "",
        "registration_date": child.registration_date.isoformat() if child.registration_date else "",
        "consent_tracing": child.consent_tracing,
        "consent_sharing": child.consent_sharing,
    }


# --------------------------------------------------------------------------- decisions

OPEN_MATCH_STATUSES = (MatchStatus.PROPOSED.value, MatchStatus.IN_VERIFICATION.value)


class StaleDecision(ServiceError):
    """Someone else decided this match first."""


def _lock_checked(session: Session, match: PotentialMatch, expected_version: int) -> None:
    if match.version != expected_version:
        raise StaleDecision(
            "Another caseworker decided this match while you were looking at it; "
            "the page now shows their decision."
        )


def _commit_decision(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        if "one_confirmed" in str(exc.orig):
            raise ServiceError(
                "this sought child has a confirmed match already; reject that one first"
            ) from None
        raise


Decision = TypeVar("Decision", bound=Callable[..., Any])


def _optimistic(func: Decision) -> Decision:
    """A concurrent decision on the same match surfaces as StaleDecision, nothing stored.

    The version column makes the second UPDATE match no row, wherever the session
    flushes it (an autoflush before a query, or the commit).
    """

    @functools.wraps(func)
    def wrapper(session: Session, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(session, *args, **kwargs)
        except StaleDataError:
            session.rollback()
            raise StaleDecision(
                "Another caseworker decided this match at the same moment; "
                "their decision was kept. Reload to see it."
            ) from None

    return wrapper  # type: ignore[return-value]


def both_consent(match: PotentialMatch) -> bool:
    """Both records of a match consent to tracing across agencies."""
    return match.child.consent_tracing and match.sought_child.consent_tracing


def consent_allows_match(match: PotentialMatch) -> bool:
    """Across agencies, a match exists only while both records consent to tracing."""
    return match.child_agency_id == match.sought_agency_id or both_consent(match)


# A referral that still counts: asked for, or granted.
LIVE_REFERRAL_STATUSES = ("pending", "accepted")


def visible_match(session: Session, actor: User, match_id: int) -> PotentialMatch | None:
    """A match is the actor's to see when their agency owns either of its records (and,
    across agencies, while both records consent to tracing)."""
    match = session.get(PotentialMatch, match_id)
    if match is None:
        return None
    owners = {match.child_agency_id, match.sought_agency_id}
    if actor.agency_id not in owners or not consent_allows_match(match):
        return None
    return match


@_optimistic
def start_verification(
    session: Session, actor: User, match: PotentialMatch, expected_version: int, *, ip: str | None
) -> None:
    _lock_checked(session, match, expected_version)
    if match.status != MatchStatus.PROPOSED.value:
        raise ServiceError(f"this match is {match.status.replace('_', ' ')}, not proposed")
    match.status = MatchStatus.IN_VERIFICATION.value
    match.child.status = CaseStatus.VERIFICATION.value
    match.sought_child.status = CaseStatus.VERIFICATION.value
    record_audit(session, actor.id, "start_verification", record=match, ip=ip)
    _commit_decision(session)


@_optimistic
def confirm_match(
    session: Session, actor: User, match: PotentialMatch, expected_version: int, *, ip: str | None
) -> int:
    """Confirm child C for sought child S. Every other open proposal for S is closed;
    other proposals for C stay open (a second relative may have filed for the same
    child) and are flagged by `matched_elsewhere`. Returns how many were closed."""
    _lock_checked(session, match, expected_version)
    if match.status not in OPEN_MATCH_STATUSES:
        raise ServiceError(f"this match is {match.status.replace('_', ' ')} already")
    now = dt.datetime.now(dt.UTC)
    match.status = MatchStatus.CONFIRMED.value
    match.decided_by_id, match.decided_at = actor.id, now
    match.child_revision, match.sought_revision = match.child.revision, match.sought_child.revision
    match.child.status = CaseStatus.VERIFICATION.value
    match.sought_child.status = CaseStatus.VERIFICATION.value
    others = session.scalars(
        select(PotentialMatch).where(
            PotentialMatch.sought_child_id == match.sought_child_id,
            PotentialMatch.id != match.id,
            PotentialMatch.status.in_(OPEN_MATCH_STATUSES),
        )
    ).all()
    for other in others:
        other.status = MatchStatus.SUPERSEDED.value
        other.decided_by_id, other.decided_at = actor.id, now
    record_audit(
        session,
        actor.id,
        "confirm_match",
        record=match,
        ip=ip,
        details={
            "child": match.child.ref,
            "sought": match.sought_child.ref,
            "score": match.score,
            "superseded": [o.id for o in others],
        },
    )
    _commit_decision(session)
    return len(others)


@_optimistic
def reject_match(
    session: Session,
    actor: User,
    match: PotentialMatch,
    expected_version: int,
    reason: str,
    *,
    ip: str | None,
) -> None:
    """Reject a proposal; it is not proposed again unless one of its records changes."""
    reason = reason.strip()
    if not reason:
        raise ServiceError("give a reason for the rejection")
    _lock_checked(session, match, expected_version)
    if match.status not in OPEN_MATCH_STATUSES:
        raise ServiceError(f"this match is {match.status.replace('_', ' ')} already")
    match.status = MatchStatus.REJECTED.value
    match.reject_reason = reason[:2000]
    match.decided_by_id, match.decided_at = actor.id, dt.datetime.now(dt.UTC)
    match.child_revision, match.sought_revision = match.child.revision, match.sought_child.revision
    session.flush()
    _refresh_status(session, match.child, PotentialMatch.child_id)
    _refresh_status(session, match.sought_child, PotentialMatch.sought_child_id)
    record_audit(session, actor.id, "reject_match", record=match, ip=ip, details={"reason": reason})
    _commit_decision(session)


def _refresh_status(session: Session, record: ChildRegistration | SoughtChild, column: Any) -> None:
    """After a rejection, a record's status follows the matches it still has."""
    if record.status not in (CaseStatus.VERIFICATION.value, CaseStatus.MATCH_PROPOSED.value):
        return
    statuses = set(session.scalars(select(PotentialMatch.status).where(column == record.id)))
    if statuses & {MatchStatus.CONFIRMED.value, MatchStatus.IN_VERIFICATION.value}:
        record.status = CaseStatus.VERIFICATION.value
    elif MatchStatus.PROPOSED.value in statuses:
        record.status = CaseStatus.MATCH_PROPOSED.value
    else:
        record.status = CaseStatus.TRACING.value


def matched_elsewhere(session: Session, matches: Sequence[PotentialMatch]) -> dict[int, str]:
    """For each match whose child another confirmed (or reunified) match already ties to
    an inquiry: match id -> that inquiry's ref. One query for a whole page."""
    decided = session.execute(
        select(PotentialMatch.child_id, PotentialMatch.id, Inquiry.ref)
        .join(SoughtChild, PotentialMatch.sought_child_id == SoughtChild.id)
        .join(Inquiry, SoughtChild.inquiry_id == Inquiry.id)
        .where(
            PotentialMatch.child_id.in_([m.child_id for m in matches]),
            PotentialMatch.status.in_((MatchStatus.CONFIRMED.value, MatchStatus.REUNIFIED.value)),
        )
    ).all()
    found: dict[int, str] = {}
    for m in matches:
        ref = next((r for c, mid, r in decided if c == m.child_id and mid != m.id), None)
        if ref is not None:
            found[m.id] = ref
    return found


# --------------------------------------------------------------------------- casework


def record_follow_up(
    session: Session,
    actor: User,
    kind: str,
    *,
    child: ChildRegistration | None = None,
    sought_child: SoughtChild | None = None,
    match: PotentialMatch | None = None,
    occurred_on: dt.date | None = None,
    place: str | None = None,
    outcome: str | None = None,
    note: str | None = None,
    ip: str | None = None,
) -> FollowUp:
    """Record a verification step, visit or note (DESIGN §1 follow-ups)."""
    if kind not in {k.value for k in FollowUpKind}:
        raise ServiceError(f"unknown follow-up kind {kind!r}")
    if occurred_on and occurred_on > dt.date.today():
        raise ServiceError("the date is in the future")
    if match is not None:
        child, sought_child = child or match.child, sought_child or match.sought_child
    follow_up = FollowUp(
        kind=kind,
        child_id=child.id if child else None,
        sought_child_id=sought_child.id if sought_child else None,
        match_id=match.id if match else None,
        occurred_on=occurred_on or dt.date.today(),
        place=place or None,
        outcome=outcome or None,
        note=note or None,
        author_id=actor.id,
    )
    session.add(follow_up)
    session.flush()
    record_audit(
        session,
        actor.id,
        f"follow_up:{kind}",
        record=follow_up,
        ip=ip,
        details={"match": match.id if match else None},
    )
    return follow_up


@_optimistic
def record_reunification(
    session: Session,
    actor: User,
    match: PotentialMatch,
    expected_version: int,
    *,
    occurred_on: dt.date,
    place: str,
    by: str,
    elsewhere: bool = False,
    note: str | None = None,
    ip: str | None = None,
) -> None:
    """A confirmed match ends in reunification (or the child was reunified elsewhere)."""
    _lock_checked(session, match, expected_version)
    if match.status != MatchStatus.CONFIRMED.value:
        raise ServiceError("only a confirmed match can be reunified")
    status = CaseStatus.REUNIFIED_ELSEWHERE if elsewhere else CaseStatus.REUNIFIED
    match.status = (MatchStatus.REUNIFIED_ELSEWHERE if elsewhere else MatchStatus.REUNIFIED).value
    match.child.status = status.value
    match.sought_child.status = status.value
    inquiry = match.sought_child.inquiry
    if all(
        s.status
        in (
            CaseStatus.REUNIFIED.value,
            CaseStatus.REUNIFIED_ELSEWHERE.value,
            CaseStatus.CLOSED.value,
        )
        for s in inquiry.sought_children
    ):
        inquiry.status = status.value
    record_follow_up(
        session,
        actor,
        "reunification",
        match=match,
        occurred_on=occurred_on,
        place=place,
        outcome=f"reunified{' elsewhere' if elsewhere else ''} by {by}",
        note=note,
        ip=ip,
    )
    _commit_decision(session)


def close_case(
    session: Session, actor: User, child: ChildRegistration, reason: str, *, ip: str | None
) -> None:
    if not reason.strip():
        raise ServiceError("give a reason for closing the case")
    child.status = CaseStatus.CLOSED.value
    record_follow_up(session, actor, "closure", child=child, outcome=reason.strip(), ip=ip)
    session.commit()


# --------------------------------------------------------------------------- review


@dataclass
class QueueRow:
    match: PotentialMatch
    child_visible: bool
    sought_visible: bool
    matched_elsewhere: str | None


QUEUE_PAGE_SIZE = 50
MAX_QUEUE_ROWS = 1000
# Far past any real queue, well inside PostgreSQL's bigint: a forged ?page=1e20 gets an
# empty page, not an error.
MAX_QUEUE_OFFSET = 10**9


def review_queue(
    session: Session,
    actor: User,
    *,
    status: str | None = None,
    agency: str | None = None,
    area: str | None = None,
    min_score: float | None = None,
    limit: int = QUEUE_PAGE_SIZE,
    offset: int = 0,
) -> list[QueueRow]:
    """Matches that touch the actor's agency, most probable first: `limit` rows from
    `offset` on (rows another agency's missing consent hides are left out)."""
    # First the ids, from the match table alone (its agency columns are indexed); the
    # joins are made only for the filters that need them; then the rows. The consent
    # rule (`consent_allows_match`) is part of the query, so that LIMIT and OFFSET count
    # only rows the actor may see and the pages neither skip nor repeat one.
    consented = or_(
        PotentialMatch.child_agency_id == PotentialMatch.sought_agency_id,
        and_(
            exists()
            .where(
                ChildRegistration.id == PotentialMatch.child_id, ChildRegistration.consent_tracing
            )
            .correlate(PotentialMatch),  # not the area filter's join of the same table
            exists()
            .where(SoughtChild.id == PotentialMatch.sought_child_id, SoughtChild.consent_tracing)
            .correlate(PotentialMatch),
        ),
    )
    stmt = (
        select(PotentialMatch.id)
        .where(
            or_(
                PotentialMatch.child_agency_id == actor.agency_id,
                PotentialMatch.sought_agency_id == actor.agency_id,
            ),
            consented,
        )
        .order_by(PotentialMatch.score.desc(), PotentialMatch.id)
        .limit(max(0, min(limit, MAX_QUEUE_ROWS)))
        .offset(max(0, min(offset, MAX_QUEUE_OFFSET)))
    )
    if status:
        stmt = stmt.where(PotentialMatch.status == status)
    else:
        stmt = stmt.where(PotentialMatch.status.in_(OPEN_MATCH_STATUSES))
    if agency:
        pattern = f"%{agency}%"
        named = select(Agency.id).where(Agency.name.ilike(pattern))
        stmt = stmt.where(
            or_(
                PotentialMatch.child_agency_id.in_(named),
                PotentialMatch.sought_agency_id.in_(named),
            )
        )
    if area:
        pattern = f"%{area}%"
        stmt = (
            stmt.join(ChildRegistration, PotentialMatch.child_id == ChildRegistration.id)
            .join(SoughtChild, PotentialMatch.sought_child_id == SoughtChild.id)
            .where(
                or_(
                    ChildRegistration.separation_place.ilike(pattern),
                    SoughtChild.separation_place.ilike(pattern),
                    ChildRegistration.current_place.ilike(pattern),
                )
            )
        )
    if min_score is not None:
        stmt = stmt.where(PotentialMatch.score >= min_score)
    ids = list(session.scalars(stmt))
    matches = list(
        session.scalars(
            select(PotentialMatch)
            .where(PotentialMatch.id.in_(ids))
            .options(
                defer(PotentialMatch.evidence),  # the queue shows no evidence: skip its JSON
                joinedload(PotentialMatch.child),
                joinedload(PotentialMatch.sought_child).joinedload(SoughtChild.inquiry),
            )
            .order_by(PotentialMatch.score.desc(), PotentialMatch.id)
        ).unique()
    )
    referred_children = _referred_ids(
        session, actor, Referral.child_id, (m.child_id for m in matches)
    )
    referred_inquiries = _referred_ids(
        session, actor, Referral.inquiry_id, (m.sought_child.inquiry_id for m in matches)
    )
    elsewhere = matched_elsewhere(session, matches)
    return [
        QueueRow(
            m,
            m.child.agency_id == actor.agency_id or m.child_id in referred_children,
            m.sought_child.inquiry.agency_id == actor.agency_id
            or m.sought_child.inquiry_id in referred_inquiries,
            elsewhere.get(m.id),
        )
        for m in matches
    ]


@dataclass
class Comparison:
    match: PotentialMatch
    child_visible: bool
    sought_visible: bool
    exact_location: bool
    evidence: list[dict[str, Any]]
    prior_weight: float
    siblings: list[tuple[SoughtChild, list[PotentialMatch]]]
    matched_elsewhere: str | None
    history: list[FollowUp]
    referral_pending: bool


def compare_match(
    session: Session, actor: User, match: PotentialMatch, *, ip: str | None
) -> Comparison:
    """Both records side by side with the engine's evidence; the read is audited."""
    child, sought = match.child, match.sought_child
    child_visible = _sees_child(session, actor, child)
    sought_visible = _sees_inquiry(session, actor, sought.inquiry)
    siblings = []
    for other in sought.inquiry.sought_children:
        if other.id == sought.id:
            continue
        proposals = session.scalars(
            select(PotentialMatch)
            .where(PotentialMatch.sought_child_id == other.id)
            .order_by(PotentialMatch.score.desc())
            .limit(3)
        ).all()
        siblings.append((other, list(proposals)))
    # Notes about a record the actor may not see stay with that record's agency; notes
    # of this match go to both agencies working it, those of the records' other matches
    # only as `follow_up_visible_to` allows.
    about = [FollowUp.match_id == match.id]
    if child_visible:
        about.append(and_(FollowUp.child_id == child.id, follow_up_visible_to(actor)))
    if sought_visible:
        about.append(and_(FollowUp.sought_child_id == sought.id, follow_up_visible_to(actor)))
    history = session.scalars(
        select(FollowUp).where(or_(*about)).order_by(FollowUp.created_at)
    ).all()
    pending = session.scalar(
        select(Referral.id).where(
            or_(Referral.child_id == child.id, Referral.inquiry_id == sought.inquiry_id),
            Referral.to_agency_id == actor.agency_id,
            Referral.status == "pending",
        )
    )
    evidence = match.evidence or {}
    record_audit(
        session,
        actor.id,
        "view_match",
        record=match,
        ip=ip,
        details={"child": child.ref if child_visible else None, "sought": sought.ref},
    )
    session.commit()
    return Comparison(
        match=match,
        child_visible=child_visible,
        sought_visible=sought_visible,
        exact_location=may_see_exact_location(actor, child),
        evidence=list(evidence.get("fields", [])),
        prior_weight=float(evidence.get("prior_weight", 0.0)),
        siblings=siblings,
        matched_elsewhere=matched_elsewhere(session, [match]).get(match.id),
        history=list(history),
        referral_pending=pending is not None,
    )


def request_referral(
    session: Session, actor: User, match: PotentialMatch, *, ip: str | None
) -> Referral:
    """Ask the agency owning the other side of a match (the child, or the inquiry) to
    share its details with the actor's agency."""
    child, inquiry = match.child, match.sought_child.inquiry
    if child.agency_id != actor.agency_id:
        target = {"child_id": child.id, "from_agency_id": child.agency_id}
    elif inquiry.agency_id != actor.agency_id:
        target = {"inquiry_id": inquiry.id, "from_agency_id": inquiry.agency_id}
    else:
        raise ServiceError("your agency owns both records already")
    existing = session.scalar(
        select(Referral).where(
            Referral.child_id == target.get("child_id"),
            Referral.inquiry_id == target.get("inquiry_id"),
            Referral.to_agency_id == actor.agency_id,
            Referral.status.in_(LIVE_REFERRAL_STATUSES),
        )
    )
    if existing is not None:
        return existing
    referral = Referral(
        **target,
        to_agency_id=actor.agency_id,
        requested_by_id=actor.id,
        reason=f"potential match {match.id} for sought child {match.sought_child.ref}",
    )
    session.add(referral)
    session.flush()
    record_audit(session, actor.id, "request_referral", record=referral, ip=ip)
    session.commit()
    return referral


def decide_referral(
    session: Session, actor: User, referral: Referral, accept: bool, *, ip: str | None
) -> None:
    """The owning agency accepts or declines sharing a case with another agency."""
    if referral.from_agency_id != actor.agency_id:
        raise ServiceError("only the owning agency decides on a referral")
    if referral.status != "pending":
        raise ServiceError(f"this referral is {referral.status} already")
    if accept:
        shared = (
            session.get(ChildRegistration, referral.child_id)
            if referral.child_id
            else session.get(Inquiry, referral.inquiry_id)
        )
        if shared is not None and not shared.consent_sharing:
            raise ServiceError(
                "the family did not consent to sharing this case with other agencies; "
                "record their consent on the case before accepting"
            )
    referral.status = "accepted" if accept else "declined"
    referral.decided_by_id = actor.id
    record_audit(session, actor.id, f"referral_{referral.status}", record=referral, ip=ip)
    session.commit()


# --------------------------------------------------------------------------- transfers


class NotFound(ServiceError):
    """No such record, or one outside the actor's agency: the pages answer 404."""


class NotAllowed(ServiceError):
    """The actor sees the record but may not do this to it: the pages answer 403."""


# A transfer hands a whole case to another agency: a decision for the owning agency's
# supervisors (and administrators, e.g. when an agency leaves a response), never for a
# caseworker alone, and never for an agency that only had the case referred.
TRANSFER_ROLES = (Role.SUPERVISOR.value, Role.ADMIN.value)


def may_transfer(actor: User, record: ChildRegistration | Inquiry) -> bool:
    return actor.role in TRANSFER_ROLES and record.agency_id == actor.agency_id


def _has_active_user() -> Any:
    """An agency with at least one active account: somebody there can work a case."""
    return exists().where(User.agency_id == Agency.id, User.active.is_(True))


def transfer_targets(session: Session, actor: User) -> list[Agency]:
    """The agencies a case of the actor's agency may go to, by name: every other one with
    an active user (a case handed to an agency nobody works for would be orphaned)."""
    return list(
        session.scalars(
            select(Agency)
            .where(Agency.id != actor.agency_id, _has_active_user())
            .order_by(Agency.name)
        )
    )


def _carry_referrals(
    session: Session, column: Any, record_id: int, to_agency_id: int
) -> dict[str, list[int]]:
    """The referrals of a transferred case. One to the new owner is pointless now (it
    owns the case) and is withdrawn. The others, pending or accepted, now answer to the
    new owner: it decides the pending requests, and sharing already accepted goes on
    (the family consented to sharing, which a transfer requires), so that another
    agency working a match with the case keeps reading it. Declined and withdrawn
    referrals are history and stay as they were."""
    live = session.scalars(
        select(Referral).where(column == record_id, Referral.status.in_(LIVE_REFERRAL_STATUSES))
    ).all()
    carried: dict[str, list[int]] = {"withdrawn": [], "moved": []}
    for referral in live:
        if referral.to_agency_id == to_agency_id:
            referral.status = "withdrawn"
            carried["withdrawn"].append(referral.id)
        else:
            referral.from_agency_id = to_agency_id
            carried["moved"].append(referral.id)
    return carried


# A match still being worked: proposed, in verification, or confirmed and awaiting the
# reunification (which needs the match in view too).
WORKED_MATCH_STATUSES = (*OPEN_MATCH_STATUSES, MatchStatus.CONFIRMED.value)
# A match closed without being one: nobody needs the record on its other side for it.
NO_MATCH_STATUSES = (MatchStatus.REJECTED.value, MatchStatus.SUPERSEDED.value)

Counterpart = ChildRegistration | Inquiry


def _case_matches(
    session: Session, record: ChildRegistration | Inquiry
) -> list[tuple[PotentialMatch, Counterpart]]:
    """Each match of a case with the record on its other side, its counterpart: the
    inquiry of a child's match, the child of a match of an inquiry's sought children."""
    if isinstance(record, ChildRegistration):
        inquiries = session.execute(
            select(PotentialMatch, Inquiry)
            .join(SoughtChild, PotentialMatch.sought_child_id == SoughtChild.id)
            .join(Inquiry, SoughtChild.inquiry_id == Inquiry.id)
            .where(PotentialMatch.child_id == record.id)
            .order_by(PotentialMatch.id)
        )
        return [(match, inquiry) for match, inquiry in inquiries]
    children = session.execute(
        select(PotentialMatch, ChildRegistration)
        .join(ChildRegistration, PotentialMatch.child_id == ChildRegistration.id)
        .join(SoughtChild, PotentialMatch.sought_child_id == SoughtChild.id)
        .where(SoughtChild.inquiry_id == record.id)
        .order_by(PotentialMatch.id)
    )
    return [(match, child) for match, child in children]


def _refuse_hiding_matches(
    matches: list[tuple[PotentialMatch, Counterpart]], source_id: int
) -> None:
    """Across agencies a match shows only while both records consent to tracing
    (`consent_allows_match`): a transfer that turns a match still being worked, now
    within one agency, into one between two agencies without that consent would make it
    vanish for both of them. Such a transfer is refused rather than the match closed: a
    verification (or a confirmed match awaiting reunification) must not end unseen, and
    whether the family consents, or the match is decided first, is for the caseworkers."""
    hidden = [
        match
        for match, other in matches
        if match.status in WORKED_MATCH_STATUSES
        and other.agency_id == source_id
        and not both_consent(match)
    ]
    if not hidden:
        return
    listed = ", ".join(
        f"{m.child.ref} with {m.sought_child.ref} ({m.status.replace('_', ' ')})" for m in hidden
    )
    refusing = sorted(
        {r.ref for m in hidden for r in (m.child, m.sought_child) if not r.consent_tracing}
    )
    raise ServiceError(
        f"the transfer would leave the match {listed} between two agencies, and "
        f"{', '.join(refusing)} did not consent to tracing across agencies, so neither "
        "agency would see the match any more; decide the match, or record the family's "
        "consent to tracing, before transferring the case"
    )


def _counterpart_referrals(
    session: Session,
    actor: User,
    record: ChildRegistration | Inquiry,
    matches: list[tuple[PotentialMatch, Counterpart]],
    source_id: int,
    target: Agency,
) -> dict[str, list[int]]:
    """The referrals of the records on the other side of a transferred case's matches
    (called once the match table's owner copies follow the transfer).

    The old owner obtained them to work its matches with the case: one (pending or
    accepted) is withdrawn when the old owner no longer owns any record with a match
    against that counterpart. The new owner gets none of them: for each counterpart of
    a match that is not closed unmatched, and visible across agencies, it gets a
    *pending* request to the counterpart's agency, which decides as on any referral
    (nothing is shared by the transfer itself), unless it owns the counterpart, sees
    it already or has asked already."""
    if isinstance(record, ChildRegistration):
        column: Any = Referral.inquiry_id
        old_owner_matched = (
            select(PotentialMatch.id)
            .join(SoughtChild, PotentialMatch.sought_child_id == SoughtChild.id)
            .where(
                PotentialMatch.child_agency_id == source_id,
                PotentialMatch.status.not_in(NO_MATCH_STATUSES),
            )
        )
        matched_with: Any = SoughtChild.inquiry_id
    else:
        column = Referral.child_id
        old_owner_matched = select(PotentialMatch.id).where(
            PotentialMatch.sought_agency_id == source_id,
            PotentialMatch.status.not_in(NO_MATCH_STATUSES),
        )
        matched_with = PotentialMatch.child_id
    by_counterpart: dict[int, tuple[Counterpart, list[PotentialMatch]]] = {}
    for match, other in matches:
        by_counterpart.setdefault(other.id, (other, []))[1].append(match)
    done: dict[str, list[int]] = {"withdrawn": [], "requested": []}
    requests: list[Referral] = []
    for other, its_matches in by_counterpart.values():
        still_matched = session.scalar(old_owner_matched.where(matched_with == other.id).limit(1))
        if other.agency_id != source_id and still_matched is None:
            for referral in session.scalars(
                select(Referral)
                .where(
                    column == other.id,
                    Referral.to_agency_id == source_id,
                    Referral.status.in_(LIVE_REFERRAL_STATUSES),
                )
                .order_by(Referral.id)
            ):
                referral.status = "withdrawn"
                done["withdrawn"].append(referral.id)
        wanted = [m for m in its_matches if m.status not in NO_MATCH_STATUSES and both_consent(m)]
        if other.agency_id == target.id or not wanted:
            continue
        asked = session.scalar(
            select(Referral.id)
            .where(
                column == other.id,
                Referral.to_agency_id == target.id,
                Referral.status.in_(LIVE_REFERRAL_STATUSES),
            )
            .limit(1)
        )
        if asked is not None:
            continue
        first = wanted[0]
        requests.append(
            Referral(
                child_id=other.id if isinstance(other, ChildRegistration) else None,
                inquiry_id=other.id if isinstance(other, Inquiry) else None,
                from_agency_id=other.agency_id,
                to_agency_id=target.id,
                requested_by_id=actor.id,
                reason=f"{record.ref} transferred to {target.name}: potential match "
                f"{first.id} for sought child {first.sought_child.ref}",
            )
        )
    session.add_all(requests)
    session.flush()
    done["requested"] = [referral.id for referral in requests]
    return done


def _audit_refusal(
    session: Session,
    actor: User,
    record: ChildRegistration | Inquiry,
    to_agency_id: int,
    reason: str,
    refusal: ServiceError,
    *,
    ip: str | None,
) -> None:
    """A refused transfer (of a case the actor sees) is audited too, in a transaction of
    its own: the transfer's was rolled back. A failure to store the event is logged and
    the refusal, not that failure, goes back to the caller."""
    try:
        record_audit(
            session,
            actor.id,
            "transfer_refused",
            record=record,
            ip=ip,
            details={
                "refusal": str(refusal)[:2000],
                "to_agency_id": to_agency_id,
                "reason": (reason or "").strip()[:2000],
            },
        )
        session.commit()
    except DBAPIError:
        session.rollback()
        log.exception("could not audit a refused transfer")


def _transfer(
    session: Session,
    actor: User,
    record: ChildRegistration | Inquiry,
    to_agency_id: int,
    reason: str,
    *,
    ip: str | None,
) -> None:
    """Hand a case (locked by the caller) to another agency, in one transaction.

    The case keeps its status: a transfer changes who works the case, not how far the
    case has come, so matching goes on as before and a verification under way stays
    under way. `CaseStatus.TRANSFERRED` is deliberately not used: it would erase the
    step the case had reached, the case flow (`_mark_proposed`, `_refresh_status`)
    would no longer move it, and the new owner would inherit a case that looks done.
    The transfer is an event in the case history (the audit trail) instead.

    Referrals follow: those of the case itself (`_carry_referrals`), and those of the
    records matched with it (`_counterpart_referrals`), all listed in the audit event.
    """
    try:
        if not may_transfer(actor, record):
            raise NotAllowed(
                "only a supervisor or administrator of the agency that owns the case "
                "may transfer it"
            )
        reason = (reason or "").strip()
        if not reason:
            raise ServiceError("give a reason for the transfer")
        target = session.get(Agency, to_agency_id)
        if target is None:
            raise ServiceError("there is no such agency to transfer the case to")
        source = record.agency
        if target.id == source.id:
            raise ServiceError(f"the case belongs to {source.name} already")
        active = select(User.id).where(User.agency_id == target.id, User.active.is_(True))
        if session.scalar(active.limit(1)) is None:
            raise ServiceError(f"{target.name} has no active user to take the case over")
        if not record.consent_sharing:
            raise ServiceError(
                "the family did not consent to sharing this case with other agencies, and "
                "a transfer hands it to another agency; record their consent on the case "
                "before transferring it"
            )
        case_matches = _case_matches(session, record)
        _refuse_hiding_matches(case_matches, source.id)
        details: dict[str, Any] = {}
        record.agency = target
        # The match table's copies of the owners follow, so that the new owner's review
        # queue shows the case's proposals and the old owner's no longer does.
        if isinstance(record, ChildRegistration):
            matches = update(PotentialMatch).where(PotentialMatch.child_id == record.id)
            matches = matches.values(child_agency_id=target.id)
            referral_column = Referral.child_id
        else:
            # Sought children have no owner of their own: they follow their inquiry.
            sought_ids = [s.id for s in record.sought_children]
            matches = update(PotentialMatch).where(PotentialMatch.sought_child_id.in_(sought_ids))
            matches = matches.values(sought_agency_id=target.id)
            referral_column = Referral.inquiry_id
            details["sought_children"] = [s.ref for s in record.sought_children]
        session.execute(matches, execution_options={"synchronize_session": "fetch"})
        carried = _carry_referrals(session, referral_column, record.id, target.id)
        counterparts = _counterpart_referrals(
            session, actor, record, case_matches, source.id, target
        )
        record_audit(
            session,
            actor.id,
            "transfer",
            record=record,
            ip=ip,
            details={
                "from_agency_id": source.id,
                "from_agency": source.name,
                "to_agency_id": target.id,
                "to_agency": target.name,
                "reason": reason[:2000],
                "referrals_withdrawn": carried["withdrawn"],
                "referrals_moved": carried["moved"],
                # Those the old owner had of the records matched with the case, and the
                # new owner's requests for them (the owning agencies decide).
                "counterpart_referrals_withdrawn": counterparts["withdrawn"],
                "referrals_requested": counterparts["requested"],
                **details,
            },
        )
        session.commit()
    except ServiceError as refusal:
        session.rollback()
        _audit_refusal(session, actor, record, to_agency_id, reason, refusal, ip=ip)
        raise


def transfer_child(
    session: Session,
    actor: User,
    child_id: int,
    to_agency_id: int,
    reason: str,
    *,
    ip: str | None = None,
) -> ChildRegistration:
    """Transfer a registered child's case to another agency (Primero's "transfer").

    Refused (NotFound) when the actor's agency cannot see the case, (NotAllowed) unless
    the actor is a supervisor or administrator of the owning agency, and (ServiceError)
    without a reason, to an unknown agency, the owner itself or an agency without an
    active user, without the family's consent to sharing, or when a match still being
    worked would vanish (`_refuse_hiding_matches`). A refusal of a case the actor sees
    is audited ("transfer_refused")."""
    child = session.get(ChildRegistration, child_id, with_for_update=True, populate_existing=True)
    if child is None or not _sees_child(session, actor, child):
        session.rollback()
        raise NotFound("no such case")
    _transfer(session, actor, child, to_agency_id, reason, ip=ip)
    return child


def transfer_inquiry(
    session: Session,
    actor: User,
    inquiry_id: int,
    to_agency_id: int,
    reason: str,
    *,
    ip: str | None = None,
) -> Inquiry:
    """Transfer an inquiry, with its sought children, to another agency (rules as for
    `transfer_child`)."""
    inquiry = session.get(Inquiry, inquiry_id, with_for_update=True, populate_existing=True)
    if inquiry is None or not _sees_inquiry(session, actor, inquiry):
        session.rollback()
        raise NotFound("no such inquiry")
    _transfer(session, actor, inquiry, to_agency_id, reason, ip=ip)
    return inquiry


@dataclass
class HistoryEntry:
    at: dt.datetime
    on: dt.date
    what: str
    outcome: str
    note: str


def follow_up_visible_to(actor: User) -> Any:
    """The follow-ups of a case the actor sees that the actor may read. One about a match
    (a verification interview, a reunification visit) holds the notes and places of the
    agency that wrote it, possibly not the case's: it shows only to the agency that wrote
    it, or to one owning both sides of the match. Other follow-ups go with the case."""
    return or_(
        FollowUp.match_id.is_(None),
        FollowUp.author_id.in_(select(User.id).where(User.agency_id == actor.agency_id)),
        FollowUp.match_id.in_(
            select(PotentialMatch.id).where(
                PotentialMatch.child_agency_id == actor.agency_id,
                PotentialMatch.sought_agency_id == actor.agency_id,
            )
        ),
    )


def case_history(
    session: Session, record: ChildRegistration | Inquiry, actor: User
) -> list[HistoryEntry]:
    """A case's history as the actor may read it, oldest first: its follow-ups (an
    inquiry's are those of its sought children; see `follow_up_visible_to`) and, from
    the audit trail, its transfers between agencies. A transfer's reason shows only to
    the agency owning the case now and to those it went from and to."""
    if isinstance(record, ChildRegistration):
        about = FollowUp.child_id == record.id
        label: dict[int | None, str] = {}
    else:
        label = {s.id: f" ({s.ref})" for s in record.sought_children}
        about = FollowUp.sought_child_id.in_(list(label))
    entries = [
        HistoryEntry(
            f.created_at,
            f.occurred_on or f.created_at.date(),
            f.kind.replace("_", " ") + label.get(f.sought_child_id, ""),
            f.outcome or "",
            f.note or "",
        )
        for f in session.scalars(select(FollowUp).where(about, follow_up_visible_to(actor)))
    ]
    transfers = session.scalars(
        select(AuditEvent).where(
            AuditEvent.record_type == record.__tablename__,
            AuditEvent.record_id == record.id,
            AuditEvent.action == "transfer",
        )
    )
    for event in transfers:
        parties = {
            record.agency_id,
            event.details.get("from_agency_id"),
            event.details.get("to_agency_id"),
        }
        entries.append(
            HistoryEntry(
                event.at,
                event.at.date(),
                "transfer",
                f"from {event.details.get('from_agency')} to {event.details.get('to_agency')}",
                str(event.details.get("reason") or "") if actor.agency_id in parties else "",
            )
        )
    entries.sort(key=lambda entry: entry.at)
    return entries


# --------------------------------------------------------------------------- matching


# `ftr match` ranks this many sought children (whole inquiries) at a time. Measured with
# 200,000 registered children on a 2-core machine: 35 s and 1.0 GB of working memory a
# chunk of 5,000 (10,000: 64 s, 2.1 GB), on top of ~0.5 GB of frames and encoded records;
# the whole 200,000 x 50,000 pass peaks at 2.0 GB.
MATCH_CHUNK_SIZE = RANK_CHUNK_SIZE
BULK_WITHDRAW_MARGIN = dt.timedelta(minutes=1)
# Registered children per statement when marking them 'match proposed'.
_MARK_BATCH = 10_000


@dataclass
class MatchSummary:
    children: int = 0
    sought: int = 0
    candidates_scored: int = 0
    proposed: int = 0
    updated: int = 0
    withdrawn: int = 0
    fitted: bool = False
    fitted_on_sample: bool = False
    model_id: int | None = None
    chunks: int = 0
    rekeyed: int = 0  # records whose index keys were written again (see refresh_keys)
    seconds: dict[str, float] = field(default_factory=dict)


def fit_engine(session: Session, actor_id: int | None = None, *, seed: int = 0) -> int:
    """Fit the engine on the open records and the caseworkers' decisions; store it.

    A large store is fitted on a sample (`Linker.fit_sample`, as `ftr match --refit`).
    """
    children, sought = linkage.open_children(session), linkage.open_sought(session)
    if children.empty or sought.empty:
        raise ServiceError("nothing to learn from: the store needs children and requests")
    if linkage.current_linker(session) is None:
        refresh_keys(session)  # the first engine of this version: see match_all
    labels = linkage.decision_labels(session)
    linker = Linker.fit_sample(children, sought, seed=seed, labels=labels if len(labels) else None)
    model = linkage.save_linker(session, linker, actor_id)
    session.commit()
    return model.id


def match_all(
    session: Session,
    *,
    refit: bool = False,
    top_k: int = linkage.TOP_K,
    chunk_size: int = MATCH_CHUNK_SIZE,
    on_stage: Callable[[str], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> MatchSummary:
    """Re-run matching over every open record in one bulk pass (`ftr match`).

    Every open sought child is ranked against every open registered child, `chunk_size`
    sought children at a time (whole inquiries: siblings are ranked together). The
    registered children are tokenised and encoded once; each chunk's proposals are
    written and committed before the next chunk is ranked, so memory follows the chunk,
    a crash loses at most the chunk in progress, and running again is idempotent
    (proposals are upserted, those that fell out of a sought child's ranking withdrawn).
    Across chunks, only the competition of other inquiries' sought children for the same
    registered child is lost (see `Linker.rank_chunks` for how little that moves).

    With `refit`, or when no engine fitted by this engine version is stored, the engine
    is fitted first (`Linker.fit_sample`): on every open record up to FIT_MAX_CHILDREN x
    FIT_MAX_SOUGHT, beyond that on a sample of whole inquiries, their best candidates
    and other children at random, with the whole store's term frequencies and prior.

    `on_stage(name)` is called as each stage begins, `on_progress(done, total)` with the
    chunks done (0 before the first).
    """
    import time

    clock = time.perf_counter
    summary = MatchSummary()
    stage = on_stage or (lambda _name: None)
    t = clock()
    stage("loading records")
    # Proposals written after this (by real-time matching meanwhile) are not this run's
    # to withdraw; said explicitly, as the frames are cut down below. A minute's margin:
    # a real-time match written just before this moment but committed after the frames'
    # snapshot is invisible to them, and must stay (a proposal withdrawn late is the
    # lesser harm; the next run withdraws it).
    loaded_at = linkage.database_clock(session) - BULK_WITHDRAW_MARGIN
    children = linkage.open_children(session, batch_size=linkage.LOAD_BATCH_SIZE)
    sought = linkage.open_sought(session, batch_size=linkage.LOAD_BATCH_SIZE)
    summary.children, summary.sought = len(children), len(sought)
    summary.seconds["load"] = clock() - t
    if children.empty or sought.empty:
        return summary
    current = linkage.current_linker(session)
    if current is None:
        # no engine of this version: perhaps an upgrade, whose normalisation may key
        # names differently from the stored keys (a fresh store's are all current)
        stage("refreshing the index keys")
        t = clock()
        summary.rekeyed = refresh_keys(session).updated
        summary.seconds["rekey"] = clock() - t
    if refit or current is None:
        large = (
            len(children) > matching.linker.FIT_MAX_CHILDREN
            or len(sought) > matching.linker.FIT_MAX_SOUGHT
        )
        stage("fitting the engine on a sample" if large else "fitting the engine")
        t = clock()
        labels = linkage.decision_labels(session)
        linker = Linker.fit_sample(children, sought, seed=0, labels=labels if len(labels) else None)
        model = linkage.save_linker(session, linker, None)
        session.commit()
        summary.fitted, summary.model_id = True, model.id
        summary.fitted_on_sample = bool(linker.info.get("sample"))
        summary.seconds["fit"] = clock() - t
    else:
        summary.model_id, linker = current
    stage("encoding the records")
    t = clock()
    ranking = linker.rank_chunks(children, sought, top_k=top_k, chunk_size=chunk_size)
    # The engine keeps its own encoding; the proposals need only these columns.
    needed = ["id", "ref", "revision", "agency_id", "consent_tracing"]
    children, sought = children[needed].copy(), sought[needed].copy()
    sought_id = dict(zip(sought["ref"], sought["id"].tolist(), strict=True))
    child_id = dict(zip(children["ref"], children["id"].tolist(), strict=True))
    summary.chunks = len(ranking)
    summary.seconds["encode"] = clock() - t
    stage("ranking and writing proposals")
    progress = on_progress or (lambda _done, _total: None)
    progress(0, len(ranking))
    summary.seconds["rank"] = summary.seconds["write"] = 0.0
    for number, refs in enumerate(ranking.sought_refs):
        t = clock()
        ranked = ranking.rank_chunk(number)
        summary.seconds["rank"] += clock() - t
        t = clock()
        scope = [sought_id[ref] for ref in refs]
        counts = linkage.write_proposals(
            session, ranked, children, sought, scope, ENGINE_VERSION, loaded_at=loaded_at
        )
        proposed = ranked.loc[ranked["score"] >= linkage.MIN_PROPOSAL_SCORE, "child_ref"]
        proposed_ids = [child_id[ref] for ref in proposed.unique()]
        for at in range(0, max(len(proposed_ids), 1), _MARK_BATCH):
            _mark_proposed(session, scope if at == 0 else [], proposed_ids[at : at + _MARK_BATCH])
        session.commit()
        summary.seconds["write"] += clock() - t
        summary.proposed += counts["proposed"]
        summary.updated += counts["updated"]
        summary.withdrawn += counts["withdrawn"]
        progress(number + 1, len(ranking))
    summary.candidates_scored = ranking.candidates
    # the pass updated many records' statuses: merge their index entries, as an import does
    t = clock()
    refresh_statistics(session, "children")
    refresh_statistics(session, "requests")
    session.execute(text("ANALYZE potential_match"))
    session.commit()
    summary.seconds["statistics"] = clock() - t
    return summary


def _mark_proposed(
    session: Session,
    sought_ids: Sequence[int] | None = None,
    child_ids: Sequence[int] | None = None,
) -> None:
    """Open records with a proposal move to 'match proposed' (Primero's case flow).

    Without ids, every open record is looked at (the bulk pass); with them, only those.
    """
    open_statuses = (CaseStatus.OPEN.value, CaseStatus.TRACING.value)
    has_proposal = select(PotentialMatch.id).where(
        PotentialMatch.status == MatchStatus.PROPOSED.value
    )
    sought_filter = [linkage.id_in(SoughtChild.id, sought_ids)] if sought_ids is not None else []
    session.execute(
        update(SoughtChild)
        .where(
            SoughtChild.status.in_(open_statuses),
            *sought_filter,
            has_proposal.where(PotentialMatch.sought_child_id == SoughtChild.id).exists(),
        )
        .values(status=CaseStatus.MATCH_PROPOSED.value),
        execution_options={"synchronize_session": False},
    )
    child_filter = [linkage.id_in(ChildRegistration.id, child_ids)] if child_ids is not None else []
    session.execute(
        update(ChildRegistration)
        .where(
            ChildRegistration.status.in_(open_statuses),
            *child_filter,
            has_proposal.where(PotentialMatch.child_id == ChildRegistration.id).exists(),
        )
        .values(status=CaseStatus.MATCH_PROPOSED.value),
        execution_options={"synchronize_session": False},
    )


def match_sought_children(session: Session, sought_ids: Sequence[int]) -> dict[str, int]:
    """Match sought children against the registered children the store retrieves for them.

    Candidates come from the indexes (pair keys, selective name keys, nearby separation
    points); the engine blocks and scores them with the stored parameters. Siblings of
    the same inquiry are ranked together, as the engine expects.
    """
    current = linkage.current_linker(session)
    if current is None or not sought_ids:
        return {"proposed": 0, "updated": 0, "withdrawn": 0, "candidates": 0}
    _model_id, linker = current
    sought_ids = list(
        session.scalars(
            select(SoughtChild.id).where(
                SoughtChild.id.in_(list(sought_ids)), linkage.still_sought()
            )
        )
    )
    if not sought_ids:
        return {"proposed": 0, "updated": 0, "withdrawn": 0, "candidates": 0}
    inquiry_ids = select(SoughtChild.inquiry_id).where(SoughtChild.id.in_(list(sought_ids)))
    family = session.scalars(
        select(SoughtChild).where(
            SoughtChild.inquiry_id.in_(inquiry_ids),
            SoughtChild.status.not_in(linkage.CLOSED_STATUSES),
        )
    ).all()
    pool = linkage.child_pool_ids(session, [s for s in family if s.id in set(sought_ids)])
    if not pool:
        return {"proposed": 0, "updated": 0, "withdrawn": 0, "candidates": 0}
    children = linkage.load_frame(
        session, linkage.children_query().where(linkage.id_in(ChildRegistration.id, pool))
    )
    sought = linkage.load_frame(
        session, linkage.sought_query().where(SoughtChild.id.in_([s.id for s in family]))
    )
    ranked = linker.rank(children, sought, top_k=linkage.TOP_K)
    counts = linkage.write_proposals(session, ranked, children, sought, sought_ids, ENGINE_VERSION)
    proposed = children.loc[children["ref"].isin(ranked["child_ref"]), "id"]
    _mark_proposed(session, sought_ids, proposed.tolist())
    return {**counts, "candidates": len(pool)}


def match_child(session: Session, child: ChildRegistration) -> dict[str, int]:
    """A new or changed registration against the open sought children it may be.

    The child is scored against each such sought child next to that sought child's
    current proposals, so that the probabilities keep the one-to-one rule (a sought
    child is one child) without re-ranking every candidate again.
    """
    current = linkage.current_linker(session)
    sought_ids = linkage.sought_touched_by(session, child) if current else []
    if current is None or not sought_ids:
        return {"proposed": 0, "updated": 0, "withdrawn": 0, "candidates": 0}
    _model_id, linker = current
    competitors = session.execute(
        select(PotentialMatch.sought_child_id, PotentialMatch.child_id).where(
            PotentialMatch.sought_child_id.in_(sought_ids),
            PotentialMatch.status.in_(OPEN_MATCH_STATUSES),
        )
    ).all()
    child_ids = {child.id, *(c for _s, c in competitors)}
    inquiry_ids = select(SoughtChild.inquiry_id).where(SoughtChild.id.in_(sought_ids))
    children = linkage.load_frame(
        session, linkage.children_query().where(linkage.id_in(ChildRegistration.id, child_ids))
    )
    sought = linkage.load_frame(
        session,
        linkage.sought_query().where(
            SoughtChild.inquiry_id.in_(inquiry_ids),
            SoughtChild.status.not_in(linkage.CLOSED_STATUSES),
        ),
    )
    ref_of_sought = dict(zip(sought["id"], sought["ref"], strict=True))
    ref_of_child = dict(zip(children["id"], children["ref"], strict=True))
    pairs = {(ref_of_sought[s], child.ref) for s in sought_ids if s in ref_of_sought}
    pairs |= {
        (ref_of_sought[s], ref_of_child[c])
        for s, c in competitors
        if s in ref_of_sought and c in ref_of_child
    }
    scored = linker.score_pairs(
        children, sought, pd.DataFrame(sorted(pairs), columns=["request_ref", "child_ref"])
    )
    scored["rank"] = scored.groupby("request_ref", sort=False).cumcount() + 1
    scored = scored[scored["rank"] <= linkage.TOP_K]
    counts = linkage.write_proposals(session, scored, children, sought, sought_ids, ENGINE_VERSION)
    _mark_proposed(session, sought_ids, list(child_ids))
    return {**counts, "candidates": len(pairs)}


def export_matches(session: Session, path: Any, *, statuses: Sequence[str] | None = None) -> int:
    """Write the store's potential matches as DESIGN §3 ranked output; return rows written."""
    import csv

    statuses = statuses or (
        MatchStatus.PROPOSED.value,
        MatchStatus.IN_VERIFICATION.value,
        MatchStatus.CONFIRMED.value,
    )
    rows = session.execute(
        select(
            SoughtChild.ref,
            ChildRegistration.ref,
            PotentialMatch.score,
            PotentialMatch.status,
            PotentialMatch.evidence,
        )
        .join(SoughtChild, PotentialMatch.sought_child_id == SoughtChild.id)
        .join(ChildRegistration, PotentialMatch.child_id == ChildRegistration.id)
        .where(PotentialMatch.status.in_(list(statuses)))
        .order_by(SoughtChild.ref, PotentialMatch.score.desc(), ChildRegistration.ref)
    ).all()
    fields: list[str] = []
    for *_rest, evidence in rows:
        for item in evidence.get("fields", []):
            if item["field"] not in fields:
                fields.append(item["field"])
    header = ["request_ref", "child_ref", "rank", "score", "status", "prior_weight"]
    for name in fields:
        header += [f"{name}_level", f"{name}_weight"]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        rank, previous = 0, None
        for sought_ref, child_ref, score, status, evidence in rows:
            rank = rank + 1 if sought_ref == previous else 1
            previous = sought_ref
            by_field = {item["field"]: item for item in evidence.get("fields", [])}
            line: list[Any] = [
                sought_ref,
                child_ref,
                rank,
                f"{score:.6f}",
                status,
                evidence.get("prior_weight", ""),
            ]
            for name in fields:
                item = by_field.get(name, {})
                line += [item.get("level", ""), item.get("weight", "")]
            writer.writerow([neutralise_cell(v) for v in line])
    return len(rows)


# --------------------------------------------------------------------------- search


@dataclass
class SearchHit:
    kind: str  # "child" or "sought"
    record: ChildRegistration | SoughtChild
    similarity: float


def _name_similarity(query_tokens: list[str], record_tokens: list[str]) -> float:
    """Mean over query tokens of the best Jaro-Winkler against the record's tokens,
    with shared variant keys counting as a full match (Mohammed ~ Muhammad)."""
    import jellyfish

    if not query_tokens or not record_tokens:
        return 0.0
    total = 0.0
    for q in query_tokens:
        q_keys = set(token_keys(q))
        best = 0.0
        for r in record_tokens:
            if q == r or not q_keys.isdisjoint(token_keys(r)):
                best = 1.0
                break
            best = max(best, jellyfish.jaro_winkler_similarity(q, r))
        total += best
    return total / len(query_tokens)


SEARCH_POOL = 1000  # index hits per kind scored for a name search


def search_people(
    session: Session,
    actor: User,
    query: str,
    *,
    kinds: Sequence[str] = ("child", "sought"),
    limit: int = 50,
) -> list[SearchHit]:
    """Children and sought children of the actor's agency whose names sound like `query`.

    The query is normalised like the engine's names (any script, variants, nicknames),
    then found through the key index or trigram similarity, and ranked by similarity.
    """
    tokens = normalize_name(query)
    if not tokens:
        return []
    keys, pairs, joined = token_index_keys(tokens)
    # Score the index hits on their stored search text first; load only the best records.
    scored: list[tuple[float, str, str, int]] = []
    people: tuple[tuple[str, type[ChildRegistration] | type[SoughtChild]], ...] = (
        ("child", ChildRegistration),
        ("sought", SoughtChild),
    )
    for kind, model in people:
        if kind not in kinds:
            continue
        # A very common name alone (Mohammed) would fill the pool with arbitrary records:
        # its key counts only when the query has nothing better, that is pairs of its
        # tokens (Mohammed Ali) or rarer keys; trigram similarity catches spellings.
        # One query per way in, most precise first: OR-ed together with a LIMIT, the
        # planner walks a whole table checking each row instead of using the indexes.
        selective = linkage.selective_keys(session, str(model.__tablename__), keys)
        ways = []
        if pairs:
            ways.append(model.block_keys.overlap(pairs))
        if selective or not pairs:
            ways.append(model.name_keys.overlap(selective or keys))
        ways.append(model.search_text.op("%")(joined))
        seen: set[int] = set()
        for way in ways:
            stmt: Select[int, str, str] = select(model.id, model.ref, model.search_text).where(way)
            if model is ChildRegistration:
                stmt = stmt.where(ChildRegistration.agency_id == actor.agency_id)
            else:
                stmt = stmt.join(Inquiry, SoughtChild.inquiry_id == Inquiry.id).where(
                    Inquiry.agency_id == actor.agency_id
                )
            if seen:
                stmt = stmt.where(model.id.not_in(seen))
            for record_id, ref, search_text in session.execute(stmt.limit(SEARCH_POOL - len(seen))):
                seen.add(record_id)
                score = _name_similarity(tokens, search_text.split())
                if score >= 0.75:
                    scored.append((-score, ref, kind, record_id))
            if len(seen) >= SEARCH_POOL:
                break
    scored.sort()
    best = scored[:limit]
    loaded: dict[tuple[str, int], ChildRegistration | SoughtChild] = {}
    for kind, model in people:
        wanted = [record_id for _s, _r, k, record_id in best if k == kind]
        if wanted:
            found = cast_type(
                Sequence[ChildRegistration | SoughtChild],
                session.scalars(select(model).where(model.id.in_(wanted))).all(),
            )
            loaded.update(((kind, record.id), record) for record in found)
    hits = [SearchHit(kind, loaded[kind, record_id], -score) for score, _r, kind, record_id in best]
    record_audit(session, actor.id, "search", details={"query": query[:200], "hits": len(scored)})
    session.commit()
    return hits


# --------------------------------------------------------------------------- oversight


@dataclass
class Overview:
    children_by_status: list[tuple[str, int]]
    sought_by_status: list[tuple[str, int]]
    matches_by_status: list[tuple[str, int]]
    days_to_reunification: list[int]

    @property
    def median_days(self) -> float | None:
        values = sorted(self.days_to_reunification)
        if not values:
            return None
        middle = len(values) // 2
        return (
            float(values[middle]) if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
        )


def _status_counts(session: Session, statuses: Select[Any]) -> list[tuple[str, int]]:
    """(status, count) for a query selecting one status column, in status order."""
    column = statuses.selected_columns[0]
    stmt = statuses.add_columns(func.count()).group_by(column).order_by(column)
    return [(status, count) for status, count in session.execute(stmt).all()]


def overview(session: Session, actor: User) -> Overview:
    """Cases by status and time from registration to reunification, for the actor's agency."""
    agency = actor.agency_id
    children = _status_counts(
        session, select(ChildRegistration.status).where(ChildRegistration.agency_id == agency)
    )
    sought = _status_counts(
        session,
        select(SoughtChild.status)
        .join(Inquiry, SoughtChild.inquiry_id == Inquiry.id)
        .where(Inquiry.agency_id == agency),
    )
    matches = _status_counts(
        session, select(PotentialMatch.status).where(PotentialMatch.child_agency_id == agency)
    )
    dates = session.execute(
        select(FollowUp.occurred_on, ChildRegistration.registration_date)
        .join(ChildRegistration, FollowUp.child_id == ChildRegistration.id)
        .where(
            ChildRegistration.agency_id == agency,
            FollowUp.kind == FollowUpKind.REUNIFICATION.value,
            ChildRegistration.registration_date.is_not(None),
        )
    ).all()
    return Overview(
        children,
        sought,
        matches,
        [(done - registered).days for done, registered in dates if done and registered],
    )


def audit_events(
    session: Session,
    actor: User,
    *,
    action: str | None = None,
    ref: str | None = None,
    limit: int = 200,
) -> list[tuple[AuditEvent, str | None]]:
    """The newest audit events: a supervisor sees their agency's people, an admin all."""
    stmt = (
        select(AuditEvent, User.email)
        .outerjoin(User, AuditEvent.user_id == User.id)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    if actor.role != Role.ADMIN.value:
        # Their own people's actions, and anyone's reads of their agency's cases.
        own_children = select(ChildRegistration.id).where(
            ChildRegistration.agency_id == actor.agency_id
        )
        own_inquiries = select(Inquiry.id).where(Inquiry.agency_id == actor.agency_id)
        stmt = stmt.where(
            or_(
                User.agency_id == actor.agency_id,
                (AuditEvent.record_type == "child_registration")
                & AuditEvent.record_id.in_(own_children),
                (AuditEvent.record_type == "inquiry") & AuditEvent.record_id.in_(own_inquiries),
            )
        )
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if ref:
        stmt = stmt.where(AuditEvent.record_ref == ref)
    return [(event, email) for event, email in session.execute(stmt).all()]


def set_user_active(
    session: Session, actor: User, user: User, active: bool, *, ip: str | None
) -> None:
    if user.id == actor.id and not active:
        raise ServiceError("you cannot deactivate your own account")
    user.active = active
    if active:
        user.failed_logins, user.locked_until = 0, None
    record_audit(
        session, actor.id, "activate_user" if active else "deactivate_user", record=user, ip=ip
    )
    session.commit()


def referrals_for(session: Session, actor: User) -> list[Referral]:
    """Referral requests waiting for the actor's agency (the owner) to decide."""
    return list(
        session.scalars(
            select(Referral)
            .where(Referral.from_agency_id == actor.agency_id, Referral.status == "pending")
            .order_by(Referral.created_at)
        )
    )


@dataclass
class Dashboard:
    counts: dict[str, int]
    recent_children: list[ChildRegistration]
    recent_inquiries: list[Inquiry]
    top_matches: list[PotentialMatch]
    pending_referrals: int


def dashboard(session: Session, actor: User) -> Dashboard:
    """What the actor's role works on first thing in the morning, for their agency."""
    agency = actor.agency_id
    role = actor.role
    counts = {
        "children": session.scalar(
            select(func.count())
            .select_from(ChildRegistration)
            .where(ChildRegistration.agency_id == agency)
        )
        or 0,
        "inquiries": session.scalar(
            select(func.count()).select_from(Inquiry).where(Inquiry.agency_id == agency)
        )
        or 0,
        "open_matches": session.scalar(
            select(func.count())
            .select_from(PotentialMatch)
            .where(
                or_(
                    PotentialMatch.child_agency_id == agency,
                    PotentialMatch.sought_agency_id == agency,
                ),
                PotentialMatch.status.in_(OPEN_MATCH_STATUSES),
            )
        )
        or 0,
    }
    casework = role in (Role.CASEWORKER.value, Role.SUPERVISOR.value)
    recent_children: list[ChildRegistration] = []
    if casework or role == Role.REGISTRAR.value:
        recent_children = list(
            session.scalars(
                select(ChildRegistration)
                .where(ChildRegistration.agency_id == agency)
                .order_by(ChildRegistration.id.desc())
                .limit(8)
            )
        )
    recent_inquiries: list[Inquiry] = []
    if casework or role == Role.HELPDESK.value:
        recent_inquiries = list(
            session.scalars(
                select(Inquiry)
                .where(Inquiry.agency_id == agency)
                .order_by(Inquiry.id.desc())
                .limit(8)
            )
        )
    top = [row.match for row in review_queue(session, actor, limit=5)] if casework else []
    pending = len(referrals_for(session, actor)) if casework else 0
    return Dashboard(counts, recent_children, recent_inquiries, top, pending)


def proposals_for(
    session: Session,
    *,
    child_ids: Sequence[int] = (),
    sought_ids: Sequence[int] = (),
) -> list[PotentialMatch]:
    """Every potential match (any status) of these records, most probable first."""
    return list(
        session.scalars(
            select(PotentialMatch)
            .where(
                or_(
                    PotentialMatch.child_id.in_(list(child_ids)),
                    PotentialMatch.sought_child_id.in_(list(sought_ids)),
                )
            )
            .options(joinedload(PotentialMatch.sought_child), joinedload(PotentialMatch.child))
            .order_by(PotentialMatch.score.desc())
        ).unique()
    )


def owned_inquiry(session: Session, actor: User, inquiry_id: int) -> Inquiry | None:
    """The inquiry when the actor's agency filed it: a referral shares reading only."""
    inquiry = session.get(Inquiry, inquiry_id)
    return inquiry if inquiry is not None and inquiry.agency_id == actor.agency_id else None


def update_sought_child(
    session: Session,
    actor: User,
    sought: SoughtChild,
    cells: dict[str, str],
    extra: dict[str, Any],
    *,
    ip: str | None = None,
    match: bool = True,
    stats: dict[str, int] | None = None,
) -> tuple[bool, list[Problem]]:
    """Correct a sought child's details; a change is matched again at once."""
    request_date = sought.inquiry.request_date
    record, problems = _validated(
        "requests",
        {
            **cells,
            "ref": sought.ref,
            "request_date": request_date.isoformat() if request_date else "",
        },
    )
    changed = _apply_person(sought, record, extra, PERSON_EXTRA_FIELDS)
    if changed:
        sought.revision += 1
        record_audit(session, actor.id, "update_sought_child", record=sought, ip=ip)
    session.commit()
    if changed and match:
        _collect(stats, match_sought_children(session, [sought.id]))
        session.commit()
    return changed, problems


PHOTO_TYPES = {b"\xff\xd8\xff": ".jpg", b"\x89PNG\r\n\x1a\n": ".png"}
MAX_PHOTO_BYTES = 5 * 1024 * 1024


def photo_suffix(data: bytes) -> str:
    """The file ending for a photo's bytes; a refusal for anything but a small JPEG/PNG."""
    if len(data) > MAX_PHOTO_BYTES:
        raise ServiceError("the photo is larger than 5 MB")
    suffix = next((ext for magic, ext in PHOTO_TYPES.items() if data.startswith(magic)), None)
    if suffix is None:
        raise ServiceError("the photo must be a JPEG or PNG image")
    return suffix


def store_photo(
    session: Session,
    actor: User,
    child: ChildRegistration,
    data: bytes,
    folder: Any,
    *,
    ip: str | None = None,
) -> str:
    """Keep a child's photo under a random name; the type is read from the bytes, never
    from the uploaded name. Returns the stored file name."""
    from pathlib import Path

    suffix = photo_suffix(data)
    directory = Path(folder)
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}{suffix}"
    (directory / name).write_bytes(data)
    child.photo_path = name
    record_audit(session, actor.id, "store_photo", record=child, ip=ip)
    session.commit()
    return name
