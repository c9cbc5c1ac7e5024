"""The JSON API: same use cases, same rules, CSRF in a header."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import ChildRegistration, PotentialMatch
from tracing.db import get_session


def token(client: FlaskClient) -> dict[str, str]:
    return {"X-CSRFToken": client.get("/api/csrf").get_json()["csrf_token"]}


def test_register_and_validation_errors(app: Flask, as_role: Callable[[str], FlaskClient]) -> None:
    client = as_role("registrar")
    response = client.post(
        "/api/children",
        json={"given_name": "Dara", "family_name": "Sok", "age": 5, "sex": "m"},
        headers=token(client),
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["ref"].startswith("CH-")
    bad = client.post(
        "/api/children",
        json={"age": 40, "separation_lat": 95, "separation_lon": 1},
        headers=token(client),
    )
    assert bad.status_code == 422
    columns = {e["column"] for e in bad.get_json()["errors"]}
    assert {"given_name", "age", "separation_lat"} <= columns
    with app.app_context():
        assert get_session().scalar(select(func.count()).select_from(ChildRegistration)) == 1


def test_writes_need_the_csrf_header(as_role: Callable[[str], FlaskClient]) -> None:
    client = as_role("registrar")
    assert client.post("/api/children", json={"given_name": "Dara"}).status_code == 400


def test_inquiry_matches_and_decision(app: Flask, as_role: Callable[[str], FlaskClient]) -> None:
    client = as_role("helpdesk")
    response = client.post(
        "/api/inquiries",
        headers=token(client),
        json={
            "inquirer_name": "Sok Chea",
            "inquirer_relationship": "father",
            "children": [
                {"given_name": "Dara", "family_name": "Sok", "age": 5},
                {"given_name": "Bopha", "family_name": "Sok", "age": 8},
            ],
        },
    )
    assert response.status_code == 201, response.get_json()
    assert len(response.get_json()["sought"]) == 2
    registrar = as_role("registrar")
    child = registrar.post(
        "/api/children", headers=token(registrar), json={"given_name": "Dara", "family_name": "Sok"}
    ).get_json()
    with app.app_context():
        session = get_session()
        match = PotentialMatch(
            child_id=child["id"],
            sought_child_id=response.get_json()["sought"][0]["id"],
            score=0.8,
            evidence={},
            engine_version="test",
        )
        session.add(match)
        session.commit()
        match_id = match.id
    client = as_role("caseworker")
    listed = client.get("/api/matches").get_json()
    assert [m["id"] for m in listed] == [match_id]
    decided = client.post(
        f"/api/matches/{match_id}/decision",
        headers=token(client),
        json={"decision": "confirm", "version": listed[0]["version"]},
    )
    assert decided.status_code == 200 and decided.get_json()["status"] == "confirmed"
    stale = client.post(
        f"/api/matches/{match_id}/decision",
        headers=token(client),
        json={"decision": "reject", "reason": "x", "version": listed[0]["version"]},
    )
    assert stale.status_code == 409


def test_search(app: Flask, as_role: Callable[[str], FlaskClient]) -> None:
    client = as_role("registrar")
    client.post("/api/children", headers=token(client), json={"given_name": "Muhammad"})
    hits = client.get("/api/search?q=Mohamed").get_json()
    assert [h["given_name"] for h in hits] == ["Muhammad"]
