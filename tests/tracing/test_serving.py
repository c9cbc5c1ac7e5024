"""`ftr serve`: gunicorn with several workers, as in production."""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from app import create_app
from tracing.accounts import services as accounts
from tracing.cli import cli
from tracing.db import get_session

from ..conftest import PASSWORD, create_database, drop_database

FTR = Path(sys.executable).with_name("ftr")


def test_serve_refuses_to_start_without_a_secret_key(runner: FlaskCliRunner) -> None:
    env = {k: v for k, v in os.environ.items() if k != "FTR_SECRET_KEY"}
    for key in (None, "short"):
        if key:
            env["FTR_SECRET_KEY"] = key
        result = runner.invoke(cli, ["serve"], env=env)
        assert result.exit_code == 1
        assert "FTR_SECRET_KEY must be set" in result.output


def test_serve_refuses_a_database_behind_the_migrations() -> None:
    """Neither an empty database nor one a migration behind (whose missing tables would
    fail at the first sign-in) is served."""
    import uuid

    from alembic import command
    from click.testing import CliRunner

    from tracing.cli import alembic_config

    name = f"ftr_test_behind_{uuid.uuid4().hex[:8]}"
    url = create_database(name)
    try:
        env = {"DATABASE_URL": url, "FTR_SECRET_KEY": secrets.token_hex(32)}
        result = CliRunner().invoke(cli, ["serve"], env=env)
        assert result.exit_code == 1
        assert "no FTR tables yet: run `ftr db upgrade` first" in result.output
        command.upgrade(alembic_config(url), "0006")
        result = CliRunner().invoke(cli, ["serve"], env=env)
        assert result.exit_code == 1
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        assert f"at migration 0006 and this FTR needs {head}" in result.output
    finally:
        drop_database(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(fresh_database_url: str) -> Iterator[str]:
    """`ftr serve` with two workers on a store with one user; its base URL."""
    app = create_app({"DATABASE_URL": fresh_database_url, "TESTING": True})
    with app.app_context():
        accounts.create_user(get_session(), "cw@example.org", "caseworker", "North", PASSWORD)
    app.extensions["ftr.engine"].dispose()
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": fresh_database_url,
        "FTR_SECRET_KEY": secrets.token_hex(32),
        "FTR_LOGIN_RATE_LIMIT": "8 per minute",
    }
    command = [str(FTR), "serve", "--port", str(port), "--workers", "2", "--threads", "2"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/login", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None:
                    break
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 0, output


def _sign_in(base: str, email: str, password: str, spoofed_ip: str) -> int:
    """One sign-in attempt from a new client (a new connection: any worker may take it)."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    page = opener.open(base + "/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    data = urllib.parse.urlencode(
        {"email": email, "password": password, "csrf_token": token.group(1)}
    ).encode()
    request = urllib.request.Request(
        base + "/login", data=data, headers={"X-Forwarded-For": spoofed_ip}
    )
    try:
        with opener.open(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code)


def test_limits_and_lockouts_hold_across_workers(server: str) -> None:
    base = server
    # Five wrong passwords lock the account, whichever worker counted them; a spoofed
    # X-Forwarded-For changes nothing (no proxy is configured).
    codes = [_sign_in(base, "cw@example.org", "wrong password!", f"10.0.0.{i}") for i in range(5)]
    assert codes == [401] * 5
    assert _sign_in(base, "cw@example.org", PASSWORD, "10.0.1.1") == 401  # locked
    # The per-address limit (8 a minute) is counted once for all workers.
    codes = [_sign_in(base, f"nobody{i}@example.org", "whatever!", f"10.0.2.{i}") for i in range(3)]
    assert codes == [401, 401, 429]


def test_secure_cookies_when_served_over_https(fresh_database_url: str) -> None:
    app = create_app(
        {
            "DATABASE_URL": fresh_database_url,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "PUBLIC_URL": "https://ftr.example.org",
        }
    )
    try:
        with app.app_context():
            accounts.create_user(get_session(), "cw@example.org", "caseworker", "N", PASSWORD)
        client = app.test_client()
        response = client.post("/login", data={"email": "cw@example.org", "password": PASSWORD})
        assert response.status_code == 302
        assert "Secure" in response.headers["Set-Cookie"]
        assert app.config["REMEMBER_COOKIE_SECURE"] is True
    finally:
        app.extensions["ftr.engine"].dispose()


def _audited_ip(app: Flask) -> str | None:
    from sqlalchemy import select

    from models import AuditEvent

    with app.app_context():
        event = get_session().scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event is not None
        return None if event.ip is None else str(event.ip)


@pytest.mark.parametrize(("hops", "expected"), [(0, "192.0.2.9"), (1, "203.0.113.7")])
def test_forwarded_addresses_only_from_configured_proxies(
    fresh_database_url: str, hops: int, expected: str
) -> None:
    app = create_app(
        {
            "DATABASE_URL": fresh_database_url,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "PROXY_HOPS": hops,
        }
    )
    try:
        client = app.test_client()
        client.post(
            "/login",
            data={"email": "nobody@example.org", "password": "whatever!"},
            headers={"X-Forwarded-For": "203.0.113.7"},
            environ_base={"REMOTE_ADDR": "192.0.2.9"},
        )
        assert _audited_ip(app) == expected
    finally:
        app.extensions["ftr.engine"].dispose()
