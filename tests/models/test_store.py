"""The store keeps bad data out by itself, and its spatial queries use the GiST index."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Agency, ChildRegistration


@pytest.fixture
def agency(db_session: Session) -> Agency:
    agency = Agency(name="Store Test Agency")
    db_session.add(agency)
    db_session.flush()
    return agency


def insert_child(db_session: Session, agency: Agency, **values: object) -> None:
    child = ChildRegistration(ref="CH-1", given_name="Amina", agency=agency)
    for key, value in values.items():
        setattr(child, key, value)
    with db_session.begin_nested():
        db_session.add(child)
        db_session.flush()


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"sex": "girl"}, "sex_allowed"),
        ({"age": 26}, "age_plausible"),
        ({"age": -1}, "age_plausible"),
        ({"given_name": None}, "has_a_name"),
        (
            {
                "separation_date": __import__("datetime").date(2999, 1, 1),
                "separation_date_precision": "day",
            },
            "separation_date_past",
        ),
        (
            {"date_of_birth": __import__("datetime").date(2019, 1, 1)},
            "date_of_birth_precision_valid",
        ),
        ({"status": "lost"}, "status_allowed"),
    ],
)
def test_constraints_reject_bad_values(
    db_session: Session, agency: Agency, values: dict[str, object], constraint: str
) -> None:
    with pytest.raises(IntegrityError, match=constraint):
        insert_child(db_session, agency, **values)


def test_refs_are_unique(db_session: Session, agency: Agency) -> None:
    insert_child(db_session, agency)
    with pytest.raises(IntegrityError, match="uq_child_registration_ref"):
        insert_child(db_session, agency)


def test_radius_query_uses_the_gist_index(db_session: Session, agency: Agency) -> None:
    db_session.execute(
        text(
            """
            INSERT INTO child_registration (ref, given_name, agency_id, separation_point)
            SELECT 'CH-' || g, 'Child ' || g, :agency,
                   ST_MakePoint(20 + (g % 100) * 0.05, 10 + (g / 100) * 0.05)::geography
            FROM generate_series(1, 5000) AS g
            """
        ),
        {"agency": agency.id},
    )
    db_session.execute(text("ANALYZE child_registration"))
    query = """
        SELECT ref FROM child_registration
        WHERE ST_DWithin(separation_point, ST_MakePoint(22, 12)::geography, 10000)
    """
    plan = "\n".join(db_session.scalars(text("EXPLAIN " + query)))
    assert "idx_child_registration_separation_point" in plan, plan
    assert "_st_expand" in plan
    found = db_session.scalars(text(query)).all()
    assert 0 < len(found) < 100


def test_gin_indexes_keep_small_pending_lists(db_session: Session) -> None:
    # Every query reads a GIN pending list in full (models/person.py): keep it small.
    options = dict(
        db_session.execute(
            text(
                "SELECT c.relname, array_to_string(c.reloptions, ',') FROM pg_class c"
                " JOIN pg_am am ON am.oid = c.relam WHERE c.relkind = 'i' AND am.amname = 'gin'"
            )
        ).all()
    )
    assert len(options) == 8
    assert set(options.values()) == {"gin_pending_list_limit=256"}
