"""Regression tests of the safety issue, one named after each item it found."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import AuditEvent, ChildRegistration, Inquiry, PotentialMatch, Referral, User
from tracing.db import get_session
from tracing.errors import ServiceError
from tracing.inquiries import services as inquiry_services
from tracing.registrations import services as registrations
from tracing.review import decisions

from ..conftest import PASSWORD


@dataclass
class CrossAgency:
    """North's child (its current place a secret) matched with South's sought child,
    and a second North child for the same sought child."""

    child: int
    second_child: int
    sought: int
    match: int
    second_match: int


def _child(given: str, place: str) -> dict[str, str]:
    return {"given_name": given, "family_name": "Yousif", "sex": "female", "age": "7"} | {
        "separation_place": place
    }


@pytest.fixture
def cross(app: Flask, users: dict[str, int]) -> CrossAgency:
    with app.app_context():
        session = get_session()
        north = session.get(User, users["caseworker"])
        south = session.get(User, users["other_caseworker"])
        assert north and south
        child, _ = registrations.register_child(
            session, north, _child("Amina", "Geneina"), {"current_place": "Camp Zeta-7"}
        )
        second, _ = registrations.register_child(session, north, _child("Amna", "Geneina"), {})
        inquiry, _ = inquiry_services.file_inquiry(
            session, south, {"inquirer_name": "Halima"}, [(_child("Amina", "Kreinik"), {})]
        )
        sought = inquiry.sought_children[0]
        matches = [
            PotentialMatch(
                child_id=c.id, sought_child_id=sought.id, score=p, evidence={}, engine_version="t"
            )
            for c, p in ((child, 0.9), (second, 0.8))
        ]
        session.add_all(matches)
        session.commit()
        return CrossAgency(child.id, second.id, sought.id, matches[0].id, matches[1].id)


def _queue_rows(client: FlaskClient, query: str) -> int:
    page = client.get(f"/review/?{query}").get_data(as_text=True)
    return page.count('data-match="')


def test_item_5_area_filter_is_no_oracle_for_other_agencies_places(
    cross: CrossAgency, as_role: Callable[[str], FlaskClient]
) -> None:
    north = as_role("caseworker")
    assert _queue_rows(north, "area=Zeta") == 1  # its own child's current place
    south = as_role("other_caseworker")
    assert _queue_rows(south, "") == 2  # South sees both proposals for its sought child
    assert _queue_rows(south, "area=Zeta") == 0  # but not North's child's place
    assert _queue_rows(south, "area=Geneina") == 0
    assert _queue_rows(south, "area=Kreinik") == 2  # its own sought child's place
    # % and _ are letters, not wildcards
    north = as_role("caseworker")  # one test client: signed in as North again
    assert _queue_rows(north, "area=%25") == 0
    assert _queue_rows(north, "area=Zeta_7") == 0
    assert _queue_rows(north, "area=Zeta-7") == 1


def test_item_6_two_confirmations_at_once_get_a_clear_refusal(
    app: Flask, cross: CrossAgency, users: dict[str, int]
) -> None:
    """Two caseworkers confirm two different children for one sought child at the same
    moment: one wins, the other is told the sought child is decided (no deadlock, no 500)."""
    _share_inquiry_with_north(app, cross, users)  # North may decide (item 4)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def confirm(match_id: int) -> None:
        with app.app_context():
            session = get_session()
            actor = session.get(User, users["caseworker"])
            match = session.get(PotentialMatch, match_id)
            assert actor and match
            version = match.version
            barrier.wait()
            try:
                decisions.confirm_match(session, actor, match, version, ip=None)
                outcomes.append("confirmed")
            except ServiceError as exc:
                outcomes.append(str(exc))

    threads = [
        threading.Thread(target=confirm, args=(m,)) for m in (cross.match, cross.second_match)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # the loser is told why: the sought child is decided, or its match was closed by it
    assert sorted(outcomes)[-1] == "confirmed"
    assert sorted(outcomes)[0] in (
        decisions.ALREADY_CONFIRMED,
        "Another caseworker decided this match while you were looking at it; "
        "the page now shows their decision.",
    )


def test_item_11_export_keeps_negative_weights_as_numbers(
    app: Flask, cross: CrossAgency, tmp_path: Path
) -> None:
    import csv

    from tracing.linkage import jobs

    with app.app_context():
        session = get_session()
        match = session.get(PotentialMatch, cross.match)
        assert match
        match.evidence = {
            "prior_weight": -6.6781,
            "fields": [{"field": "names", "level": "=HYPERLINK(1)", "weight": -3.25}],
        }
        session.commit()
        out = tmp_path / "matches.csv"
        jobs.export_matches(session, out)
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    row = next(r for r in rows if r["score"].startswith("0.9"))
    assert row["prior_weight"] == "-6.6781" and row["names_weight"] == "-3.25"
    assert row["names_level"] == "'=HYPERLINK(1)"  # text that looks like a formula: quoted


def _api_token(client: FlaskClient) -> dict[str, str]:
    return {"X-CSRFToken": client.get("/api/csrf").get_json()["csrf_token"]}


@pytest.mark.parametrize("version", ["abc", [1], None, {}, True, 2**40, -1, "1e3"])
def test_item_13_a_bad_version_gets_a_message_not_python_text(
    cross: CrossAgency, as_role: Callable[[str], FlaskClient], version: object
) -> None:
    client = as_role("caseworker")
    response = client.post(
        f"/api/matches/{cross.match}/decision",
        json={"decision": "reject", "reason": "not her", "version": version},
        headers=_api_token(client),
    )
    assert response.status_code == 422
    message = response.get_json()["error"]
    assert message.startswith("version must be")
    assert "invalid literal" not in message and "int()" not in message


@pytest.mark.parametrize("to_agency", ["abc", 2**40, None, [1], {"id": 1}, 0])
def test_item_7_a_bad_agency_id_in_a_transfer_is_refused_with_a_message(
    cross: CrossAgency, as_role: Callable[[str], FlaskClient], to_agency: object
) -> None:
    client = as_role("supervisor")
    response = client.post(
        f"/api/children/{cross.child}/transfer",
        json={"to_agency_id": to_agency, "reason": "moved"},
        headers=_api_token(client),
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["column"] == "to_agency_id"


def _share(app: Flask, cross: CrossAgency, users: dict[str, int], *, child: bool) -> int:
    """Share one side of the cross-agency match with the other agency: North's child with
    South (`child`), or South's inquiry with North. The other agency asks through the
    match; the owner, with the family's consent to sharing, accepts. The referral's id."""
    from tracing.review import referrals

    with app.app_context():
        session = get_session()
        north = session.get(User, users["caseworker"])
        south = session.get(User, users["other_caseworker"])
        match = session.get(PotentialMatch, cross.match)
        assert north and south and match
        if child:
            cells = _child("Amina", "Geneina")
            registrations.update_child(
                session, north, match.child, cells, {"consent_sharing": True}
            )
        else:
            match.sought_child.inquiry.consent_sharing = True
            session.commit()
        asking, owner = (south, north) if child else (north, south)
        referral = referrals.request_referral(session, asking, match, ip=None)
        referrals.decide_referral(session, owner, referral, True, ip=None)
        return referral.id


def _share_inquiry_with_north(app: Flask, cross: CrossAgency, users: dict[str, int]) -> None:
    _share(app, cross, users, child=False)


def _share_child_with_south(app: Flask, cross: CrossAgency, users: dict[str, int]) -> int:
    return _share(app, cross, users, child=True)


def test_item_2_withdrawn_consent_reaches_a_shared_case(
    app: Flask, cross: CrossAgency, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    referral_id = _share_child_with_south(app, cross, users)
    south = as_role("other_caseworker")
    assert south.get(f"/children/{cross.child}").status_code == 200
    with app.app_context():
        session = get_session()
        north = session.get(User, users["caseworker"])
        child = session.get(ChildRegistration, cross.child)
        assert north and child
        registrations.update_child(
            session,
            north,
            child,
            _child("Amina", "Geneina"),
            {"consent_sharing": False, "consent_tracing": False},
        )
    south = as_role("other_caseworker")
    assert south.get(f"/children/{cross.child}").status_code == 404
    assert south.get(f"/children/{cross.child}/photo").status_code == 404
    assert f'data-match="{cross.match}"' not in south.get("/review/").get_data(as_text=True)
    with app.app_context():
        session = get_session()
        referral = session.get(Referral, referral_id)
        match = session.get(PotentialMatch, cross.match)
        assert referral and referral.status == "withdrawn"
        assert match and match.status == "superseded"


def test_item_2_access_holds_consent_even_if_a_referral_is_left(
    app: Flask, cross: CrossAgency, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    """Defence in depth: an accepted referral of a record whose family no longer consents
    to sharing (say, changed in the database by hand) opens nothing."""
    _share_child_with_south(app, cross, users)
    with app.app_context():
        session = get_session()
        child = session.get(ChildRegistration, cross.child)
        assert child
        child.consent_sharing = False
        session.commit()
    assert as_role("other_caseworker").get(f"/children/{cross.child}").status_code == 404


def test_item_12_a_familys_withdrawal_is_recorded_on_an_inquiry(
    app: Flask, cross: CrossAgency, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    from tracing.review import referrals

    from ..conftest import post_form

    with app.app_context():
        session = get_session()
        north = session.get(User, users["caseworker"])
        south = session.get(User, users["other_caseworker"])
        match = session.get(PotentialMatch, cross.match)
        assert north and south and match
        inquiry = match.sought_child.inquiry
        inquiry_id = inquiry.id
        inquiry.consent_sharing = True
        session.commit()
        referral = referrals.request_referral(session, north, match, ip=None)
        referrals.decide_referral(session, south, referral, True, ip=None)
    north_client = as_role("caseworker")
    assert north_client.get(f"/inquiries/{inquiry_id}").status_code == 200
    shown = f"/inquiries/{inquiry_id}"
    refused = post_form(north_client, f"{shown}/consent", {}, page=shown)
    assert refused.status_code == 404  # shared for reading, not for recording consent
    south_client = as_role("other_caseworker")
    page = south_client.get(f"/inquiries/{inquiry_id}").get_data(as_text=True)
    assert 'id="consent-form"' in page
    # both boxes unticked: the family withdraws consent to tracing and to sharing
    response = post_form(south_client, f"{shown}/consent", {}, page=shown)
    assert response.status_code == 302
    with app.app_context():
        session = get_session()
        stored = session.get(Inquiry, inquiry_id)
        assert stored and not stored.consent_tracing and not stored.consent_sharing
        assert all(not s.consent_sharing for s in stored.sought_children)
        match = session.get(PotentialMatch, cross.match)
        assert match and match.status == "superseded"
        events = session.scalars(
            select(AuditEvent.action).where(AuditEvent.record_ref == stored.ref)
        ).all()
        assert "record_consent" in events
    assert as_role("caseworker").get(f"/inquiries/{inquiry_id}").status_code == 404
    # and through the API, by the inquiry's own agency only
    south_client = as_role("other_caseworker")
    answer = south_client.post(
        f"/api/inquiries/{inquiry_id}/consent",
        json={"consent_tracing": True, "consent_sharing": "maybe"},
        headers=_api_token(south_client),
    )
    assert answer.status_code == 422
    answer = south_client.post(
        f"/api/inquiries/{inquiry_id}/consent",
        json={"consent_tracing": True, "consent_sharing": False},
        headers=_api_token(south_client),
    )
    assert answer.status_code == 200 and answer.get_json()["consent_tracing"] is True


def _agency_id(app: Flask, name: str) -> int:
    from models import Agency

    with app.app_context():
        return get_session().scalars(select(Agency.id).where(Agency.name == name)).one()


def test_item_1_an_agency_admin_acts_in_its_own_agency_only(
    app: Flask, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    from ..conftest import post_form

    south = _agency_id(app, "South")
    admin = as_role("admin")  # North's
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert "caseworker@south.example" not in listing  # South's users are not listed
    assert f'value="{south}"' not in listing  # nor South offered as an agency
    assert "platform_admin" not in listing.split('id="users"')[0]  # nor the platform role
    # an account in South, or a platform administrator, is refused
    for data in (
        {"email": "spy@x.example", "role": "caseworker", "agency": str(south)},
        {
            "email": "up@x.example",
            "role": "platform_admin",
            "agency": str(_agency_id(app, "North")),
        },
    ):
        response = post_form(admin, "/admin/users", data)
        assert response.status_code == 200 and 'id="new-password"' not in response.get_data(
            as_text=True
        )
    with app.app_context():
        emails = set(get_session().scalars(select(User.email)))
    assert not {"spy@x.example", "up@x.example"} & emails
    # South's users can be neither deactivated nor unlocked from North
    for change in ("deactivate", "activate"):
        path = f"/admin/users/{users['other_caseworker']}/{change}"
        assert post_form(admin, path, {}, page="/admin/users").status_code == 404
    # agencies are not created by an agency's administrator, nor typed in
    assert admin.get("/admin/agencies").status_code == 403
    # the audit trail shows North's people only
    as_role("other_caseworker").get("/review/")
    admin = as_role("admin")
    audit = admin.get("/supervision/audit").get_data(as_text=True)
    assert "caseworker@south.example" not in audit


def test_item_1_the_platform_admin_creates_agencies_and_their_admins(
    app: Flask, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    from ..conftest import post_form

    platform = as_role("platform_admin")
    assert post_form(platform, "/admin/agencies", {"name": "West", "code": "W"}).status_code == 302
    west = _agency_id(app, "West")
    response = post_form(
        platform,
        "/admin/users",
        {"email": "admin@west.example", "role": "admin", "agency": str(west)},
    )
    assert 'id="new-password"' in response.get_data(as_text=True)
    # an agency that does not exist cannot be typed in
    response = post_form(
        platform, "/admin/users", {"email": "x@nowhere.example", "role": "admin", "agency": "Alpha"}
    )
    assert 'id="new-password"' not in response.get_data(as_text=True)
    # the platform administrator reads no case file
    assert platform.get("/review/").status_code == 403
    assert platform.get("/children/").status_code == 403


def test_item_4_no_decision_on_a_child_the_agency_cannot_see(
    app: Flask, cross: CrossAgency, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    import datetime as dt

    south = as_role("other_caseworker")
    with app.app_context():
        version = get_session().get(PotentialMatch, cross.match).version  # type: ignore[union-attr]
    answer = south.post(
        f"/api/matches/{cross.match}/decision",
        json={"decision": "confirm", "version": version},
        headers=_api_token(south),
    )
    assert answer.status_code == 403 and "request a referral" in answer.get_json()["error"]
    with app.app_context():
        session = get_session()
        match = session.get(PotentialMatch, cross.match)
        north = session.get(User, users["caseworker"])
        assert match and north and match.status == "proposed"
        # North (which sees both: its child, and South's inquiry is not shared with it)
        # cannot confirm either until South shares the inquiry
        with pytest.raises(ServiceError, match="request a referral"):
            decisions.confirm_match(session, north, match, match.version, ip=None)
    # once North shares its child with South, South may confirm and reunify
    _share_child_with_south(app, cross, users)
    south = as_role("other_caseworker")
    with app.app_context():
        version = get_session().get(PotentialMatch, cross.match).version  # type: ignore[union-attr]
    answer = south.post(
        f"/api/matches/{cross.match}/decision",
        json={"decision": "confirm", "version": version},
        headers=_api_token(south),
    )
    assert answer.status_code == 200, answer.get_json()
    with app.app_context():
        session = get_session()
        match = session.get(PotentialMatch, cross.match)
        south_user = session.get(User, users["other_caseworker"])
        assert match and south_user
        from tracing.casework import services as casework

        casework.record_reunification(
            session,
            south_user,
            match,
            match.version,
            occurred_on=dt.date.today(),
            place="Adre",
            by="South",
            ip=None,
        )
        assert match.status == "reunified"


@pytest.mark.parametrize(
    "path", ["/children/99999999999999999999", "/inquiries/2147483648", "/review/2147483648"]
)
def test_item_7_ids_beyond_the_integer_range_are_not_found(
    users: dict[str, int], as_role: Callable[[str], FlaskClient], path: str
) -> None:
    assert as_role("caseworker").get(path).status_code == 404


def test_item_7_a_nul_byte_anywhere_is_refused_with_a_message(
    cross: CrossAgency, as_role: Callable[[str], FlaskClient]
) -> None:
    from ..conftest import post_form

    client = as_role("caseworker")
    form = post_form(client, "/children/new", {"given_name": "Ami\x00na"})
    assert form.status_code == 400 and "NUL" in form.get_data(as_text=True)
    for query in (
        "/review/?area=a%00b",
        "/search/?q=a%00b",
        "/supervision/audit?ref=%00",
        "/search/?q=Amina&q=a%00b",  # the second value of a repeated field too
    ):
        assert client.get(query).status_code == 400
    api = client.post(
        "/api/children",
        json={"given_name": "Amina", "other": ["x\x00"]},
        headers=_api_token(client),
    )
    assert api.status_code == 400 and "NUL" in api.get_json()["errors"][0]["message"]


def test_item_7_a_json_body_sent_to_a_page_is_no_form(
    app: Flask, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    """With a valid CSRF header, a JSON body to a page reaches the view: it is no form
    submission (Flask-WTF would hand its lists and numbers to text fields)."""
    client = as_role("registrar")
    headers = _api_token(client)
    for body in ([1, 2], {"given_name": ["a", 1], "age": 2**70}):
        response = client.post("/children/new", json=body, headers=headers)
        assert response.status_code == 400  # the form again, nothing filled in
        assert 'id="child-form"' in response.get_data(as_text=True) or "<form" in (
            response.get_data(as_text=True)
        )
    with app.app_context():
        assert get_session().scalars(select(ChildRegistration)).first() is None


def test_item_10_the_api_has_the_pages_limits(
    app: Flask, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    from tracing.schemas import MAX_SOUGHT_CHILDREN, TEXT_MAX

    client = as_role("caseworker")
    headers = _api_token(client)
    long_name = client.post("/api/children", json={"given_name": "A" * 1_000_000}, headers=headers)
    assert long_name.status_code == 422
    assert long_name.get_json()["errors"][0]["column"] == "given_name"
    assert f"at most {TEXT_MAX} characters" in long_name.get_json()["errors"][0]["message"]
    many = client.post(
        "/api/inquiries",
        json={"children": [{"given_name": "Dara"}] * (MAX_SOUGHT_CHILDREN + 188)},
        headers=headers,
    )
    assert many.status_code == 422 and many.get_json()["errors"][0]["column"] == "children"
    as_object = client.post(
        "/api/inquiries",
        json={"inquirer_contact": {"phone": "+249"}, "children": [{"given_name": "Dara"}]},
        headers=headers,
    )
    assert as_object.status_code == 422
    assert as_object.get_json()["errors"][0]["column"] == "inquirer_contact"
    nested = client.post(
        "/api/inquiries", json={"children": [{"given_name": ["Dara"]}]}, headers=headers
    )
    assert nested.get_json()["errors"][0]["column"] == "children.0.given_name"
    with app.app_context():
        assert get_session().scalars(select(Inquiry)).first() is None
        assert get_session().scalars(select(ChildRegistration)).first() is None


def test_item_9_nothing_of_another_agencys_child_before_a_referral(
    app: Flask, cross: CrossAgency, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    with app.app_context():
        session = get_session()
        child = session.get(ChildRegistration, cross.child)
        assert child
        child.languages, child.age = "Masalit", 7
        session.commit()
        child_ref = child.ref
    south = as_role("other_caseworker")
    page = south.get(f"/review/{cross.match}").get_data(as_text=True)
    registered = page.split("Registered child", 1)[1].split("</section>", 1)[0]
    for secret in ("Masalit", "Geneina", child_ref, "Date of birth", "Amina"):
        assert secret not in registered, secret
    assert "withheld until the owning agency accepts a referral" in registered
    # the inquiry page names North's child only while it is shared
    with app.app_context():
        inquiry_id = get_session().get(PotentialMatch, cross.match).sought_child.inquiry_id  # type: ignore[union-attr]
    inquiry_page = south.get(f"/inquiries/{inquiry_id}").get_data(as_text=True)
    assert child_ref not in inquiry_page and "another agency&#39;s" in inquiry_page
    _share_child_with_south(app, cross, users)
    south = as_role("other_caseworker")
    assert child_ref in south.get(f"/inquiries/{inquiry_id}").get_data(as_text=True)
    # consent withdrawn: the match is closed and the ref gone again
    with app.app_context():
        session = get_session()
        north = session.get(User, users["caseworker"])
        child = session.get(ChildRegistration, cross.child)
        assert north and child
        registrations.update_child(
            session, north, child, _child("Amina", "Geneina"), {"consent_tracing": False}
        )
    south = as_role("other_caseworker")
    assert child_ref not in south.get(f"/inquiries/{inquiry_id}").get_data(as_text=True)


def _actions(app: Flask) -> list[tuple[str, int | None, dict[str, object]]]:
    with app.app_context():
        rows = get_session().execute(
            select(AuditEvent.action, AuditEvent.user_id, AuditEvent.details).order_by(
                AuditEvent.id
            )
        )
        return [(a, u, d) for a, u, d in rows]


def test_item_8_refusals_and_list_reads_are_audited(
    app: Flask, cross: CrossAgency, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    registrar = as_role("registrar")
    assert registrar.get("/review/").status_code == 403
    assert registrar.get("/children/2147483000").status_code == 404
    assert registrar.get("/search/?q=a%00b").status_code == 400
    registrar.get("/children/")
    caseworker = as_role("caseworker")
    caseworker.get("/review/?area=Geneina")
    caseworker.get("/inquiries/")
    caseworker.get("/api/matches")
    events = _actions(app)
    refused = {(a, u, str(d.get("path"))) for a, u, d in events if a.startswith("refused_")}
    assert ("refused_403", users["registrar"], "/review/") in refused
    assert ("refused_404", users["registrar"], "/children/2147483000") in refused
    assert ("refused_400", users["registrar"], "/search/") in refused
    lists = [(a, u) for a, u, _d in events if a.startswith("list_")]
    assert ("list_children", users["registrar"]) in lists
    assert ("list_inquiries", users["caseworker"]) in lists
    assert lists.count(("list_matches", users["caseworker"])) >= 2  # the page and the API
    queue = next(d for a, _u, d in events if a == "list_matches" and d.get("filters"))
    assert queue["filters"] == {"area": "Geneina"}


def test_item_8_rate_limited_sign_ins_are_audited(app: Flask, client: FlaskClient) -> None:
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    for attempt in range(limit + 1):
        token = client.get("/login").get_data(as_text=True).split('name="csrf_token"')[1]
        token = token.split('value="')[1].split('"')[0]
        client.post(
            "/login", data={"email": f"x{attempt}@x.org", "password": "nope", "csrf_token": token}
        )
    assert [a for a, _u, _d in _actions(app) if a == "refused_429"] == ["refused_429"]


def test_item_8_imports_exports_and_bulk_matching_are_audited(app: Flask, tmp_path: Path) -> None:
    from tracing.cli import cli

    children = tmp_path / "children.csv"
    children.write_text("ref,given_name\nC1,Amina\nC2,\n", encoding="utf-8")
    runner = app.test_cli_runner()
    runner.invoke(cli, ["import", "children", str(children), "--no-match"])
    assert runner.invoke(cli, ["export", "matches", str(tmp_path / "m.csv")]).exit_code == 0
    events = {a: d for a, _u, d in _actions(app)}
    assert events["import_children"]["file"] == "children.csv"
    assert events["import_children"]["inserted"] == 1
    assert events["import_children"]["rejected_rows"] == 1
    assert events["import_children"]["os_user"]
    assert events["export_matches"]["rows"] == 0


def test_item_2_withdrawn_tracing_consent_ends_matching_inside_the_agency_too(
    app: Flask, users: dict[str, int]
) -> None:
    with app.app_context():
        session = get_session()
        north = session.get(User, users["caseworker"])
        assert north
        child, _ = registrations.register_child(session, north, _child("Amina", "Geneina"), {})
        inquiry, _ = inquiry_services.file_inquiry(
            session, north, {"inquirer_name": "Halima"}, [(_child("Amina", "Geneina"), {})]
        )
        match = PotentialMatch(
            child_id=child.id,
            sought_child_id=inquiry.sought_children[0].id,
            score=0.9,
            evidence={},
            engine_version="t",
        )
        session.add(match)
        session.commit()
        registrations.update_child(
            session, north, child, _child("Amina", "Geneina"), {"consent_tracing": False}
        )
        assert match.status == "superseded"


def test_item_10_the_pages_and_the_api_share_one_layer_of_limits(
    app: Flask, users: dict[str, int]
) -> None:
    """The services hold every door to the same limits: a caller that skipped the form's
    and the API's own checks (a script, a future door) is refused the same way."""
    from tracing.errors import ValidationFailed

    with app.app_context():
        session = get_session()
        north = session.get(User, users["caseworker"])
        assert north
        with pytest.raises(ValidationFailed) as refused:
            registrations.register_child(session, north, {"given_name": "A" * 501}, {})
        assert [p.column for p in refused.value.problems] == ["given_name"]
        with pytest.raises(ValidationFailed) as refused:
            inquiry_services.file_inquiry(
                session,
                north,
                {"inquirer_contact": "x" * 501},
                [({"given_name": "Dara"}, {}), ({"age": "7" * 21}, {})],
            )
        assert [(p.line, p.column) for p in refused.value.problems] == [
            (0, "inquirer_contact"),
            (2, "age"),
        ]


def test_item_4_rejecting_or_starting_verification_also_needs_both_records(
    app: Flask, cross: CrossAgency, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    south = as_role("other_caseworker")
    with app.app_context():
        version = get_session().get(PotentialMatch, cross.match).version  # type: ignore[union-attr]
    rejected = south.post(
        f"/api/matches/{cross.match}/decision",
        json={"decision": "reject", "reason": "not her", "version": version},
        headers=_api_token(south),
    )
    assert rejected.status_code == 403
    with app.app_context():
        session = get_session()
        actor = session.get(User, users["other_caseworker"])
        match = session.get(PotentialMatch, cross.match)
        assert actor and match
        with pytest.raises(ServiceError, match="request a referral"):
            decisions.start_verification(session, actor, match, match.version, ip=None)
        assert match.status == "proposed"


def test_item_5_the_queue_shows_no_place_of_an_unshared_record(
    cross: CrossAgency, as_role: Callable[[str], FlaskClient]
) -> None:
    page = as_role("caseworker").get("/review/").get_data(as_text=True)  # North
    assert "Kreinik" not in page  # where South's family was separated
    assert "sought by another agency" in page


def test_item_1_the_platform_administrator_is_out_of_an_agency_admins_reach(
    app: Flask, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    from tracing.accounts import services as accounts
    from tracing.casework import transfers

    from ..conftest import post_form

    admin = as_role("admin")  # North's; North's platform administrator is users["platform_admin"]
    assert "platform_admin@north.example" not in admin.get("/admin/users").get_data(as_text=True)
    path = f"/admin/users/{users['platform_admin']}/deactivate"
    assert post_form(admin, path, {}, page="/admin/users").status_code == 404
    with app.app_context():
        session = get_session()
        platform = session.get(User, users["platform_admin"])
        supervisor = session.get(User, users["supervisor"])
        assert platform and platform.active and supervisor
        # the platform administrator makes agencies' administrators, not their caseworkers
        assert accounts.assignable_roles(platform) == ["admin", "platform_admin"]
        # an agency whose only active user is a platform administrator takes no case
        accounts.create_user(
            session, "ops@platform.example", "platform_admin", "Platform", PASSWORD
        )
        assert "Platform" not in {a.name for a in transfers.transfer_targets(session, supervisor)}


def test_item_8_anonymous_noise_is_not_audited(app: Flask, client: FlaskClient) -> None:
    assert client.get("/search/?q=a%00b").status_code == 400
    assert client.get("/children/12345").status_code == 302  # to sign in
    assert not [a for a, _u, _d in _actions(app) if a.startswith("refused_")]


def test_item_2_a_confirmed_match_stays_in_view_after_a_withdrawal(
    app: Flask, cross: CrossAgency, users: dict[str, int], as_role: Callable[[str], FlaskClient]
) -> None:
    """A confirmed cross-agency match is casework under way: a later withdrawal of consent
    to tracing does not hide it from the two agencies, who record the reunification."""
    import datetime as dt

    from tracing.casework import services as casework

    _share_child_with_south(app, cross, users)
    with app.app_context():
        session = get_session()
        south = session.get(User, users["other_caseworker"])
        north = session.get(User, users["caseworker"])
        match = session.get(PotentialMatch, cross.match)
        assert south and north and match
        decisions.confirm_match(session, south, match, match.version, ip=None)
        registrations.update_child(
            session, north, match.child, _child("Amina", "Geneina"), {"consent_tracing": False}
        )
        assert match.status == "confirmed"
    assert as_role("other_caseworker").get(f"/review/{cross.match}").status_code == 200
    with app.app_context():
        session = get_session()
        south = session.get(User, users["other_caseworker"])
        match = session.get(PotentialMatch, cross.match)
        assert south and match
        casework.record_reunification(
            session,
            south,
            match,
            match.version,
            occurred_on=dt.date.today(),
            place="Adre",
            by="South",
            ip=None,
        )
        assert match.status == "reunified"
