"""Regression tests of the safety issue, one named after each item it found."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

from models import PotentialMatch, User
from tracing.db import get_session
from tracing.errors import ServiceError
from tracing.inquiries import services as inquiry_services
from tracing.registrations import services as registrations
from tracing.review import decisions


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
