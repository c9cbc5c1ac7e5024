"""What a request may carry: the limits every door shares, and the JSON API's input
schemas built on them (pydantic, from which the API's OpenAPI document is to be made).

The pages' forms take their lengths from the same constants; the values themselves
(dates, ages, coordinates, sex) are then judged by the data contract
(`tracing.contract`), as for an imported row, whichever door they came through.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
)

# Lengths, in characters: a name, a place or a short answer; a reason or a description;
# a note. The pages' forms use the same ones.
TEXT_MAX = 500
LONG_TEXT_MAX = 2000
NOTE_MAX = 4000
# A contract cell typed into a field of its own: a date, an age, a coordinate.
CELL_MAX = 20
# Children one inquiry may seek: a family files for its separated children, not a camp.
MAX_SOUGHT_CHILDREN = 12

Text = Annotated[StrictStr, StringConstraints(max_length=TEXT_MAX)]
LongText = Annotated[StrictStr, StringConstraints(max_length=LONG_TEXT_MAX)]
# A contract cell may come as a JSON number (an age, a latitude) or as text; not as
# true/false, which would read as 1 and 0.
Cell = Annotated[StrictStr, StringConstraints(max_length=CELL_MAX)] | StrictInt | StrictFloat
# A yes or no: true/false, or a word a form would send ("yes", "false"), which the
# service reads (`people.as_flag`), refusing anything else.
Flag = StrictBool | Annotated[StrictStr, StringConstraints(max_length=10)]


class _Body(BaseModel):
    """Unknown fields are ignored, as unknown CSV columns are; a known field of the wrong
    type (an object where a name goes) is refused, never stored as its repr."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


class PersonIn(_Body):
    given_name: Text | None = None
    family_name: Text | None = None
    other_names: Text | None = None
    sex: Text | None = None
    age: Cell | None = None
    age_estimated: Flag | None = None
    date_of_birth: Cell | None = None
    language: Text | None = None
    distinctive_features: LongText | None = None
    separation_date: Cell | None = None
    separation_place: Text | None = None
    separation_lat: Cell | None = None
    separation_lon: Cell | None = None
    separation_cause: Text | None = None
    mother_name: Text | None = None
    father_name: Text | None = None
    other_relatives: Text | None = None


class ChildIn(PersonIn):
    current_place: Text | None = None
    current_lat: Cell | None = None
    current_lon: Cell | None = None
    care_arrangement: Text | None = None
    registration_date: Cell | None = None
    consent_tracing: Flag | None = None
    consent_sharing: Flag | None = None


class InquiryIn(_Body):
    inquirer_name: Text | None = None
    inquirer_relationship: Text | None = None
    inquirer_contact: Text | None = None
    inquirer_place: Text | None = None
    inquirer_language: Text | None = None
    request_date: Cell | None = None
    consent_tracing: Flag | None = None
    consent_sharing: Flag | None = None
    children: list[PersonIn] = Field(min_length=1, max_length=MAX_SOUGHT_CHILDREN)


class ConsentIn(_Body):
    consent_tracing: Flag
    consent_sharing: Flag


class TransferIn(_Body):
    reason: LongText = ""


class DecisionIn(_Body):
    decision: Literal["confirm", "reject"]
    reason: LongText | None = None


def field_errors(error: ValidationError) -> list[tuple[int | None, str | None, str]]:
    """A pydantic refusal as (sought child's index or None, field, message), once a
    field: what follows a field in pydantic's location names the branch of a union (age
    as text, as a number), and the first branch's message is the one to show."""
    found: dict[tuple[int | None, str | None], str] = {}
    for problem in error.errors(include_url=False, include_input=False):
        where = list(problem["loc"])
        child = None
        if len(where) >= 2 and where[0] == "children" and isinstance(where[1], int):
            child, where = where[1], where[2:]
        found.setdefault((child, str(where[0]) if where else None), problem["msg"])
    return [(child, column, message) for (child, column), message in found.items()]


def problems_of(error: ValidationError) -> list[dict[str, Any]]:
    """A pydantic refusal as the API's error list: the field (with its place in a list,
    `children.2.age`) and a message for the client."""
    return [
        {
            "column": column if child is None else f"children.{child}.{column}",
            "message": message,
            "severity": "error",
        }
        for child, column, message in field_errors(error)
    ]


def given(body: BaseModel) -> dict[str, Any]:
    """The fields the client sent (not the defaults), as plain values."""
    return body.model_dump(exclude_unset=True)
