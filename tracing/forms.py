"""Forms for the pages. Field rules come from the data contract (tracing.contract), so a
form and a CSV import accept and refuse exactly the same values, with the same reasons."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    FormField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms import FieldList as WTFieldList
from wtforms.validators import Length, Optional

from . import contract

SEX_CHOICES = [
    SelectChoice(v, label)
    for v, label in (("unknown", "Unknown"), ("female", "Female"), ("male", "Male"))
]
CARE_CHOICES = [
    SelectChoice(v, label)
    for v, label in (
        ("", "—"),
        ("interim care centre", "Interim care centre"),
        ("foster family", "Foster family"),
        ("kinship care", "Kinship care (relatives)"),
        ("community care", "Community care"),
        ("independent", "Independent living"),
        ("other", "Other"),
    )
]


def _today() -> str:
    return dt.date.today().isoformat()


DATE_HINT = "YYYY-MM-DD, or YYYY-MM or YYYY when only that is known"
TEXT = [Optional(), Length(max=500)]


class PersonFieldsForm(Form):
    """The child fields shared by a registration and a sought child."""

    given_name = StringField("Given name", validators=TEXT)
    family_name = StringField("Family name", validators=TEXT)
    other_names = StringField("Other names, nicknames (separate with ;)", validators=TEXT)
    sex = SelectField("Sex", choices=SEX_CHOICES, default="unknown")
    age = StringField("Age (years)", validators=[Optional(), Length(max=5)])
    age_estimated = BooleanField("Age is an estimate", default=True)
    date_of_birth = StringField("Date of birth", validators=[Optional(), Length(max=10)])
    language = StringField("Languages", validators=TEXT)
    distinctive_features = TextAreaField("Distinctive features", validators=TEXT)
    separation_date = StringField("Separation date", validators=[Optional(), Length(max=10)])
    separation_place = StringField("Separation place (name)", validators=TEXT)
    separation_lat = StringField("Separation latitude", validators=[Optional(), Length(max=20)])
    separation_lon = StringField("Separation longitude", validators=[Optional(), Length(max=20)])
    separation_cause = StringField("Cause of separation", validators=TEXT)
    mother_name = StringField("Mother's name", validators=TEXT)
    father_name = StringField("Father's name", validators=TEXT)
    other_relatives = StringField("Other relatives' names", validators=TEXT)


class ChildForm(FlaskForm, PersonFieldsForm):
    current_place = StringField("Current location (place)", validators=TEXT)
    current_lat = StringField("Current latitude", validators=[Optional(), Length(max=20)])
    current_lon = StringField("Current longitude", validators=[Optional(), Length(max=20)])
    care_arrangement = SelectField("Care arrangement", choices=CARE_CHOICES, default="")
    registration_date = StringField(
        "Registration date", validators=[Optional(), Length(max=10)], default=_today
    )
    consent_tracing = BooleanField("Consent to tracing", default=True)
    consent_sharing = BooleanField("Consent to sharing with other agencies", default=False)
    submit = SubmitField("Save")


class SoughtChildForm(PersonFieldsForm):
    pass


class InquiryForm(FlaskForm):
    inquirer_name = StringField("Inquirer's name", validators=TEXT)
    inquirer_relationship = StringField("Relationship to the children", validators=TEXT)
    inquirer_contact = StringField("Contact (phone, address)", validators=TEXT)
    inquirer_place = StringField("Inquirer's location", validators=TEXT)
    inquirer_language = StringField("Inquirer's language", validators=TEXT)
    request_date = StringField(
        "Date of request", validators=[Optional(), Length(max=10)], default=_today
    )
    consent_tracing = BooleanField("Consent to tracing", default=True)
    consent_sharing = BooleanField("Consent to sharing with other agencies", default=False)
    children = WTFieldList(FormField(SoughtChildForm), min_entries=1, max_entries=12)
    add_child = SubmitField("Add another child")
    submit = SubmitField("File the inquiry")


CONTRACT_TEXT_COLUMNS = (
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


def contract_cells(form: Any, extra: tuple[str, ...] = ()) -> dict[str, str]:
    """The form's values as a contract row, so the import rules apply unchanged."""
    cells = {}
    for name in (*CONTRACT_TEXT_COLUMNS, *extra):
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
