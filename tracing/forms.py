"""Form pieces the features share. Field rules come from the data contract
(`tracing.contract`), so a form and a CSV import accept and refuse exactly the same
values, with the same reasons."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto as _AUTO
from wtforms import (
    BooleanField,
    Form,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from . import contract
from .schemas import CELL_MAX, TEXT_MAX

SEX_CHOICES = [
    SelectChoice(v, label)
    for v, label in (("unknown", "Unknown"), ("female", "Female"), ("male", "Male"))
]
DATE_HINT = "YYYY-MM-DD, or YYYY-MM or YYYY when only that is known"
TEXT = [Optional(), Length(max=TEXT_MAX)]


def today() -> str:
    return dt.date.today().isoformat()


def partial_date_field(label: str, **kwargs: Any) -> StringField:
    """A date that may be known only to the month or year, as the contract allows."""
    return StringField(
        label, validators=[Optional(), Length(max=10)], description=DATE_HINT, **kwargs
    )


class PersonFieldsForm(Form):
    """The child fields shared by a registration and a sought child."""

    given_name = StringField("Given name", validators=TEXT)
    family_name = StringField("Family name", validators=TEXT)
    other_names = StringField("Other names, nicknames (separate with ;)", validators=TEXT)
    sex = SelectField("Sex", choices=SEX_CHOICES, default="unknown")
    age = StringField("Age (years)", validators=[Optional(), Length(max=5)])
    age_estimated = BooleanField("Age is an estimate", default=True)
    date_of_birth = partial_date_field("Date of birth")
    language = StringField("Languages", validators=TEXT)
    distinctive_features = TextAreaField("Distinctive features", validators=TEXT)
    separation_date = partial_date_field("Separation date")
    separation_place = StringField("Separation place (name)", validators=TEXT)
    separation_lat = StringField(
        "Separation latitude", validators=[Optional(), Length(max=CELL_MAX)]
    )
    separation_lon = StringField(
        "Separation longitude", validators=[Optional(), Length(max=CELL_MAX)]
    )
    separation_cause = StringField("Cause of separation", validators=TEXT)
    mother_name = StringField("Mother's name", validators=TEXT)
    father_name = StringField("Father's name", validators=TEXT)
    other_relatives = StringField("Other relatives' names", validators=TEXT)


def contract_cells(form: Any, extra: tuple[str, ...] = ()) -> dict[str, str]:
    """The form's values as a contract row, so the import rules apply unchanged."""
    cells = {}
    for name in (*contract.PERSON_VALUE_COLUMNS, *extra):
        value = form[name].data if name in form else None
        cells[name] = "" if value is None else str(value)
    return cells


def apply_problems(form: Any, problems: list[contract.Problem]) -> list[str]:
    """Put contract errors on their fields; return warnings as messages for the page."""
    warnings = []
    for problem in problems:
        if problem.severity == "warning":
            warnings.append(problem.message)
            continue
        column = problem.column if problem.column and problem.column in form else None
        if column is None:
            column = "given_name"
        form[column].errors = [*form[column].errors, problem.message]
    return warnings


class PageForm(FlaskForm):
    """The base of every page's form: it reads posted form fields only. (Flask-WTF would
    also read a JSON body into a form, handing lists and objects to text fields; the JSON
    API has its own door.)"""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            if formdata is _AUTO and request.is_json and not request.form:
                return None  # a JSON body is no form submission
            return super().wrap_formdata(form, formdata)


class ActionForm(PageForm):
    """A button with nothing to fill in: only the CSRF token is checked."""

    submit = SubmitField("Go")
