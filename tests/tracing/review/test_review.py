"""The review queue, the comparison page and every decision, through the HTTP app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from models import AuditEvent, ChildRegistration, PotentialMatch, RankedCandidate, SoughtChild, User
from tracing import errors
from tracing.db import get_session
from tracing.inquiries import services as inquiry_services
from tracing.registrations import services as registrations
from tracing.review import decisions as decision_services
from tracing.review import services as review

from ...conftest import csrf_token_from

EVIDENCE = {
    "prior_weight": -9.5,
    "fields": [
        {"field": "names", "level": "exact", "weight": 8.1},
        {"field": "age", "level": "within 1 year", "weight": 1.9},
        {"field": "separation point", "level": "over 100 km", "weight": -3.2},
    ],
}


@dataclass
class Case:
    child: int
    other_child: int
    sought: int
    sibling: int
    best: int  # match child × sought
    weak: int  # match other_child × sought
    sibling_match: int  # match child × sibling


def child_cells(given: str, family: str, place: str = "Geneina") -> dict[str, str]:
    return {
        "given_name": given,
        "family_name": family,
        "sex": "female",
        "age": "7",
        "separation_place": place,
    }


@pytest.fixture
def case(app: Flask, users: dict[str, int]) -> Case:
    with app.app_context():
        session = get_session()
        registrar = session.get(User, users["registrar"])
        helpdesk = session.get(User, users["helpdesk"])
        assert registrar and helpdesk
        child, _ = registrations.register_child(
            session, registrar, child_cells("Amina", "Yousif"), {}
        )
        other, _ = registrations.register_child(
            session, registrar, child_cells("Amna", "Yusuf", "Misterei"), {}
        )
        inquiry, _ = inquiry_services.file_inquiry(
            session,
            helpdesk,
            {"inquirer_name": "Halima Adam", "inquirer_relationship": "mother"},
            [(child_cells("Amina", "Yousef"), {}), (child_cells("Idris", "Yousef"), {})],
        )
        sought, sibling = inquiry.sought_children
        matches = []
        for c, s, score in ((child, sought, 0.93), (other, sought, 0.41), (child, sibling, 0.22)):
            m = PotentialMatch(
                child_id=c.id,
                sought_child_id=s.id,
                score=score,
                evidence=EVIDENCE,
                engine_version="test",
            )
            session.add(m)
            matches.append(m)
        session.commit()
        return Case(child.id, other.id, sought.id, sibling.id, *(m.id for m in matches))


def post(client: FlaskClient, match_id: int, action: str, data: dict[str, str]) -> str:
    page = client.get(f"/review/{match_id}").get_data(as_text=True)
    response = client.post(
        f"/review/{match_id}/{action}", data={**data, "csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client.get(f"/review/{match_id}").get_data(as_text=True)


def status_of(app: Flask, match_id: int) -> str:
    with app.app_context():
        match = get_session().get(PotentialMatch, match_id)
        assert match
        return match.status


def version_of(app: Flask, match_id: int) -> str:
    with app.app_context():
        match = get_session().get(PotentialMatch, match_id)
        assert match
        return str(match.version)


def test_queue_orders_by_probability_and_filters(
    case: Case, as_role: Callable[[str], FlaskClient]
) -> None:
    client = as_role("caseworker")
    page = client.get("/review/").get_data(as_text=True)
    order = [int(x) for x in __import__("re").findall(r'data-match="(\d+)"', page)]
    assert order == [case.best, case.weak, case.sibling_match]
    page = client.get("/review/?min_score=0.5").get_data(as_text=True)
    assert f'data-match="{case.weak}"' not in page and f'data-match="{case.best}"' in page
    page = client.get("/review/?area=Misterei").get_data(as_text=True)
    assert f'data-match="{case.best}"' not in page and f'data-match="{case.weak}"' in page


def test_queue_pages_keep_the_order_and_the_filters(
    case: Case, as_role: Callable[[str], FlaskClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(review, "QUEUE_PAGE_SIZE", 2)
    client = as_role("caseworker")
    pattern = r'data-match="(\d+)"'
    first = client.get("/review/").get_data(as_text=True)
    assert [int(x) for x in __import__("re").findall(pattern, first)] == [case.best, case.weak]
    assert 'rel="next" href="/review/?page=2"' in first and 'rel="prev"' not in first
    second = client.get("/review/?page=2").get_data(as_text=True)
    assert [int(x) for x in __import__("re").findall(pattern, second)] == [case.sibling_match]
    assert 'rel="prev" href="/review/?page=1"' in second and 'rel="next"' not in second
    filtered = client.get("/review/?min_score=0.2").get_data(as_text=True)
    assert 'href="/review/?page=2&amp;min_score=0.2"' in filtered
    assert client.get("/review/?page=junk").status_code == 200


def test_queue_pages_count_only_rows_the_caseworker_may_see(
    app: Flask,
    case: Case,
    users: dict[str, int],
    as_role: Callable[[str], FlaskClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A cross-agency match hidden by missing consent takes no place on a page: the page
    is full and the next page link is there (the hidden row once ate both)."""
    with app.app_context():
        session = get_session()
        registrar = session.get(User, users["registrar"])
        south = session.get(User, users["other_caseworker"])
        assert registrar and south
        stranger, _ = registrations.register_child(
            session, registrar, child_cells("Amina", "Yousif"), {}
        )
        stranger.agency_id = south.agency_id
        stranger.consent_tracing = False
        session.add(
            PotentialMatch(
                child_id=stranger.id,
                sought_child_id=case.sought,
                score=0.99,
                evidence=EVIDENCE,
                engine_version="test",
            )
        )
        session.commit()
    monkeypatch.setattr(review, "QUEUE_PAGE_SIZE", 2)
    client = as_role("caseworker")
    pattern = r'data-match="(\d+)"'
    first = client.get("/review/").get_data(as_text=True)
    assert [int(x) for x in __import__("re").findall(pattern, first)] == [case.best, case.weak]
    assert 'rel="next"' in first
    second = client.get("/review/?page=2").get_data(as_text=True)
    assert [int(x) for x in __import__("re").findall(pattern, second)] == [case.sibling_match]


def test_queue_survives_forged_paging_and_arguments(
    case: Case, as_role: Callable[[str], FlaskClient]
) -> None:
    client = as_role("caseworker")
    for query in ("page=100000000000000000000", "page=-3", "_external=1&page=2", "_anchor=x"):
        response = client.get(f"/review/?{query}")
        assert response.status_code == 200, query
    assert "_external" not in client.get("/review/?_external=1&area=a").get_data(as_text=True)
    api = client.get("/api/matches?offset=100000000000000000000")
    assert api.status_code == 200 and api.get_json() == []


def test_compare_shows_evidence_and_siblings_and_is_audited(
    app: Flask, case: Case, as_role: Callable[[str], FlaskClient]
) -> None:
    page = as_role("caseworker").get(f"/review/{case.best}").get_data(as_text=True)
    assert "exact" in page and "+8.10" in page and "-3.20" in page and "-9.50" in page
    assert 'id="siblings"' in page and "0.22" in page
    with app.app_context():
        assert "view_match" in get_session().scalars(select(AuditEvent.action)).all()


def test_confirm_closes_other_proposals_for_the_sought_child(
    app: Flask, case: Case, as_role: Callable[[str], FlaskClient]
) -> None:
    client = as_role("caseworker")
    page = post(
        client, case.best, "decide", {"version": version_of(app, case.best), "confirm": "1"}
    )
    assert 'id="match-status">confirmed<' in page
    assert status_of(app, case.weak) == "superseded"
    # The sibling's proposal for the same registered child stays open, flagged.
    assert status_of(app, case.sibling_match) == "proposed"
    queue = client.get("/review/").get_data(as_text=True)
    assert "child already matched to inquiry INQ-" in queue


def test_reject_needs_a_reason_and_is_remembered(
    app: Flask, case: Case, as_role: Callable[[str], FlaskClient]
) -> None:
    client = as_role("caseworker")
    page = post(client, case.weak, "decide", {"version": version_of(app, case.weak), "reject": "1"})
    assert "give a reason" in page and status_of(app, case.weak) == "proposed"
    post(
        client,
        case.weak,
        "decide",
        {
            "version": version_of(app, case.weak),
            "reject": "1",
            "reason": "different mother at interview",
        },
    )
    assert status_of(app, case.weak) == "rejected"
    with app.app_context():
        match = get_session().get(PotentialMatch, case.weak)
        assert match and match.reject_reason == "different mother at interview"


def test_verification_reunification_follow_up_and_closure(
    app: Flask, case: Case, as_role: Callable[[str], FlaskClient]
) -> None:
    client = as_role("caseworker")
    post(client, case.best, "decide", {"version": version_of(app, case.best), "start": "1"})
    assert status_of(app, case.best) == "in_verification"
    for kind in ("interview_child", "interview_family", "photo_recognition"):
        post(
            client,
            case.best,
            "follow-up",
            {"kind": kind, "occurred_on": "2026-05-02", "outcome": "consistent"},
        )
    post(client, case.best, "decide", {"version": version_of(app, case.best), "confirm": "1"})
    page = post(
        client,
        case.best,
        "reunify",
        {
            "version": version_of(app, case.best),
            "occurred_on": "2026-05-10",
            "place": "Adré",
            "by": "IRC team 3",
        },
    )
    assert 'id="match-status">reunified<' in page
    post(
        client,
        case.best,
        "follow-up",
        {"kind": "follow_up_visit", "occurred_on": "2026-06-10", "outcome": "child well"},
    )
    page = post(client, case.best, "close", {"reason": "reunified and stable"})
    with app.app_context():
        session = get_session()
        child = session.get(ChildRegistration, case.child)
        sought = session.get(SoughtChild, case.sought)
        assert child and sought and (child.status, sought.status) == ("closed", "reunified")
    for text in (
        "interview child",
        "photo recognition",
        "reunification",
        "follow up visit",
        "closure",
        "child well",
    ):
        assert text in page


def test_another_agency_cannot_open_the_match(
    case: Case, as_role: Callable[[str], FlaskClient]
) -> None:
    client = as_role("other_caseworker")
    assert client.get(f"/review/{case.best}").status_code == 404
    assert f'data-match="{case.best}"' not in client.get("/review/").get_data(as_text=True)


def test_registrar_and_helpdesk_cannot_review(
    case: Case, as_role: Callable[[str], FlaskClient]
) -> None:
    for role in ("registrar", "helpdesk"):
        client = as_role(role)
        assert client.get("/review/").status_code == 403
        assert client.get(f"/review/{case.best}").status_code == 403


def test_two_caseworkers_deciding_at_once(
    app: Flask, case: Case, fresh_database_url: str, users: dict[str, int]
) -> None:
    """Both load version 1; one confirms, the other's rejection is refused, not stored."""
    engine = create_engine(fresh_database_url)
    try:
        with Session(engine) as first, Session(engine) as second:
            a = first.get(PotentialMatch, case.best)
            b = second.get(PotentialMatch, case.best)
            actor_a = first.get(User, users["caseworker"])
            actor_b = second.get(User, users["supervisor"])
            assert a and b and actor_a and actor_b and a.version == b.version == 1
            decision_services.confirm_match(first, actor_a, a, 1, ip=None)
            with pytest.raises(errors.StaleDecision):
                decision_services.reject_match(second, actor_b, b, 1, "not her", ip=None)
        with Session(engine) as check:
            match = check.get(PotentialMatch, case.best)
            assert match and match.status == "confirmed" and match.reject_reason is None
            decisions = check.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.action.in_(("confirm_match", "reject_match"))
                )
            ).all()
            assert decisions == ["confirm_match"]
    finally:
        engine.dispose()


def test_other_agency_candidate_is_masked_until_referral_accepted(
    app: Flask, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    with app.app_context():
        session = get_session()
        south = session.get(User, users["other_caseworker"])
        helpdesk = session.get(User, users["helpdesk"])
        assert south and helpdesk
        child, _ = registrations.register_child(session, south, child_cells("Zainab", "Haroun"), {})
        inquiry, _ = inquiry_services.file_inquiry(
            session, helpdesk, {"inquirer_name": "Hawa"}, [(child_cells("Zeinab", "Harun"), {})]
        )
        match = PotentialMatch(
            child_id=child.id,
            sought_child_id=inquiry.sought_children[0].id,
            score=0.7,
            evidence=EVIDENCE,
            engine_version="test",
        )
        session.add(match)
        session.commit()
        match_id = match.id
    north = as_role("caseworker")
    page = north.get(f"/review/{match_id}").get_data(as_text=True)
    assert "Zainab" not in page and "withheld" in page
    post(north, match_id, "referral", {})
    south_client = as_role("other_caseworker")
    inbox = south_client.get("/review/referrals").get_data(as_text=True)
    assert "North" in inbox
    referral_id = int(__import__("re").search(r"/review/referrals/(\d+)/accept", inbox).group(1))
    # Without the family's consent to sharing, the owning agency cannot accept.
    refused = south_client.post(
        f"/review/referrals/{referral_id}/accept",
        data={"csrf_token": csrf_token_from(inbox)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "did not consent to sharing" in refused
    assert "Zainab" not in as_role("caseworker").get(f"/review/{match_id}").get_data(as_text=True)
    with app.app_context():
        session = get_session()
        owner = session.get(User, users["other_caseworker"])
        stored = session.get(ChildRegistration, child.id)
        assert owner and stored
        cells = {**child_cells("Zainab", "Haroun")}
        registrations.update_child(
            session, owner, stored, cells, {"consent_sharing": True}, ip=None
        )
    south_client = as_role("other_caseworker")
    inbox = south_client.get("/review/referrals").get_data(as_text=True)
    token = csrf_token_from(inbox)
    assert (
        south_client.post(
            f"/review/referrals/{referral_id}/accept", data={"csrf_token": token}
        ).status_code
        == 302
    )
    page = as_role("caseworker").get(f"/review/{match_id}").get_data(as_text=True)
    assert "Zainab" in page and "withheld" not in page


def test_case_pages_list_their_matches(case: Case, as_role: Callable[[str], FlaskClient]) -> None:
    client = as_role("caseworker")
    page = client.get(f"/children/{case.child}").get_data(as_text=True)
    assert f"/review/{case.best}" in page and f"/review/{case.sibling_match}" in page
    registrar_page = as_role("registrar").get(f"/children/{case.child}").get_data(as_text=True)
    assert 'id="proposals"' in registrar_page and f"/review/{case.best}" not in registrar_page


def test_the_inquiry_page_shows_candidates_below_the_floor_on_request(
    app: Flask, case: Case, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    with app.app_context():
        session = get_session()
        south = session.get(User, users["other_caseworker"])
        assert south
        theirs, _ = registrations.register_child(
            session, south, child_cells("Idriss", "Youssef"), {}, match=False
        )
        private, _ = registrations.register_child(
            session,
            south,
            child_cells("Idrisa", "Yousef"),
            {"consent_tracing": False},
            match=False,
        )
        sibling = session.get(SoughtChild, case.sibling)
        assert sibling
        inquiry_id, sibling_ref = sibling.inquiry_id, sibling.ref
        other_ref = session.get(ChildRegistration, case.other_child).ref  # type: ignore[union-attr]
        private_ref, theirs_ref = private.ref, theirs.ref
        ranked = [
            (case.child, 1, 0.22),  # a potential match already: listed with the proposals
            (case.other_child, 2, 0.015),
            (theirs.id, 3, 0.012),
            (private.id, 4, 0.011),  # the family withdrew consent to tracing: not shown
        ]
        for child_id, rank, score in ranked:
            session.add(
                RankedCandidate(
                    sought_child_id=case.sibling,
                    child_id=child_id,
                    rank=rank,
                    score=score,
                    engine_version="test",
                )
            )
        session.commit()
    client = as_role("helpdesk")
    page = client.get(f"/inquiries/{inquiry_id}").get_data(as_text=True)
    assert "Candidates below the floor" in page and "below_floor=1" in page
    assert "0.015" not in page
    page = client.get(f"/inquiries/{inquiry_id}?below_floor=1").get_data(as_text=True)
    section = page.split('id="below-floor"')[1].split("</section>")[0]
    rows = section.split("<tr>")[2:]
    assert len(rows) == 2, section
    assert "0.015" in rows[0] and other_ref in rows[0] and sibling_ref in rows[0]
    assert "0.012" in rows[1] and "another agency&#39;s" in rows[1]
    assert private_ref not in page and theirs_ref not in page  # named only once shared
