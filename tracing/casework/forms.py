"""Follow-ups, reunification, closure and transfer of a case."""

from __future__ import annotations

import datetime as dt

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from models import FollowUpKind

from ..forms import TEXT, PageForm
from ..schemas import LONG_TEXT_MAX, NOTE_MAX, TEXT_MAX

# The steps a caseworker records from the comparison page; reunification and closure
# have forms of their own.
FOLLOW_UP_CHOICES = [
    SelectChoice(kind.value, label)
    for kind, label in (
        (FollowUpKind.INTERVIEW_CHILD, "Verification interview with the child"),
        (FollowUpKind.INTERVIEW_FAMILY, "Verification interview with the family"),
        (FollowUpKind.PHOTO_RECOGNITION, "Photo recognition"),
        (FollowUpKind.FOLLOW_UP_VISIT, "Follow-up visit"),
        (FollowUpKind.NOTE, "Note"),
    )
]


class FollowUpForm(PageForm):
    kind = SelectField("Step", choices=FOLLOW_UP_CHOICES)
    occurred_on = DateField("Date", validators=[Optional()], default=dt.date.today)
    place = StringField("Place", validators=TEXT)
    outcome = StringField("Outcome", validators=TEXT)
    note = TextAreaField("Note", validators=[Optional(), Length(max=NOTE_MAX)])
    record = SubmitField("Record")


class ReunificationForm(PageForm):
    version = HiddenField(validators=[DataRequired()])
    occurred_on = DateField(
        "Date of reunification", validators=[DataRequired()], default=dt.date.today
    )
    place = StringField("Place", validators=[DataRequired(), Length(max=TEXT_MAX)])
    by = StringField(
        "Reunified by (agency or worker)", validators=[DataRequired(), Length(max=TEXT_MAX)]
    )
    elsewhere = BooleanField("The child was reunified elsewhere (not through this match)")
    note = TextAreaField("Note", validators=[Optional(), Length(max=NOTE_MAX)])
    reunify = SubmitField("Record reunification")


class CloseForm(PageForm):
    reason = StringField("Reason for closing", validators=[DataRequired(), Length(max=TEXT_MAX)])
    close = SubmitField("Close the case")


class TransferForm(PageForm):
    """Hand a case to another agency; the choices are set by the page (other agencies)."""

    # The service refuses an unknown agency or the owner itself, with its own message.
    to_agency = SelectField("Transfer to", coerce=int, validate_choice=False)
    reason = TextAreaField(
        "Reason for the transfer", validators=[DataRequired(), Length(max=LONG_TEXT_MAX)]
    )
    transfer = SubmitField("Transfer the case")
