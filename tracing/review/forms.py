"""The review queue's filters and the decision on a match."""

from __future__ import annotations

from wtforms import HiddenField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from models import MatchStatus

from ..forms import TEXT, PageForm
from ..schemas import LONG_TEXT_MAX


class DecisionForm(PageForm):
    """Confirm or reject a match; `version` carries the optimistic lock."""

    version = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(
        "Reason (required to reject)", validators=[Optional(), Length(max=LONG_TEXT_MAX)]
    )
    start = SubmitField("Start verification")
    confirm = SubmitField("Confirm: same child")
    reject = SubmitField("Reject: not this child")


class QueueFilterForm(PageForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField(
        "Status",
        choices=[
            SelectChoice(v, v.replace("_", " ") or "open")
            for v in ("", *(s.value for s in MatchStatus))
        ],
        default="",
    )
    agency = StringField("Agency", validators=TEXT)
    area = StringField("Area (separation place)", validators=TEXT)
    min_score = StringField("Minimum probability", validators=[Optional(), Length(max=5)])
