"""The inquiry form: the inquirer, then one block per sought child."""

from __future__ import annotations

from wtforms import BooleanField, FormField, StringField, SubmitField
from wtforms import FieldList as WTFieldList

from ..forms import TEXT, PageForm, PersonFieldsForm, partial_date_field, today
from ..schemas import MAX_SOUGHT_CHILDREN


class SoughtChildForm(PersonFieldsForm):
    pass


class SoughtChildEditForm(PageForm, PersonFieldsForm):
    submit = SubmitField("Save")


class InquiryForm(PageForm):
    inquirer_name = StringField("Inquirer's name", validators=TEXT)
    inquirer_relationship = StringField("Relationship to the children", validators=TEXT)
    inquirer_contact = StringField("Contact (phone, address)", validators=TEXT)
    inquirer_place = StringField("Inquirer's location", validators=TEXT)
    inquirer_language = StringField("Inquirer's language", validators=TEXT)
    request_date = partial_date_field("Date of request", default=today)
    consent_tracing = BooleanField("Consent to tracing", default=True)
    consent_sharing = BooleanField("Consent to sharing with other agencies", default=False)
    children = WTFieldList(
        FormField(SoughtChildForm), min_entries=1, max_entries=MAX_SOUGHT_CHILDREN
    )
    add_child = SubmitField("Add another child")
    submit = SubmitField("File the inquiry")


class ConsentForm(PageForm):
    """The family's consent as it stands now; unticking withdraws it (`tracing.consent`)."""

    consent_tracing = BooleanField("Consent to tracing")
    consent_sharing = BooleanField("Consent to sharing with other agencies")
    record = SubmitField("Record the family's consent")
