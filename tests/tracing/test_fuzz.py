"""Every route of the app, every method, as every role, with input meant to break it:
NUL bytes, very long text, numbers beyond PostgreSQL's integer, JSON of the wrong type.
The answer may be any refusal (4xx) or success, never a server error, and no exception
may escape a view (the test app propagates them, so a blanket handler would not hide one).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from models import PotentialMatch, Referral
from tracing.accounts import services as accounts
from tracing.db import get_session
from tracing.inquiries import services as inquiry_services
from tracing.registrations import services as registrations

from ..conftest import PASSWORD, ROLES

HUGE = 2**40
NUL = "a\x00b"
LONG = "x" * 100_000
QUERY_ARGS = ("q", "status", "agency", "area", "min_score", "page", "action", "ref", "limit")
FORM_FIELDS = (
    "given_name", "family_name", "other_names", "sex", "age", "date_of_birth", "language",
    "separation_date", "separation_place", "separation_lat", "separation_lon", "mother_name",
    "father_name", "current_place", "current_lat", "current_lon", "registration_date",
    "care_arrangement", "consent_tracing", "consent_sharing", "inquirer_name",
    "inquirer_relationship", "inquirer_contact", "request_date", "children-0-given_name",
    "email", "password", "role", "agency", "name", "code", "reason", "to_agency", "version",
    "kind", "occurred_on", "place", "outcome", "note", "by", "confirm", "reject",
)  # fmt: skip
JSON_FIELDS = (
    "given_name", "family_name", "age", "sex", "date_of_birth", "current_lat",
    "consent_tracing", "consent_sharing", "age_estimated", "distinctive_features",
    "inquirer_name", "inquirer_contact", "request_date", "children", "decision", "version",
    "reason", "to_agency_id",
)  # fmt: skip
BAD_JSON: dict[str, Any] = {
    "nul": NUL,
    "long": LONG,
    "object": {"a": [1, {"b": None}]},
    "list": [1, "two", None],
    "huge": HUGE * HUGE,
    "null": None,
}


def _inputs() -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, request arguments) of each bad input, the same for every route."""
    for label, value in (("nul", NUL), ("long", LONG)):
        yield f"query-{label}", {"query_string": dict.fromkeys(QUERY_ARGS, value)}
        yield f"form-{label}", {"data": dict.fromkeys(FORM_FIELDS, value)}
    for label, value in BAD_JSON.items():
        body = dict.fromkeys(JSON_FIELDS, value)
        if label != "list":
            body["children"] = [dict.fromkeys(JSON_FIELDS, value)]
        yield f"json-{label}", {"json": body}
    yield "json-not-an-object", {"json": [NUL]}


INPUTS = list(_inputs())


@pytest.fixture(scope="module")
def fuzz_app(template_database: str) -> Iterator[tuple[Flask, dict[str, int]]]:
    from ..conftest import create_database, drop_database

    name = f"ftr_test_fuzz_{__import__('uuid').uuid4().hex[:8]}"
    url = create_database(name, template=template_database)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "fuzz",
            "WTF_CSRF_ENABLED": False,  # let the input reach the views
            "LOGIN_RATE_LIMIT": "100000 per minute",
            "REALTIME_MATCHING": False,
        }
    )
    try:
        with app.app_context():
            session = get_session()
            users = {
                role: accounts.create_user(session, f"{role}@fuzz.example", role, "A", PASSWORD)
                for role in ROLES
            }
            child, _ = registrations.register_child(
                session, users["caseworker"], {"given_name": "Amina"}, {}, match=False
            )
            inquiry, _ = inquiry_services.file_inquiry(
                session,
                users["caseworker"],
                {"inquirer_name": "Halima"},
                [({"given_name": "Amina"}, {})],
                match=False,
            )
            sought = inquiry.sought_children[0]
            match = PotentialMatch(
                child_id=child.id, sought_child_id=sought.id, score=0.9, evidence={},
                engine_version="fuzz",
            )  # fmt: skip
            session.add(match)
            other = accounts.create_user(session, "b@fuzz.example", "caseworker", "B", PASSWORD)
            referral = Referral(
                child_id=child.id, from_agency_id=child.agency_id, to_agency_id=other.agency_id
            )
            session.add(referral)
            session.commit()
            ids = {
                "child_id": child.id,
                "inquiry_id": inquiry.id,
                "sought_id": sought.id,
                "match_id": match.id,
                "referral_id": referral.id,
                "user_id": other.id,
            }
        yield app, ids
    finally:
        app.extensions["ftr.engine"].dispose()
        drop_database(name)


def _path(rule: str, ids: dict[str, int], huge: bool) -> str:
    path = rule
    for name, value in ids.items():
        path = path.replace(f"<int:{name}>", str(HUGE if huge else value))
    for converter, value in (
        ("<any(activate, deactivate):change>", "deactivate"),
        ("<any(accept, decline):verdict>", "accept"),
    ):
        path = path.replace(converter, value)
    return path


@pytest.mark.parametrize("role", [None, *ROLES])
def test_no_input_makes_a_server_error(
    fuzz_app: tuple[Flask, dict[str, int]], role: str | None
) -> None:
    app, ids = fuzz_app
    client: FlaskClient = app.test_client()
    if role:
        signed = client.post("/login", data={"email": f"{role}@fuzz.example", "password": PASSWORD})
        assert signed.status_code == 302
    failures = []
    tried = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "auth.logout", "auth.login"):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for huge in (False, True):
                if huge and "<int:" not in rule.rule:
                    continue
                path = _path(rule.rule, ids, huge)
                for label, arguments in INPUTS:
                    tried += 1
                    try:
                        response = client.open(path, method=method, **arguments)
                        status = response.status_code
                        response.close()
                    except Exception as exc:  # a view let an exception escape
                        first = str(exc).splitlines()[0][:160] if str(exc) else ""
                        failures.append(f"{method} {path} {label}: {type(exc).__name__}: {first}")
                        continue
                    if status >= 500:
                        failures.append(f"{method} {path} {label}: HTTP {status}")
    assert tried > 300
    assert not failures, f"{len(failures)} of {tried}:\n" + "\n".join(failures[:60])
