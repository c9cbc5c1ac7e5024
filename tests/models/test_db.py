"""Transactions of use cases (models/db.py), on a real PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from models import Agency
from models.db import make_engine, make_sessionmaker, run_in_transaction


@pytest.fixture
def sessions(fresh_database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(fresh_database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.mark.parametrize("second_lock", ["orm", "driver"])
def test_a_use_case_aborted_to_break_a_deadlock_runs_again(
    sessions: sessionmaker[Session], second_lock: str
) -> None:
    """Two use cases lock two rows in opposite orders: PostgreSQL aborts one of them,
    which runs again once the other has committed; both are stored. The second lock is
    taken through SQLAlchemy or through the driver's own cursor, as the block index
    does (psycopg's error then comes unwrapped)."""
    with sessions() as session:
        first, second = Agency(name="Agency A"), Agency(name="Agency B")
        session.add_all([first, second])
        session.commit()
        rows = {"x": (first.id, second.id), "y": (second.id, first.id)}
    both_hold_one = threading.Barrier(2)
    attempts: Counter[str] = Counter()
    failures: list[BaseException] = []

    def use_case(who: str) -> None:
        mine, theirs = rows[who]
        with sessions() as session:

            def work() -> None:
                attempts[who] += 1
                agency = session.scalars(
                    select(Agency).where(Agency.id == mine).with_for_update()
                ).one()
                if attempts[who] == 1:
                    both_hold_one.wait(timeout=30)
                if second_lock == "orm":
                    session.execute(select(Agency.id).where(Agency.id == theirs).with_for_update())
                else:
                    driver = session.connection().connection.driver_connection
                    assert driver is not None
                    with driver.cursor() as cursor:
                        cursor.execute("SELECT id FROM agency WHERE id = %s FOR UPDATE", (theirs,))
                agency.name += f" ({who})"

            try:
                run_in_transaction(session, work)
            except BaseException as exc:  # reported below, from the test's thread
                failures.append(exc)

    threads = [threading.Thread(target=use_case, args=(who,)) for who in rows]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures
    assert sorted(attempts.values()) == [1, 2]  # the one aborted ran twice
    with sessions() as session:
        names = sorted(session.scalars(select(Agency.name)))
    assert names == ["Agency A (x)", "Agency B (y)"]


def test_other_errors_are_not_run_again(sessions: sessionmaker[Session]) -> None:
    attempts = 0
    with sessions() as session:
        session.add(Agency(name="Agency A"))
        session.commit()

        def work() -> None:
            nonlocal attempts
            attempts += 1
            session.add(Agency(name="Agency A"))
            session.flush()

        with pytest.raises(IntegrityError):
            run_in_transaction(session, work)
    assert attempts == 1
