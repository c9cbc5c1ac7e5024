"""The permission matrix: every route × every role, with another agency's record IDs.

The table below is the specification, written independently of the code. A route
added to the app without a row here fails the test, so that nobody forgets to decide
who may use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from models import PotentialMatch, Referral
from tracing.accounts import services as accounts
from tracing.db import get_session
from tracing.inquiries import services as inquiry_services
from tracing.registrations import services as registrations
from tracing.security import route_roles

from ..conftest import PASSWORD, ROLES

ANYONE = "anyone"
REG = {"registrar", "caseworker", "supervisor"}
INQ = {"helpdesk", "caseworker", "supervisor"}
CASE = {"caseworker", "supervisor"}
OVERSIGHT = {"supervisor", "admin"}
# Transfers: supervisors and administrators (of the owning agency; the service checks).
TRANSFER = {"supervisor", "admin"}
SIGNED_IN = set(ROLES)

EXPECTED: dict[str, set[str] | str] = {
    "static": ANYONE,
    "auth.login": ANYONE,
    "auth.logout": ANYONE,
    "home.index": SIGNED_IN,
    "registrations.index": REG,
    "registrations.new": REG,
    "registrations.show": REG,
    "registrations.edit": REG,
    "registrations.photo": REG,
    "registrations.transfer": TRANSFER,
    "requests.index": INQ,
    "requests.new": INQ,
    "requests.show": INQ,
    "requests.edit_sought": INQ,
    "requests.transfer": TRANSFER,
    "requests.consent": INQ,
    "search.index": REG | INQ,
    "review.queue": CASE,
    "review.compare": CASE,
    "review.decide": CASE,
    "review.follow_up": CASE,
    "review.reunify": CASE,
    "review.close": CASE,
    "review.request_referral": CASE,
    "review.referrals": CASE,
    "review.decide_referral": CASE,
    "supervision.overview": OVERSIGHT,
    "supervision.audit": OVERSIGHT | {"platform_admin"},
    "admin.users": {"admin", "platform_admin"},
    "admin.set_active": {"admin", "platform_admin"},
    "admin.agencies": {"platform_admin"},
    "api.csrf": SIGNED_IN,
    "api.register_child": REG,
    "api.file_inquiry": INQ,
    "api.inquiry_consent": INQ,
    "api.matches": CASE,
    "api.decide": CASE,
    "api.transfer_child": TRANSFER,
    "api.transfer_inquiry": TRANSFER,
    "api.search": REG | INQ,
}
SECRET_NAME = "Zainab-Haroun-Secret"


@pytest.fixture
def matrix(fresh_database_url: str) -> Iterator[tuple[Flask, dict[str, int]]]:
    """North users of every role; a South child, inquiry and match they must not see."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": fresh_database_url,
            "SECRET_KEY": "test",
            "WTF_CSRF_ENABLED": False,
            "LOGIN_RATE_LIMIT": "1000 per minute",
        }
    )
    try:
        with app.app_context():
            session = get_session()
            for role in ROLES:
                accounts.create_user(session, f"{role}@north.example", role, "North", PASSWORD)
            south = accounts.create_user(
                session, "cw@south.example", "caseworker", "South", PASSWORD
            )
            child, _ = registrations.register_child(session, south, {"given_name": SECRET_NAME}, {})
            inquiry, _ = inquiry_services.file_inquiry(
                session, south, {"inquirer_name": SECRET_NAME}, [({"given_name": SECRET_NAME}, {})]
            )
            match = PotentialMatch(
                child_id=child.id,
                sought_child_id=inquiry.sought_children[0].id,
                score=0.9,
                evidence={},
                engine_version="test",
            )
            session.add(match)
            referral = Referral(
                child_id=child.id, from_agency_id=south.agency_id, to_agency_id=south.agency_id
            )
            session.add(referral)
            session.commit()
            ids = {
                "child_id": child.id,
                "inquiry_id": inquiry.id,
                "match_id": match.id,
                "referral_id": referral.id,
                "sought_id": inquiry.sought_children[0].id,
                "user_id": south.id,
            }
        yield app, ids
    finally:
        app.extensions["ftr.engine"].dispose()


def url_for_rule(rule: object, ids: dict[str, int]) -> str:
    path = str(rule)
    for name, value in {
        **ids,
        "change": "deactivate",
        "verdict": "accept",
        "filename": "ftr.css",
    }.items():
        path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
        path = path.replace(f"<any(activate, deactivate):{name}>", str(value))
        path = path.replace(f"<any(accept, decline):{name}>", str(value))
        path = path.replace(f"<path:{name}>", str(value))
    assert "<" not in path, path
    return path


def sign_in(client: FlaskClient, role: str | None) -> None:
    if role is not None:
        response = client.post(
            "/login", data={"email": f"{role}@north.example", "password": PASSWORD}
        )
        assert response.status_code == 302


def test_every_route_has_a_row(matrix: tuple[Flask, dict[str, int]]) -> None:
    app, _ = matrix
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(EXPECTED), {
        "missing rows": endpoints - set(EXPECTED),
        "stale rows": set(EXPECTED) - endpoints,
    }


@pytest.mark.parametrize("role", [None, *ROLES])
def test_role_by_route(matrix: tuple[Flask, dict[str, int]], role: str | None) -> None:
    app, ids = matrix
    client = app.test_client()
    sign_in(client, role)
    failures = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("auth.logout",):
            continue
        allowed = EXPECTED[rule.endpoint]
        path = url_for_rule(rule, ids)
        method = "GET" if "GET" in (rule.methods or ()) else "POST"
        response = client.open(path, method=method)
        body = response.get_data(as_text=True)
        response.close()
        if SECRET_NAME in body:
            failures.append(f"{role} {method} {path}: another agency's data shown")
        if allowed == ANYONE:
            ok = response.status_code in (200, 302)
        elif role is None:
            ok = response.status_code == 302 and "/login" in response.headers.get("Location", "")
        elif role in allowed:
            # Allowed, but the IDs are another agency's: not found (or a page/redirect
            # for routes without IDs, and for admins who manage every agency's users).
            # Another agency's users are out of an agency admin's reach too (item 1 of
            # the safety issue); the platform administrator manages every agency's.
            has_ids = any(
                f"<int:{k}>" in str(rule) for k in ids if k != "user_id" or role != "platform_admin"
            )
            # An empty POST to an allowed route is a bad request, not a refusal.
            ok = response.status_code == 404 if has_ids else response.status_code in (200, 302, 400)
        else:
            ok = response.status_code == 403
        if not ok:
            failures.append(f"{role} {method} {path}: {response.status_code}")
    assert not failures, "\n".join(failures)


NAVIGATION = {
    "registrar": ["Dashboard", "Register a child", "Search"],
    "helpdesk": ["Dashboard", "File an inquiry", "Search"],
    "caseworker": ["Dashboard", "Register a child", "File an inquiry", "Search", "Review queue"],
    "supervisor": [
        "Dashboard",
        "Register a child",
        "File an inquiry",
        "Search",
        "Review queue",
        "Supervision",
    ],
    "admin": ["Dashboard", "Supervision", "Admin"],
    "platform_admin": ["Dashboard", "Admin"],
}


def test_the_registry_of_roles_is_the_table(matrix: tuple[Flask, dict[str, int]]) -> None:
    """The roles each view declares (what the menu and the pages' buttons read) are
    those of the specification, endpoint by endpoint."""
    app, _ = matrix
    with app.test_request_context():
        declared = route_roles()
    expected = {
        endpoint: None if roles == ANYONE else frozenset(roles)
        for endpoint, roles in EXPECTED.items()
        if endpoint != "static"
    }
    assert declared == expected


@pytest.mark.parametrize("role", ROLES)
def test_the_menu_shows_what_the_role_may_open(
    matrix: tuple[Flask, dict[str, int]], role: str
) -> None:
    app, _ = matrix
    client = app.test_client()
    sign_in(client, role)
    page = client.get("/").get_data(as_text=True)
    menu = page.split("<nav", 1)[1].split("</nav>", 1)[0]
    assert re.findall(r">([^<>]+)</a>", menu) == NAVIGATION[role]
