"""The registration form of a separated child."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional

from ..forms import TEXT, PageForm, PersonFieldsForm, partial_date_field, today
from ..schemas import CELL_MAX

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


class ChildForm(PageForm, PersonFieldsForm):
    current_place = StringField("Current location (place)", validators=TEXT)
    current_lat = StringField("Current latitude", validators=[Optional(), Length(max=CELL_MAX)])
    current_lon = StringField("Current longitude", validators=[Optional(), Length(max=CELL_MAX)])
    care_arrangement = SelectField("Care arrangement", choices=CARE_CHOICES, default="")
    registration_date = partial_date_field("Registration date", default=today)
    consent_tracing = BooleanField("Consent to tracing", default=True)
    consent_sharing = BooleanField("Consent to sharing with other agencies", default=False)
    photo = FileField(
        "Photo (JPEG or PNG)", validators=[FileAllowed(["jpg", "jpeg", "png"], "JPEG or PNG only")]
    )
    submit = SubmitField("Save")
