"""The person fields that registered and sought children share: a validated contract
record (`tracing.contract`) becomes stored values and index keys, and stored values
become form data again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.normalize import join_head_rest, normalize_name, token_keys
from models import ChildRegistration, Inquiry, SoughtChild
from tracing.contract import Kind, PartialDate, Problem, Row, partial_date, validate_row
from tracing.errors import ValidationFailed
from tracing.schemas import field_errors


def ewkt(point: tuple[float, float] | None) -> str | None:
    if point is None:
        return None
    lat, lon = point
    return f"SRID=4326;POINT({lon!r} {lat!r})"


def date_parts(value: PartialDate | None) -> tuple[dt.date | None, str | None]:
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


def person_values(record: dict[str, Any]) -> dict[str, Any]:
    dob, dob_precision = date_parts(record["date_of_birth"])
    sep, sep_precision = date_parts(record["separation_date"])
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
        "separation_point": ewkt(record["separation_point"]),
        "mother_name": record["mother_name"],
        "father_name": record["father_name"],
        "languages": record["language"],
        **key_values(
            (record["given_name"], record["family_name"], *record["other_names"]),
            (record["mother_name"], record["father_name"]),
        ),
    }


def key_values(names: Sequence[str | None], parents: Sequence[str | None]) -> dict[str, Any]:
    keys, blocks, search_text = store_keys(names, parents)
    return {"name_keys": keys, "block_keys": blocks, "search_text": search_text}


def as_flag(value: Any, name: str) -> bool:
    """A yes/no answer from a form or JSON; anything else is refused, never guessed."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "yes", "y", "on", "1"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"false", "no", "n", "off", "0", ""}:
        return False
    raise ValidationFailed([Problem(0, name, f"{name} must be true or false", "error")])


FLAG_FIELDS = frozenset({"age_estimated", "consent_tracing", "consent_sharing"})


PERSON_EXTRA_FIELDS = (
    "age_estimated",
    "distinctive_features",
    "separation_cause",
    "other_relatives",
)


def checked(schema: type[BaseModel], values: dict[str, Any]) -> None:
    """Hold a record's values to the limits every door shares (`tracing.schemas`: lengths,
    types); a refusal names each field, and for the children of an inquiry which one
    (the problem's line: 1 for the first child)."""
    try:
        schema.model_validate(values)
    except ValidationError as exc:
        problems = [
            Problem(0 if child is None else child + 1, column, message, "error")
            for child, column, message in field_errors(exc)
        ]
        raise ValidationFailed(problems) from None


def validated_record(
    kind: Kind, cells: dict[str, str], today: dt.date | None = None
) -> tuple[dict[str, Any], list[Problem]]:
    record, problems = validate_row(kind, Row(0, cells), today or dt.date.today(), {})
    if record is None:
        raise ValidationFailed(problems)
    return record, problems


def apply_person(
    target: ChildRegistration | SoughtChild,
    record: dict[str, Any],
    extra: dict[str, Any],
    fields: Sequence[str],
) -> bool:
    """Copy validated values onto a stored person; True when anything changed."""
    values = person_values(record)
    values.pop("ref")
    point = values.pop("separation_point")
    changed = False
    for key, value in values.items():
        if getattr(target, key) != value:
            setattr(target, key, value)
            changed = True
    if ewkt_of(target.separation_point) != point:
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


def ewkt_of(value: Any) -> str | None:
    """A stored point (WKB element or EWKT text) as the EWKT our importer writes."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return ewkt(point_of(value))


def next_ref(
    session: Session, model: type[ChildRegistration] | type[Inquiry], prefix: str
) -> tuple[int, str]:
    sequence = f"{model.__tablename__}_id_seq"
    next_id = int(session.scalar(select(func.nextval(sequence))) or 0)
    return next_id, f"{prefix}-{dt.date.today().year}-{next_id:06d}"


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
