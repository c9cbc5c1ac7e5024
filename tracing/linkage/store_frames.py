"""Records out of the store as the engine's DESIGN §3 frames."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Integer, Select, any_, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from models import CLOSED_STATUSES, MATCHED_STATUSES, ChildRegistration, Inquiry, SoughtChild
from tracing.contract import partial_date


def id_in(column: Any, ids: Iterable[int]) -> ColumnElement[bool]:
    """`column = ANY(array)`: one bound array instead of an IN list of a thousand bound
    parameters, which SQLAlchemy renders anew for every call (~10 ms for a candidate
    pool of 1,000 on a 2-core machine) and PostgreSQL plans the same either way."""
    condition: ColumnElement[bool] = column == any_(literal(list(ids), ARRAY(Integer)))
    return condition


def _lat(column: Any) -> ColumnElement[float]:
    return func.ST_Y(func.geometry(column))


def _lon(column: Any) -> ColumnElement[float]:
    return func.ST_X(func.geometry(column))


def _person_columns(model: type[ChildRegistration] | type[SoughtChild]) -> list[Any]:
    return [
        model.id,
        model.ref,
        model.given_name,
        model.family_name,
        func.array_to_string(model.other_names, ";").label("other_names"),
        model.sex,
        model.age,
        model.date_of_birth,
        model.date_of_birth_precision,
        model.separation_date,
        model.separation_date_precision,
        model.separation_place,
        _lat(model.separation_point).label("separation_lat"),
        _lon(model.separation_point).label("separation_lon"),
        model.mother_name,
        model.father_name,
        model.languages.label("language"),
        model.consent_tracing,
        model.revision,
    ]


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    frame["date_of_birth"] = [
        partial_date(d, p)
        for d, p in zip(
            frame.pop("date_of_birth"), frame.pop("date_of_birth_precision"), strict=True
        )
    ]
    frame["separation_date"] = [
        partial_date(d, p)
        for d, p in zip(
            frame.pop("separation_date"), frame.pop("separation_date_precision"), strict=True
        )
    ]
    return frame


def children_query() -> Select[Any]:
    return select(
        *_person_columns(ChildRegistration),
        _lat(ChildRegistration.current_point).label("current_lat"),
        _lon(ChildRegistration.current_point).label("current_lon"),
        ChildRegistration.registration_date,
        ChildRegistration.agency_id,
    )


def sought_query() -> Select[Any]:
    return select(
        *_person_columns(SoughtChild),
        Inquiry.ref.label("inquiry_ref"),
        Inquiry.inquirer_name,
        Inquiry.inquirer_relationship,
        Inquiry.request_date,
        Inquiry.agency_id,
        SoughtChild.inquiry_id,
    ).join(Inquiry, SoughtChild.inquiry_id == Inquiry.id)


# Stored with each frame (DataFrame.attrs) by `load_frame`: the database's wall clock
# just before the frame's rows were read.
LOADED_AT = "loaded_at"


def database_clock(session: Session) -> dt.datetime:
    """The database's wall clock, `clock_timestamp()` (not the transaction's start)."""
    stamp = session.scalar(select(func.clock_timestamp()))
    if not isinstance(stamp, dt.datetime):
        raise TypeError(f"clock_timestamp() gave {stamp!r}")
    return stamp


def frames_loaded_at(*frames: pd.DataFrame) -> dt.datetime | None:
    """When the oldest of these frames was loaded (`load_frame` stamps it), if known."""
    stamps = [f.attrs.get(LOADED_AT) for f in frames]
    known = [s for s in stamps if isinstance(s, dt.datetime)]
    return min(known) if known else None


def load_frame(
    session: Session, stmt: Select[Any], *, batch_size: int | None = None
) -> pd.DataFrame:
    """The rows of `stmt` as an engine frame (DESIGN §3 columns).

    With `batch_size`, rows come from a server-side cursor that many at a time and each
    batch becomes a frame before the next is fetched: a large store's rows are never all
    held as Python row objects next to the frame (the bulk pass loads this way).

    The frame's `attrs[LOADED_AT]` is the database clock just before the rows were read:
    `write_proposals` withdraws only proposals older than that.
    """
    loaded_at = database_clock(session)
    if batch_size is None:
        result = session.execute(stmt)
        frame = _frame(result.all(), list(result.keys()))
    else:
        result = session.execute(stmt, execution_options={"yield_per": batch_size})
        columns = list(result.keys())
        parts = [_frame(rows, columns) for rows in result.partitions()]
        if len(parts) == 1:
            frame = parts[0]
        else:
            frame = pd.concat(parts, ignore_index=True) if parts else _frame([], columns)
    frame.attrs[LOADED_AT] = loaded_at
    return frame


def _frame(rows: Sequence[Any], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("registration_date", "request_date"):
        if column in frame:
            frame[column] = [d.isoformat() if d is not None else "" for d in frame[column]]
    if frame.empty:
        frame = frame.assign(date_of_birth_precision=[], separation_date_precision=[])
    return _finish(frame)


# Rows fetched at a time when the bulk pass loads every open record.
LOAD_BATCH_SIZE = 20_000


def open_children(session: Session, *, batch_size: int | None = None) -> pd.DataFrame:
    return load_frame(
        session,
        children_query().where(ChildRegistration.status.not_in(CLOSED_STATUSES)),
        batch_size=batch_size,
    )


def still_sought() -> ColumnElement[bool]:
    """A sought child is still looked for: not closed, and no confirmed match yet."""
    from models import PotentialMatch

    confirmed = (
        select(PotentialMatch.id)
        .where(
            PotentialMatch.sought_child_id == SoughtChild.id,
            PotentialMatch.status.in_(MATCHED_STATUSES),
        )
        .exists()
    )
    return SoughtChild.status.not_in(CLOSED_STATUSES) & ~confirmed


def open_sought(session: Session, *, batch_size: int | None = None) -> pd.DataFrame:
    return load_frame(session, sought_query().where(still_sought()), batch_size=batch_size)
