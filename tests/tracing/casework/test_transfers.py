"""Transferring a case (a child, or an inquiry with its sought children) to another agency."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

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
from tracing import access, contract, errors, people
from tracing.accounts import services as accounts
from tracing.casework import services as casework
from tracing.casework import transfers as transfer_services
from tracing.db import get_session
from tracing.imports import services as imports
from tracing.inquiries import services as inquiry_services
from tracing.linkage import jobs
from tracing.registrations import services as registrations
from tracing.review import referrals
from tracing.review import services as review

from ...conftest import PASSWORD, csrf_token_from, sign_in

SAMPLES = Path(__file__).resolve().parents[3] / "data" / "samples"
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
        accounts.create_user(session, "supervisor@south.example", "supervisor", "South", PASSWORD)
        child, _ = registrations.register_child(
            session, registrar, CHILD, {"consent_sharing": consent}, match=False
        )
        inquiry, _ = inquiry_services.file_inquiry(
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
            with pytest.raises(errors.ServiceError, match=message):
                transfer_services.transfer_child(session, supervisor, case.child, *refused)
        with pytest.raises(errors.NotAllowed):
            transfer_services.transfer_inquiry(
                session, caseworker, case.inquiry, case.south, REASON
            )
        with pytest.raises(errors.NotFound):
            transfer_services.transfer_child(session, south, case.child, case.north, REASON)
        with pytest.raises(errors.NotFound):
            transfer_services.transfer_inquiry(session, supervisor, 424242, case.south, REASON)
    assert owners(app, case) == (case.north, case.north, case.north, case.north)


def test_referrals_follow_the_transfer(app: Flask, case: Case, users: dict[str, int]) -> None:
    """A referral to the new owner is withdrawn; one to a third agency now answers to the
    new owner, which decides it (and may keep sharing) from now on."""
    with app.app_context():
        session = get_session()
        supervisor = session.get(User, users["supervisor"])
        assert supervisor
        east = accounts.ensure_agency(session, "East")
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
        transfer_services.transfer_child(session, supervisor, case.child, case.south, REASON)
        session.expire_all()
        assert to_south.status == "withdrawn"
        assert (to_east.status, to_east.from_agency_id) == ("pending", case.south)
        assert (declined.status, declined.from_agency_id) == ("declined", case.north)
        south = session.get(User, users["other_caseworker"])
        assert south and [r.id for r in referrals.referrals_for(session, south)] == [to_east.id]


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
    data = people.person_form_data(person)
    return {k: str(data[k] or "") for k in contract.PERSON_VALUE_COLUMNS}


def test_matching_goes_on_after_a_transfer(app: Flask) -> None:
    """A transferred inquiry keeps its status and is still matched: a child registered
    afterwards is proposed for it; likewise a transferred child for a new inquiry."""
    with app.app_context():
        session = get_session()
        for kind, name in (("children", "children.csv"), ("requests", "requests.csv")):
            validated = contract.validate_file(kind, SAMPLES / name)
            imports.import_records(session, kind, validated, agency_name="Demo Agency")
        jobs.fit_engine(session)
        supervisor = accounts.create_user(
            session, "sup@demo.example", "supervisor", "Demo Agency", PASSWORD
        )
        registrar = accounts.create_user(
            session, "reg@demo.example", "registrar", "Demo Agency", PASSWORD
        )
        # A case goes only to an agency with someone to work it.
        accounts.create_user(session, "sup@elsewhere.example", "supervisor", "Elsewhere", PASSWORD)
        elsewhere = accounts.ensure_agency(session, "Elsewhere")
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
        transfer_services.transfer_inquiry(
            session, supervisor, sought.inquiry_id, elsewhere.id, REASON
        )
        assert sought.status == status and sought.inquiry.agency_id == elsewhere.id

        found, _ = registrations.register_child(session, registrar, _cells(sought), {})
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
        transfer_services.transfer_child(session, supervisor, found.id, elsewhere.id, REASON)
        inquiry, _ = inquiry_services.file_inquiry(
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


# --------------------------------------------------------------------------- match notes,
# counterpart referrals, hidden matches, targets, reasons and refusals


def user(session: Session, users: dict[str, int], key: str) -> User:
    found = session.get(User, users[key])
    assert found
    return found


def agency_id(session: Session, name: str) -> int:
    return session.scalars(select(Agency.id).where(Agency.name == name)).one()


def south_inquiry(session: Session, users: dict[str, int]) -> tuple[Inquiry, SoughtChild]:
    """An inquiry of South's for the same girl (South's families consent to sharing)."""
    inquiry, _ = inquiry_services.file_inquiry(
        session,
        user(session, users, "other_caseworker"),
        {"inquirer_name": "Mariam Saleh", "consent_sharing": True},
        [(SOUGHT, {})],
        match=False,
    )
    return inquiry, inquiry.sought_children[0]


def add_match(session: Session, child_id: int, sought_id: int) -> PotentialMatch:
    match = PotentialMatch(
        child_id=child_id, sought_child_id=sought_id, score=0.8, evidence={}, engine_version="t"
    )
    session.add(match)
    session.commit()
    return match


def accepted(session: Session, to_agency: int, *, child: int = 0, inquiry: int = 0) -> Referral:
    """An accepted referral of a child (or an inquiry) to an agency, from its owner."""
    record = session.get(ChildRegistration, child) if child else session.get(Inquiry, inquiry)
    assert record
    referral = Referral(
        child_id=child or None,
        inquiry_id=inquiry or None,
        from_agency_id=record.agency_id,
        to_agency_id=to_agency,
        status="accepted",
    )
    session.add(referral)
    session.commit()
    return referral


def history_notes(page: str) -> str:
    return page[page.index('id="history"') :]


def test_match_notes_show_only_to_both_sides_owner_or_author(
    app: Flask, case: Case, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    """A follow-up about a match carries its author agency's notes: on a case page it
    shows to the agency owning both sides of the match, or to the one that wrote it."""
    with app.app_context():
        session = get_session()
        north, south = user(session, users, "caseworker"), user(session, users, "other_caseworker")
        east = accounts.create_user(
            session, "caseworker@east.example", "caseworker", "East", PASSWORD
        )
        inquiry, sought = south_inquiry(session, users)
        cross = add_match(session, case.child, sought.id)
        own = session.get(PotentialMatch, case.match)
        child = session.get(ChildRegistration, case.child)
        assert own and child
        casework.record_follow_up(session, south, "interview_family", match=cross, note="SOUTH-X")
        casework.record_follow_up(session, north, "interview_family", match=cross, note="NORTH-X")
        casework.record_follow_up(session, north, "interview_child", match=own, note="NORTH-OWN")
        casework.record_follow_up(session, north, "note", child=child, note="NORTH-PLAIN")
        session.commit()
        # South and East had the child referred; North had South's inquiry referred.
        accepted(session, case.south, child=case.child)
        accepted(session, east.agency_id, child=case.child)
        accepted(session, case.north, inquiry=inquiry.id)

        def notes(actor: User, record: ChildRegistration | Inquiry) -> set[str]:
            return {h.note for h in casework.case_history(session, record, actor)}

        assert notes(north, child) == {"NORTH-X", "NORTH-OWN", "NORTH-PLAIN"}
        assert notes(south, child) == {"SOUTH-X", "NORTH-PLAIN"}
        assert notes(east, child) == {"NORTH-PLAIN"}
        assert notes(south, inquiry) == {"SOUTH-X"}
        assert notes(north, inquiry) == {"NORTH-X"}
        # The comparison page of the cross-agency match: both agencies' notes on this
        # match, the child's plain notes, never those of North's own match.
        view = review.compare_match(session, south, cross, ip=None)
        assert {f.note for f in view.history} == {"SOUTH-X", "NORTH-X", "NORTH-PLAIN"}
        inquiry_id = inquiry.id

    page = history_notes(
        as_role("caseworker").get(f"/children/{case.child}").get_data(as_text=True)
    )
    assert "NORTH-X" in page and "NORTH-OWN" in page and "SOUTH-X" not in page
    page = history_notes(
        as_role("other_caseworker").get(f"/children/{case.child}").get_data(as_text=True)
    )
    assert "SOUTH-X" in page and "NORTH-PLAIN" in page
    assert "NORTH-X" not in page and "NORTH-OWN" not in page
    page = as_role("other_caseworker").get(f"/inquiries/{inquiry_id}").get_data(as_text=True)
    assert "SOUTH-X" in history_notes(page) and "NORTH-X" not in history_notes(page)


def test_a_child_transfer_moves_the_counterpart_referrals(
    app: Flask, case: Case, users: dict[str, int]
) -> None:
    """North had South's inquiry referred to work its match with North's child; the child
    goes to East: North's referral is withdrawn, and East asks South (and North, for
    North's own inquiry) to share; nothing is shared until they accept."""
    with app.app_context():
        session = get_session()
        east_user = accounts.create_user(
            session, "caseworker@east.example", "caseworker", "East", PASSWORD
        )
        east = east_user.agency_id
        inquiry, sought = south_inquiry(session, users)
        add_match(session, case.child, sought.id)
        obtained = accepted(session, case.north, inquiry=inquiry.id)
        transfer_services.transfer_child(
            session, user(session, users, "supervisor"), case.child, east, REASON
        )
        session.expire_all()
        assert obtained.status == "withdrawn"
        asked = session.scalars(select(Referral).where(Referral.to_agency_id == east)).all()
        assert {(r.inquiry_id, r.from_agency_id, r.status) for r in asked} == {
            (inquiry.id, case.south, "pending"),
            (case.inquiry, case.north, "pending"),
        }
        assert access.visible_inquiry(session, east_user, inquiry.id) is None
        (event,) = transfer_events(app)
        assert event.details["counterpart_referrals_withdrawn"] == [obtained.id]
        assert sorted(event.details["referrals_requested"]) == sorted(r.id for r in asked)
        # South decides on East's request like on any other.
        south = user(session, users, "other_caseworker")
        assert {r.id for r in referrals.referrals_for(session, south)} >= {
            r.id for r in asked if r.from_agency_id == case.south
        }
        request = next(r for r in asked if r.from_agency_id == case.south)
        referrals.decide_referral(session, south, request, True, ip=None)
        assert access.visible_inquiry(session, east_user, inquiry.id) is not None


def test_counterpart_referrals_stay_while_still_needed(
    app: Flask, case: Case, users: dict[str, int]
) -> None:
    """North keeps South's inquiry while another North child is matched with it; East,
    which sees that inquiry already, is not asked for it again."""
    with app.app_context():
        session = get_session()
        east = accounts.create_user(
            session, "caseworker@east.example", "caseworker", "East", PASSWORD
        ).agency_id
        inquiry, sought = south_inquiry(session, users)
        add_match(session, case.child, sought.id)
        other, _ = registrations.register_child(
            session, user(session, users, "registrar"), CHILD, {}, match=False
        )
        add_match(session, other.id, sought.id)
        obtained = accepted(session, case.north, inquiry=inquiry.id)
        east_has = accepted(session, east, inquiry=inquiry.id)
        transfer_services.transfer_child(
            session, user(session, users, "supervisor"), case.child, east, REASON
        )
        session.expire_all()
        assert obtained.status == "accepted" and east_has.status == "accepted"
        asked = session.scalars(
            select(Referral).where(Referral.to_agency_id == east, Referral.status == "pending")
        ).all()
        assert [(r.inquiry_id, r.from_agency_id) for r in asked] == [(case.inquiry, case.north)]
        (event,) = transfer_events(app)
        assert event.details["counterpart_referrals_withdrawn"] == []


def test_an_inquiry_transfer_moves_the_counterpart_referrals(
    app: Flask, case: Case, users: dict[str, int]
) -> None:
    with app.app_context():
        session = get_session()
        east = accounts.create_user(
            session, "caseworker@east.example", "caseworker", "East", PASSWORD
        ).agency_id
        south_child, _ = registrations.register_child(
            session,
            user(session, users, "other_caseworker"),
            CHILD,
            {"consent_sharing": True},
            match=False,
        )
        add_match(session, south_child.id, case.sought)
        obtained = accepted(session, case.north, child=south_child.id)
        transfer_services.transfer_inquiry(
            session, user(session, users, "supervisor"), case.inquiry, east, REASON
        )
        session.expire_all()
        assert obtained.status == "withdrawn"
        asked = session.scalars(select(Referral).where(Referral.to_agency_id == east)).all()
        assert {(r.child_id, r.from_agency_id, r.status) for r in asked} == {
            (south_child.id, case.south, "pending"),
            (case.child, case.north, "pending"),
        }
        (event,) = transfer_events(app)
        assert event.details["counterpart_referrals_withdrawn"] == [obtained.id]


@pytest.mark.parametrize("status", ["proposed", "in_verification", "confirmed"])
def test_no_transfer_that_would_hide_a_match_being_worked(
    app: Flask, users: dict[str, int], status: str
) -> None:
    """Across agencies a match shows only while both records consent to tracing: a
    transfer that would make such a match vanish for both agencies is refused."""
    case = make_case(app, users)
    with app.app_context():
        session = get_session()
        supervisor = user(session, users, "supervisor")
        child = session.get(ChildRegistration, case.child)
        match = session.get(PotentialMatch, case.match)
        assert child and match
        child.consent_tracing = False
        match.status = status
        session.commit()
        for transfer_case, record_id in (
            (transfer_services.transfer_child, case.child),
            (transfer_services.transfer_inquiry, case.inquiry),
        ):
            with pytest.raises(errors.ServiceError, match="consent to tracing") as refused:
                transfer_case(session, supervisor, record_id, case.south, REASON)
            assert child.ref in str(refused.value)
        assert owners(app, case) == (case.north, case.north, case.north, case.north)
        # Once decided, the match no longer stands in the way.
        match.status, match.reject_reason = "rejected", "not her"
        session.commit()
        transfer_services.transfer_child(session, supervisor, case.child, case.south, REASON)
    assert owners(app, case) == (case.south, case.north, case.south, case.north)


def test_cases_go_only_to_agencies_with_active_users(
    app: Flask, case: Case, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    with app.app_context():
        session = get_session()
        accounts.ensure_agency(session, "Empty")
        accounts.create_user(session, "left@west.example", "supervisor", "West", PASSWORD)
        session.execute(update(User).where(User.email == "left@west.example").values(active=False))
        session.commit()
        supervisor = user(session, users, "supervisor")
        assert [a.name for a in transfer_services.transfer_targets(session, supervisor)] == [
            "South"
        ]
        for name in ("Empty", "West"):
            with pytest.raises(errors.ServiceError, match="no active user"):
                transfer_services.transfer_child(
                    session, supervisor, case.child, agency_id(session, name), REASON
                )
    page = as_role("supervisor").get(f"/children/{case.child}").get_data(as_text=True)
    assert re.findall(r"<option[^>]*>([^<]+)</option>", page) == ["South"]
    assert owners(app, case) == (case.north, case.north, case.north, case.north)


def test_the_transfer_reason_shows_only_to_the_agencies_of_the_transfer(
    app: Flask, case: Case, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    with app.app_context():
        session = get_session()
        east = accounts.create_user(
            session, "caseworker@east.example", "caseworker", "East", PASSWORD
        )
        transfer_services.transfer_child(
            session, user(session, users, "supervisor"), case.child, case.south, REASON
        )
        # South shares the case with East, and back with North.
        accepted(session, east.agency_id, child=case.child)
        accepted(session, case.north, child=case.child)
        child = session.get(ChildRegistration, case.child)
        assert child

        def transfers(actor: User) -> list[tuple[str, str]]:
            history = casework.case_history(session, child, actor)
            return [(h.outcome, h.note) for h in history if h.what == "transfer"]

        assert transfers(user(session, users, "other_caseworker")) == [
            ("from North to South", REASON)
        ]
        assert transfers(user(session, users, "caseworker")) == [("from North to South", REASON)]
        assert transfers(east) == [("from North to South", "")]
    client = as_role("caseworker")
    sign_out = client.session_transaction
    with sign_out() as browser:
        browser.clear()
    sign_in(client, "caseworker@east.example")
    page = history_notes(client.get(f"/children/{case.child}").get_data(as_text=True))
    assert "from North to South" in page and REASON not in page


def test_refused_transfers_are_audited(app: Flask, case: Case, users: dict[str, int]) -> None:
    with app.app_context():
        session = get_session()
        supervisor, caseworker = (
            user(session, users, "supervisor"),
            user(session, users, "caseworker"),
        )
        south = user(session, users, "other_caseworker")
        with pytest.raises(errors.ServiceError, match="give a reason"):
            transfer_services.transfer_child(session, supervisor, case.child, case.south, "")
        with pytest.raises(errors.NotAllowed):
            transfer_services.transfer_inquiry(
                session, caseworker, case.inquiry, case.south, REASON
            )
        # South cannot see the child: nothing to audit about it.
        with pytest.raises(errors.NotFound):
            transfer_services.transfer_child(session, south, case.child, case.north, REASON)
        # Once referred, South sees the child but does not own it.
        accepted(session, case.south, child=case.child)
        with pytest.raises(errors.NotAllowed):
            transfer_services.transfer_child(session, south, case.child, case.south, REASON)
    with app.app_context():  # another session: the refusals were committed
        events = (
            get_session()
            .scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "transfer_refused")
                .order_by(AuditEvent.id)
            )
            .all()
        )
        assert [(e.user_id, e.record_type, e.record_id) for e in events] == [
            (users["supervisor"], "child_registration", case.child),
            (users["caseworker"], "inquiry", case.inquiry),
            (users["other_caseworker"], "child_registration", case.child),
        ]
        assert "give a reason" in events[0].details["refusal"]
        assert "supervisor or administrator" in events[1].details["refusal"]
        assert events[1].details["to_agency_id"] == case.south
    assert owners(app, case) == (case.north, case.north, case.north, case.north)
    assert transfer_events(app) == []
