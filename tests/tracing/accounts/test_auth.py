"""Sign-in: hashed passwords, lockout, rate limit, fresh sessions, idle timeout, headers."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import AuditEvent, User
from tracing.accounts import services as accounts
from tracing.db import get_session

PASSWORD = "a long enough password"


@pytest.fixture
def user(app: Flask) -> User:
    with app.app_context():
        return accounts.create_user(get_session(), "cw@example.org", "caseworker", "IRC", PASSWORD)


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert match, page
    return match.group(1)


def login(client: FlaskClient, email: str, password: str) -> int:
    token = csrf_token(client)
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    return response.status_code


def test_pages_need_a_signed_in_user(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_sign_in_and_out(app: Flask, client: FlaskClient, user: User) -> None:
    assert login(client, "CW@example.org", PASSWORD) == 302
    page = client.get("/")
    assert page.status_code == 200 and b"cw@example.org" in page.data
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302
    with app.app_context():
        actions = list(get_session().scalars(select(AuditEvent.action)))
    # the dashboard's top matches, shown twice, are list reads (audited since the safety
    # issue's item 8)
    assert actions == ["create_user", "login", "list_matches", "list_matches"]


def test_password_is_hashed_with_scrypt(app: Flask, user: User) -> None:
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash


def test_login_without_csrf_token_is_refused(client: FlaskClient, user: User) -> None:
    response = client.post("/login", data={"email": "cw@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_wrong_password_then_lockout(app: Flask, client: FlaskClient, user: User) -> None:
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(client, "cw@example.org", "wrong password!") == 401
    # Locked now: even the right password is refused, with the same message.
    assert login(client, "cw@example.org", PASSWORD) == 401
    with app.app_context():
        session = get_session()
        stored = session.scalars(select(User)).one()
        assert stored.locked_until is not None
        stored.locked_until = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        session.commit()
    assert login(client, "cw@example.org", PASSWORD) == 302


def test_per_ip_rate_limit(app: Flask, client: FlaskClient) -> None:
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    codes = [login(client, f"nobody{i}@example.org", "whatever pass") for i in range(limit + 1)]
    assert codes[:limit] == [401] * limit
    assert codes[limit] == 429


def test_a_new_session_at_sign_in(client: FlaskClient, user: User) -> None:
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(client, "cw@example.org", PASSWORD)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_idle_session_ends(app: Flask, client: FlaskClient, user: User) -> None:
    login(client, "cw@example.org", PASSWORD)
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        session["last_seen"] -= app.config["IDLE_TIMEOUT_MINUTES"] * 60 + 1
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/").status_code == 302


def test_cookies_and_security_headers(client: FlaskClient, user: User) -> None:
    token = csrf_token(client)
    response = client.post(
        "/login", data={"email": "cw@example.org", "password": PASSWORD, "csrf_token": token}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Cache-Control"] == "no-store"


def test_secure_cookie_by_configuration(fresh_database_url: str) -> None:
    from app import create_app

    app = create_app(
        {"DATABASE_URL": fresh_database_url, "SESSION_COOKIE_SECURE": True, "TESTING": True}
    )
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    app.extensions["ftr.engine"].dispose()
