"""Transferring a case (a child, or an inquiry with its sought children) to another agency."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import (
    Agency,
    AuditEvent,
    ChildRegistration,
    Inquiry,
    PotentialMatch,
    Referral,
    SoughtChild,
    User,
)
from tracing import contract, services
from tracing.db import get_session

from ..conftest import PASSWORD, csrf_token_from, sign_in

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
CHILD = {"given_name": "Amina", "family_name": "Yousif", "sex": "female", "age": "7"}
SOUGHT = {"given_name": "Amina", "family_name": "Yousef", "sex": "female", "age": "7"}
REASON = "family moved to the southern camps; South runs the interim care centre"


@dataclass
class Case:
    child: int
    inquiry: int
    sought: int
    match: int
    north: int
    south: int


def make_case(app: Flask, users: dict[str, int], *, consent: bool = True) -> Case:
    """A North child and a North inquiry seeking her, with a proposal between them."""
    with app.app_context():
        session = get_session()
        registrar = session.get(User, users["registrar"])
        helpdesk = session.get(User, users["helpdesk"])
        assert registrar and helpdesk
        services.create_user(session, "supervisor@south.example", "supervisor", "South", PASSWORD)
        child, _ = services.register_child(
            session, registrar, CHILD, {"consent_sharing": consent}, match=False
        )
        inquiry, _ = services.file_inquiry(
            session,
            helpdesk,
            {"inquirer_name": "Halima Adam", "consent_sharing": consent},
            [(SOUGHT, {})],
            match=False,
        )
        sought = inquiry.sought_children[0]
        match = PotentialMatch(
            child_id=child.id,
            sought_child_id=sought.id,
            score=0.9,
            evidence={},
            engine_version="test",
        )
        session.add(match)
        session.commit()
        south = session.scalars(select(Agency.id).where(Agency.name == "South")).one()
        return Case(child.id, inquiry.id, sought.id, match.id, registrar.agency_id, south)


@pytest.fixture
def case(app: Flask, users: dict[str, int]) -> Case:
    return make_case(app, users)


def as_south_supervisor(client: FlaskClient) -> FlaskClient:
    with client.session_transaction() as session:
        session.clear()
    sign_in(client, "supervisor@south.example")
    return client


def transfer(client: FlaskClient, path: str, page: str, agency: int, reason: str = REASON) -> str:
    """POST the transfer form of a case page; return the page shown after the redirect."""
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    response = client.post(
        path, data={"to_agency": str(agency), "reason": reason, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client.get(response.headers["Location"]).get_data(as_text=True)


def owners(app: Flask, case: Case) -> tuple[int, int, int, int]:
    """(child's agency, inquiry's agency, match.child_agency_id, match.sought_agency_id)."""
    with app.app_context():
        session = get_session()
        child = session.get(ChildRegistration, case.child)
        inquiry = session.get(Inquiry, case.inquiry)
        match = session.get(PotentialMatch, case.match)
        assert child and inquiry and match
        return child.agency_id, inquiry.agency_id, match.child_agency_id, match.sought_agency_id


def transfer_events(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        return list(
            get_session().scalars(select(AuditEvent).where(AuditEvent.action == "transfer"))
        )


def test_supervisor_transfers_a_child(
    app: Flask, case: Case, as_role: Callable[[str], FlaskClient]
) -> None:
    client = as_role("supervisor")
    page = client.get(f"/children/{case.child}").get_data(as_text=True)
    assert 'id="transfer-form"' in page and ">South<" in page
    after = transfer(client, f"/children/{case.child}/transfer", f"/children/{case.child}", 9999)
    assert "no such agency" in after  # an unknown agency: refused, back on the case page
    after = transfer(
        client, f"/children/{case.child}/transfer", f"/children/{case.child}", case.south
    )
    assert "transferred to South" in after
    # The child moved; the inquiry stayed; the match's copies of the owners followed.
    assert owners(app, case) == (case.south, case.north, case.south, case.north)

    south = as_role("other_caseworker")
    page = south.get(f"/children/{case.child}").get_data(as_text=True)
    assert "Yousif" in page
    queue = south.get("/review/").get_data(as_text=True)
    assert f'data-match="{case.match}"' in queue and "Yousif" in queue

    north = as_role("caseworker")
    assert north.get(f"/children/{case.child}").status_code == 404
    assert "Yousif" not in north.get("/children/").get_data(as_text=True)
    # North still works its own inquiry's proposal, but the child is another agency's now.
    queue = north.get("/review/").get_data(as_text=True)
    assert f'data-match="{case.match}"' in queue and "Yousif" not in queue
    assert "Yousif" not in north.get(f"/review/{case.match}").get_data(as_text=True)


def test_the_transfer_is_audited_and_in_the_case_history(
    app: Flask, case: Case, as_role: Callable[[str], FlaskClient]
) -> None:
    client = as_role("supervisor")
    transfer(client, f"/children/{case.child}/transfer", f"/children/{case.child}", case.south)
    (event,) = transfer_events(app)
    assert event.record_type == "child_registration" and event.record_id == case.child
    assert event.details["from_agency"] == "North" and event.details["to_agency"] == "South"
    assert event.details["reason"] == REASON
    page = as_role("other_caseworker").get(f"/children/{case.child}").get_data(as_text=True)
    history = page[page.index('id="history"') :]
    assert "transfer" in history and "from North to South" in history and REASON in history


def test_no_consent_to_sharing_no_transfer(
    app: Flask, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    case = make_case(app, users, consent=False)
    client = as_role("supervisor")
    after = transfer(
        client, f"/children/{case.child}/transfer", f"/children/{case.child}", case.south
    )
    assert "did not consent to sharing" in after
    after = transfer(
        client, f"/inquiries/{case.inquiry}/transfer", f"/inquiries/{case.inquiry}", case.south
    )
    assert "did not consent to sharing" in after
    assert owners(app, case) == (case.north, case.north, case.north, case.north)
    assert transfer_events(app) == []


def test_only_the_owners_supervisors_transfer(
    app: Flask, case: Case, as_role: Callable[[str], FlaskClient]
) -> None:
    data = {"to_agency": str(case.south), "reason": REASON}
    client = as_role("caseworker")
    page = client.get(f"/children/{case.child}").get_data(as_text=True)
    assert "transfer-form" not in page
    token = csrf_token_from(page)
    for path in (f"/children/{case.child}/transfer", f"/inquiries/{case.inquiry}/transfer"):
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 403
    # Another agency's supervisor guessing the ids learns nothing.
    client = as_south_supervisor(client)
    token = csrf_token_from(client.get("/children/new").get_data(as_text=True))
    for path in (f"/children/{case.child}/transfer", f"/inquiries/{case.inquiry}/transfer"):
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 404
    assert owners(app, case) == (case.north, case.north, case.north, case.north)
    assert transfer_events(app) == []


def test_supervisor_transfers_an_inquiry(
    app: Flask, case: Case, as_role: Callable[[str], FlaskClient]
) -> None:
    client = as_role("supervisor")
    page = client.get(f"/inquiries/{case.inquiry}").get_data(as_text=True)
    assert 'id="transfer-form"' in page
    after = transfer(
        client, f"/inquiries/{case.inquiry}/transfer", f"/inquiries/{case.inquiry}", case.south
    )
    assert "transferred to South" in after
    assert owners(app, case) == (case.north, case.south, case.north, case.south)

    south = as_role("other_caseworker")
    page = south.get(f"/inquiries/{case.inquiry}").get_data(as_text=True)
    assert "Halima Adam" in page
    history = page[page.index('id="history"') :]
    assert "from North to South" in history and REASON in history
    assert f'data-match="{case.match}"' in south.get("/review/").get_data(as_text=True)
    # The helpdesk that filed it no longer sees the inquiry.
    assert as_role("helpdesk").get(f"/inquiries/{case.inquiry}").status_code == 404
    (event,) = transfer_events(app)
    assert event.record_type == "inquiry" and event.details["sought_children"]


def test_transfer_rules_in_the_service(app: Flask, case: Case, users: dict[str, int]) -> None:
    with app.app_context():
        session = get_session()
        supervisor = session.get(User, users["supervisor"])
        caseworker = session.get(User, users["caseworker"])
        south = session.get(User, users["other_caseworker"])
        assert supervisor and caseworker and south
        for refused, message in (
            ((case.south, ""), "give a reason"),
            ((case.north, REASON), "belongs to North already"),
            ((424242, REASON), "no such agency"),
        ):
            with pytest.raises(services.ServiceError, match=message):
                services.transfer_child(session, supervisor, case.child, *refused)
        with pytest.raises(services.NotAllowed):
            services.transfer_inquiry(session, caseworker, case.inquiry, case.south, REASON)
        with pytest.raises(services.NotFound):
            services.transfer_child(session, south, case.child, case.north, REASON)
        with pytest.raises(services.NotFound):
            services.transfer_inquiry(session, supervisor, 424242, case.south, REASON)
    assert owners(app, case) == (case.north, case.north, case.north, case.north)


def test_referrals_follow_the_transfer(app: Flask, case: Case, users: dict[str, int]) -> None:
    """A referral to the new owner is withdrawn; one to a third agency now answers to the
    new owner, which decides it (and may keep sharing) from now on."""
    with app.app_context():
        session = get_session()
        supervisor = session.get(User, users["supervisor"])
        assert supervisor
        east = services.ensure_agency(session, "East")
        to_south = Referral(child_id=case.child, from_agency_id=case.north, to_agency_id=case.south)
        to_east = Referral(child_id=case.child, from_agency_id=case.north, to_agency_id=east.id)
        declined = Referral(
            child_id=case.child,
            from_agency_id=case.north,
            to_agency_id=east.id,
            status="declined",
        )
        session.add_all([to_south, to_east, declined])
        session.commit()
        services.transfer_child(session, supervisor, case.child, case.south, REASON)
        session.expire_all()
        assert to_south.status == "withdrawn"
        assert (to_east.status, to_east.from_agency_id) == ("pending", case.south)
        assert (declined.status, declined.from_agency_id) == ("declined", case.north)
        south = session.get(User, users["other_caseworker"])
        assert south and [r.id for r in services.referrals_for(session, south)] == [to_east.id]


def test_transfer_through_the_api(
    app: Flask, case: Case, as_role: Callable[[str], FlaskClient]
) -> None:
    body = {"to_agency_id": case.south, "reason": REASON}
    client = as_role("caseworker")
    headers = {"X-CSRFToken": client.get("/api/csrf").get_json()["csrf_token"]}
    assert (
        client.post(f"/api/children/{case.child}/transfer", json=body, headers=headers).status_code
        == 403
    )
    client = as_role("supervisor")
    assert client.post(f"/api/children/{case.child}/transfer", json=body).status_code == 400
    headers = {"X-CSRFToken": client.get("/api/csrf").get_json()["csrf_token"]}
    bad = client.post(
        f"/api/inquiries/{case.inquiry}/transfer",
        json={"to_agency_id": case.south},
        headers=headers,
    )
    assert bad.status_code == 422 and "reason" in bad.get_json()["errors"][0]["message"]
    done = client.post(f"/api/inquiries/{case.inquiry}/transfer", json=body, headers=headers)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["agency"] == "South"
    # Once transferred, North's supervisor no longer sees it either.
    again = client.post(f"/api/inquiries/{case.inquiry}/transfer", json=body, headers=headers)
    assert again.status_code == 404
    client = as_south_supervisor(client)
    headers = {"X-CSRFToken": client.get("/api/csrf").get_json()["csrf_token"]}
    guessed = client.post(f"/api/children/{case.child}/transfer", json=body, headers=headers)
    assert guessed.status_code == 404
    assert owners(app, case) == (case.north, case.south, case.north, case.south)
    # An administrator of the owning agency transfers without opening the case file.
    client = as_role("admin")
    headers = {"X-CSRFToken": client.get("/api/csrf").get_json()["csrf_token"]}
    done = client.post(f"/api/children/{case.child}/transfer", json=body, headers=headers)
    assert done.status_code == 200, done.get_json()
    assert owners(app, case) == (case.south, case.south, case.south, case.south)


def _cells(person: ChildRegistration | SoughtChild) -> dict[str, str]:
    data = services.person_form_data(person)
    return {k: str(data[k] or "") for k in contract.PERSON_VALUE_COLUMNS}


def test_matching_goes_on_after_a_transfer(app: Flask) -> None:
    """A transferred inquiry keeps its status and is still matched: a child registered
    afterwards is proposed for it; likewise a transferred child for a new inquiry."""
    with app.app_context():
        session = get_session()
        for kind, name in (("children", "children.csv"), ("requests", "requests.csv")):
            validated = contract.validate_file(kind, SAMPLES / name)
            services.import_records(session, kind, validated, agency_name="Demo Agency")
        services.fit_engine(session)
        supervisor = services.create_user(
            session, "sup@demo.example", "supervisor", "Demo Agency", PASSWORD
        )
        registrar = services.create_user(
            session, "reg@demo.example", "registrar", "Demo Agency", PASSWORD
        )
        elsewhere = services.ensure_agency(session, "Elsewhere")
        session.commit()

        sought = session.scalars(
            select(SoughtChild)
            .where(
                SoughtChild.given_name.is_not(None),
                SoughtChild.family_name.is_not(None),
                SoughtChild.mother_name.is_not(None),
                SoughtChild.age.is_not(None),
            )
            .order_by(SoughtChild.id)
            .limit(1)
        ).one()
        status = sought.status
        sought.inquiry.consent_sharing = True
        session.commit()
        services.transfer_inquiry(session, supervisor, sought.inquiry_id, elsewhere.id, REASON)
        assert sought.status == status and sought.inquiry.agency_id == elsewhere.id

        found, _ = services.register_child(session, registrar, _cells(sought), {})
        proposal = session.scalars(
            select(PotentialMatch).where(
                PotentialMatch.child_id == found.id, PotentialMatch.sought_child_id == sought.id
            )
        ).one()
        assert proposal.sought_agency_id == elsewhere.id
        assert proposal.child_agency_id == registrar.agency_id

        # And the other way round: a transferred child is still matched.
        found.consent_sharing = True
        session.commit()
        services.transfer_child(session, supervisor, found.id, elsewhere.id, REASON)
        inquiry, _ = services.file_inquiry(
            session, registrar, {"inquirer_name": "Someone"}, [(_cells(found), {})]
        )
        new_sought = inquiry.sought_children[0]
        proposal = session.scalars(
            select(PotentialMatch).where(
                PotentialMatch.child_id == found.id,
                PotentialMatch.sought_child_id == new_sought.id,
            )
        ).one()
        assert proposal.child_agency_id == elsewhere.id


def test_the_case_page_shows_the_form_only_to_those_who_may_transfer(
    case: Case, as_role: Callable[[str], FlaskClient]
) -> None:
    for role, shown in (("registrar", False), ("caseworker", False), ("supervisor", True)):
        page = as_role(role).get(f"/children/{case.child}").get_data(as_text=True)
        assert ("transfer-form" in page) is shown, role
    for role, shown in (("helpdesk", False), ("supervisor", True)):
        page = as_role(role).get(f"/inquiries/{case.inquiry}").get_data(as_text=True)
        assert ("transfer-form" in page) is shown, role
    # The select offers the other agencies only.
    page = as_role("supervisor").get(f"/children/{case.child}").get_data(as_text=True)
    options = re.findall(r"<option[^>]*>([^<]+)</option>", page)
    assert options == ["South"]
