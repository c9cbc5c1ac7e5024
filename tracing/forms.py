"""Forms for the pages. Field rules come from the data contract (tracing.contract), so a
form and a CSV import accept and refuse exactly the same values, with the same reasons."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateField,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms import FieldList as WTFieldList
from wtforms.validators import DataRequired, Length, Optional

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
    photo = FileField(
        "Photo (JPEG or PNG)", validators=[FileAllowed(["jpg", "jpeg", "png"], "JPEG or PNG only")]
    )
    submit = SubmitField("Save")


class SoughtChildForm(PersonFieldsForm):
    pass


class SoughtChildEditForm(FlaskForm, PersonFieldsForm):
    submit = SubmitField("Save")


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


class DecisionForm(FlaskForm):
    """Confirm or reject a match; `version` carries the optimistic lock."""

    version = HiddenField(validators=[DataRequired()])
    reason = TextAreaField("Reason (required to reject)", validators=[Optional(), Length(max=2000)])
    start = SubmitField("Start verification")
    confirm = SubmitField("Confirm: same child")
    reject = SubmitField("Reject: not this child")


FOLLOW_UP_CHOICES = [
    SelectChoice(v, label)
    for v, label in (
        ("interview_child", "Verification interview with the child"),
        ("interview_family", "Verification interview with the family"),
        ("photo_recognition", "Photo recognition"),
        ("follow_up_visit", "Follow-up visit"),
        ("note", "Note"),
    )
]


class FollowUpForm(FlaskForm):
    kind = SelectField("Step", choices=FOLLOW_UP_CHOICES)
    occurred_on = DateField("Date", validators=[Optional()], default=dt.date.today)
    place = StringField("Place", validators=TEXT)
    outcome = StringField("Outcome", validators=TEXT)
    note = TextAreaField("Note", validators=[Optional(), Length(max=4000)])
    record = SubmitField("Record")


class ReunificationForm(FlaskForm):
    version = HiddenField(validators=[DataRequired()])
    occurred_on = DateField(
        "Date of reunification", validators=[DataRequired()], default=dt.date.today
    )
    place = StringField("Place", validators=[DataRequired(), Length(max=500)])
    by = StringField(
        "Reunified by (agency or worker)", validators=[DataRequired(), Length(max=500)]
    )
    elsewhere = BooleanField("The child was reunified elsewhere (not through this match)")
    note = TextAreaField("Note", validators=[Optional(), Length(max=4000)])
    reunify = SubmitField("Record reunification")


class CloseForm(FlaskForm):
    reason = StringField("Reason for closing", validators=[DataRequired(), Length(max=500)])
    close = SubmitField("Close the case")


class TransferForm(FlaskForm):
    """Hand a case to another agency; the choices are set by the page (other agencies)."""

    # The service refuses an unknown agency or the owner itself, with its own message.
    to_agency = SelectField("Transfer to", coerce=int, validate_choice=False)
    reason = TextAreaField("Reason for the transfer", validators=[DataRequired(), Length(max=2000)])
    transfer = SubmitField("Transfer the case")


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField(
        "Status",
        choices=[
            SelectChoice(v, v.replace("_", " ") or "open")
            for v in (
                "",
                "proposed",
                "in_verification",
                "confirmed",
                "rejected",
                "reunified",
                "reunified_elsewhere",
                "superseded",
            )
        ],
        default="",
    )
    agency = StringField("Agency", validators=TEXT)
    area = StringField("Area (separation place)", validators=TEXT)
    min_score = StringField("Minimum probability", validators=[Optional(), Length(max=5)])


class ActionForm(FlaskForm):
    """A button with nothing to fill in: only the CSRF token is checked."""

    submit = SubmitField("Go")


ROLE_CHOICES = [
    SelectChoice(v, v) for v in ("registrar", "helpdesk", "caseworker", "supervisor", "admin")
]


class NewUserForm(FlaskForm):
    email = StringField("Email", validators=[DataRequired(), Length(max=320)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    agency = StringField("Agency", validators=[DataRequired(), Length(max=200)])
    create = SubmitField("Create user")


class AgencyForm(FlaskForm):
    name = StringField("Agency name", validators=[DataRequired(), Length(max=200)])
    code = StringField("Short code", validators=[Optional(), Length(max=20)])
    add = SubmitField("Add agency")
