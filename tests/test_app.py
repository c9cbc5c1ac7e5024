"""The app factory and the home page."""

from __future__ import annotations

from flask.testing import FlaskClient

from app import create_app


def test_config_is_applied() -> None:
    app = create_app({"TESTING": True, "DATABASE_URL": "postgresql+psycopg://x@127.0.0.1:1/none"})
    assert app.testing
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    app.extensions["ftr.engine"].dispose()


def test_home_page_asks_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/", follow_redirects=True)
    assert response.status_code == 200
    assert b"Sign in" in response.data
