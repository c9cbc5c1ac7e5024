"""Signing in, and the administrators' forms for users and agencies."""

from __future__ import annotations

from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import PageForm


class LoginForm(PageForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    submit = SubmitField("Sign in")


class NewUserForm(PageForm):
    """A new account; the page lists the roles and agencies the administrator may give
    (`accounts.services.assignable_roles`, `manageable_agencies`): never typed."""

    email = StringField("Email", validators=[DataRequired(), Length(max=320)])
    role = SelectField("Role")
    agency = SelectField("Agency", coerce=int)
    create = SubmitField("Create user")

    def offer(self, roles: list[str], agencies: list[tuple[int, str]]) -> None:
        self.role.choices = [SelectChoice(role, role.replace("_", " ")) for role in roles]
        self.agency.choices = [SelectChoice(agency_id, name) for agency_id, name in agencies]


class AgencyForm(PageForm):
    name = StringField("Agency name", validators=[DataRequired(), Length(max=200)])
    code = StringField("Short code", validators=[Optional(), Length(max=20)])  # its column
    add = SubmitField("Add agency")
