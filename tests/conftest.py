"""Fixtures: a throwaway PostgreSQL/PostGIS database per test run, Warehouse-style.

A template database is migrated once per run. Most tests share one clone of it and run
inside a transaction that is rolled back afterwards; tests that need committed data
(the CLI, migrations, concurrency, a live server) get a fresh clone of their own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app import create_app
from tracing.cli import alembic_config

ROOT = Path(__file__).resolve().parent.parent
SERVER_URL = make_url(
    os.environ.get("FTR_TEST_SERVER_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
)
RUN_ID = uuid.uuid4().hex[:8]


def _admin() -> Engine:
    return create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")


def _url(name: str) -> str:
    return SERVER_URL.set(database=name).render_as_string(hide_password=False)


def create_database(name: str, template: str | None = None) -> str:
    admin = _admin()
    try:
        with admin.connect() as connection:
            suffix = f" TEMPLATE {template}" if template else ""
            connection.execute(text(f"CREATE DATABASE {name}{suffix}"))
    finally:
        admin.dispose()
    return _url(name)


def drop_database(name: str) -> None:
    admin = _admin()
    try:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def template_database() -> Iterator[str]:
    """A database migrated to head, used only as a template for clones."""
    name = f"ftr_test_{RUN_ID}_template"
    url = create_database(name)
    try:
        command.upgrade(alembic_config(url), "head")
        yield name
    finally:
        drop_database(name)


_clones = 0


@pytest.fixture
def fresh_database_url(template_database: str) -> Iterator[str]:
    """A migrated database of this test's own: committed data is fine here."""
    global _clones
    _clones += 1
    name = f"ftr_test_{RUN_ID}_{_clones}"
    yield create_database(name, template=template_database)
    drop_database(name)


@pytest.fixture(scope="session")
def engine(template_database: str) -> Iterator[Engine]:
    name = f"ftr_test_{RUN_ID}_shared"
    url = create_database(name, template=template_database)
    engine = create_engine(url)
    yield engine
    engine.dispose()
    drop_database(name)


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    """A session whose commits are savepoints inside a transaction rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()


@pytest.fixture
def app(fresh_database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": fresh_database_url,
            "SECRET_KEY": "test",
            "PHOTO_FOLDER": str(tmp_path / "photos"),
        }
    )
    yield app
    app.extensions["ftr.engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


# --------------------------------------------------------------------------- signed-in users

PASSWORD = "a long enough password"
ROLES = ("registrar", "helpdesk", "caseworker", "supervisor", "admin", "platform_admin")


@pytest.fixture
def users(app: Flask) -> dict[str, int]:
    """One user per role in agency "North", and a caseworker of agency "South"."""
    from tracing.accounts import services as accounts
    from tracing.db import get_session

    ids = {}
    with app.app_context():
        session = get_session()
        for role in ROLES:
            ids[role] = accounts.create_user(
                session, f"{role}@north.example", role, "North", PASSWORD
            ).id
        ids["other_caseworker"] = accounts.create_user(
            session, "caseworker@south.example", "caseworker", "South", PASSWORD
        ).id
    return ids


def csrf_token_from(page: str) -> str:
    import re

    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client: FlaskClient, email: str) -> None:
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def as_role(client: FlaskClient, users: dict[str, int]) -> Callable[[str], FlaskClient]:
    """Sign the test client in as the North user of a role (or "other_caseworker")."""

    def sign_in_as(role: str) -> FlaskClient:
        email = (
            "caseworker@south.example" if role == "other_caseworker" else f"{role}@north.example"
        )
        with client.session_transaction() as session:
            session.clear()
        sign_in(client, email)
        return client

    return sign_in_as


def post_form(
    client: FlaskClient, path: str, data: dict[str, str], *, page: str | None = None
) -> Any:
    """GET the page (`page`, else `path`) for its CSRF token, then POST the form to `path`."""
    token = csrf_token_from(client.get(page or path).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})
