"""Children's data across agencies: notes, exact locations, consent, referrals."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import ChildRegistration, MatchStatus, PotentialMatch, User
from tracing import people
from tracing.casework import services as casework
from tracing.db import get_session
from tracing.inquiries import services as inquiry_services
from tracing.registrations import services as registrations
from tracing.review import referrals

from ..conftest import post_form

CHILD = {
    "given_name": "Zainab",
    "family_name": "Haroun",
    "sex": "female",
    "age": "8",
    "current_lat": "13.45678",
    "current_lon": "22.12345",
}


def cross_agency_match(
    app: Flask, users: dict[str, int], *, consent: bool = True
) -> tuple[int, int]:
    """A South child (with a South note) and a North inquiry, matched: (match id, child id)."""
    with app.app_context():
        session = get_session()
        south = session.get(User, users["other_caseworker"])
        helpdesk = session.get(User, users["helpdesk"])
        assert south and helpdesk
        child, _ = registrations.register_child(session, south, CHILD, {"consent_tracing": consent})
        casework.record_follow_up(
            session, south, "note", child=child, note="child staying with uncle at Block 7"
        )
        session.commit()
        inquiry, _ = inquiry_services.file_inquiry(
            session, helpdesk, {"inquirer_name": "Hawa"}, [({"given_name": "Zeinab"}, {})]
        )
        match = PotentialMatch(
            child_id=child.id,
            sought_child_id=inquiry.sought_children[0].id,
            score=0.7,
            evidence={},
            engine_version="test",
        )
        session.add(match)
        session.commit()
        return match.id, child.id


def test_compare_hides_another_agencys_notes(
    app: Flask, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    match_id, _ = cross_agency_match(app, users)
    page = as_role("caseworker").get(f"/review/{match_id}").get_data(as_text=True)
    assert "Block 7" not in page and "Zainab" not in page
    assert "Block 7" in as_role("other_caseworker").get(f"/review/{match_id}").get_data(
        as_text=True
    )


def test_exact_location_never_reaches_a_registrar(
    app: Flask, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    client = as_role("registrar")
    location = post_form(client, "/children/new", CHILD).headers["Location"]
    for path in (location, location + "/edit"):
        page = client.get(path).get_data(as_text=True)
        assert "13.45678" not in page and "22.12345" not in page
    # Saving the form (which never had the coordinates) keeps them.
    assert (
        post_form(
            client,
            location + "/edit",
            {**CHILD, "given_name": "Zaynab", "current_lat": "", "current_lon": ""},
        ).status_code
        == 302
    )
    with app.app_context():
        child = get_session().scalars(select(ChildRegistration)).one()
        assert child.given_name == "Zaynab"
        assert people.point_of(child.current_point) == (13.45678, 22.12345)
    page = as_role("caseworker").get(location + "/edit").get_data(as_text=True)
    assert "13.45678" in page


def test_a_referral_shares_reading_not_writing(
    app: Flask, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    match_id, child_id = cross_agency_match(app, users)
    with app.app_context():
        session = get_session()
        north = session.get(User, users["caseworker"])
        south = session.get(User, users["other_caseworker"])
        match = session.get(PotentialMatch, match_id)
        child = session.get(ChildRegistration, child_id)
        assert north and south and match and child
        child.consent_sharing = True
        session.commit()
        referral = referrals.request_referral(session, north, match, ip=None)
        referrals.decide_referral(session, south, referral, True, ip=None)
    client = as_role("caseworker")
    assert "Zainab" in client.get(f"/children/{child_id}").get_data(as_text=True)
    assert client.get(f"/children/{child_id}/edit").status_code == 404


def test_withdrawn_consent_ends_cross_agency_matches(
    app: Flask, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    match_id, child_id = cross_agency_match(app, users)
    north = as_role("caseworker")
    assert north.get(f"/review/{match_id}").status_code == 200
    with app.app_context():
        session = get_session()
        south = session.get(User, users["other_caseworker"])
        child = session.get(ChildRegistration, child_id)
        assert south and child
        registrations.update_child(
            session, south, child, CHILD, {"consent_tracing": False}, ip=None
        )
        match = session.get(PotentialMatch, match_id)
        assert match and match.status == MatchStatus.SUPERSEDED.value
    assert north.get(f"/review/{match_id}").status_code == 404
    assert f'data-match="{match_id}"' not in north.get("/review/").get_data(as_text=True)


def test_a_cross_agency_match_without_consent_is_not_shown(
    app: Flask, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    match_id, _ = cross_agency_match(app, users, consent=False)
    assert as_role("caseworker").get(f"/review/{match_id}").status_code == 404
    assert as_role("other_caseworker").get(f"/review/{match_id}").status_code == 404


def test_api_consent_is_a_real_yes_or_no(app: Flask, as_role: Callable[[str], FlaskClient]) -> None:
    client = as_role("helpdesk")
    headers = {"X-CSRFToken": client.get("/api/csrf").get_json()["csrf_token"]}
    response = client.post(
        "/api/inquiries",
        headers=headers,
        json={"consent_tracing": "false", "children": [{"given_name": "Dara"}]},
    )
    assert response.status_code == 201
    with app.app_context():
        from models import Inquiry

        assert get_session().scalars(select(Inquiry)).one().consent_tracing is False
    maybe = client.post(
        "/api/inquiries",
        headers=headers,
        json={"consent_tracing": "perhaps", "children": [{"given_name": "Dara"}]},
    )
    assert maybe.status_code == 422
    assert client.post("/api/inquiries", headers=headers, json={"children": [1]}).status_code == 422
