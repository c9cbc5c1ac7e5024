"""Signing in, and the administrators' forms for users and agencies."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from models import Role


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    submit = SubmitField("Sign in")


ROLE_CHOICES = [SelectChoice(role.value, role.value) for role in Role]


class NewUserForm(FlaskForm):
    email = StringField("Email", validators=[DataRequired(), Length(max=320)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    agency = StringField("Agency", validators=[DataRequired(), Length(max=200)])
    create = SubmitField("Create user")


class AgencyForm(FlaskForm):
    name = StringField("Agency name", validators=[DataRequired(), Length(max=200)])
    code = StringField("Short code", validators=[Optional(), Length(max=20)])
    add = SubmitField("Add agency")
