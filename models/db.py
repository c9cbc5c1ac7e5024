"""Engine and session set-up, shared by the web app, the CLI, tests and benches."""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from psycopg import errors as pg_errors
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/ftr"


def database_url() -> str:
    return os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    return create_engine(url or database_url(), pool_pre_ping=True, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: objects stay readable after a service commits.
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(session: Session, *, own: bool = False) -> Iterator[Session]:
    """One unit of work of a use case: committed when the block ends, rolled back (and
    the error raised again) when it fails.

    Services own their transactions with this, never the pages, the API or the CLI. A
    block inside another service's block joins that one: only the outermost commits, so
    that a use case built of others (a reunification records a follow-up) is one unit.
    With `own`, the block must be the outermost (a refusal audited after its use case
    was rolled back, a commit other sessions must see at once): a RuntimeError otherwise.
    """
    depth = session.info.get(_DEPTH, 0)
    if own and depth:
        raise RuntimeError("this use case commits on its own: call it outside a transaction")
    session.info[_DEPTH] = depth + 1
    try:
        yield session
        if depth == 0:
            session.commit()
    except BaseException:
        if depth == 0:
            session.rollback()
        raise
    finally:
        session.info[_DEPTH] = depth


_DEPTH = "ftr.transaction_depth"


# How often a use case PostgreSQL aborted to break a deadlock runs again. Two use cases
# can lock the same rows in opposite orders and neither can know it beforehand: a
# decision locks its sought child, then its child; real-time matching marks a child
# proposed, then ranks again another inquiry that claims it, which locks that sought
# child. PostgreSQL then aborts one of them; rolled back whole, it can simply run again.
DEADLOCK_RETRIES = 3
_RETRY_PAUSE = 0.02  # seconds, times the attempt: the survivor is let through first

T = TypeVar("T")


_log = logging.getLogger(__name__)


def aborted_by_a_conflict(exc: BaseException) -> bool:
    """PostgreSQL ended the transaction to break a deadlock or a serialization conflict:
    nothing of it was stored, and the same work may succeed when run again. The error
    comes wrapped by SQLAlchemy, or as psycopg raised it from the driver's own cursor
    (the block index writes and reads through it)."""
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    return isinstance(cause, (pg_errors.DeadlockDetected, pg_errors.SerializationFailure))


def run_in_transaction(session: Session, work: Callable[[], T]) -> T:
    """`work()` in `transaction(session)`; when that is the outermost transaction and
    PostgreSQL aborts it to break a deadlock, run again (up to DEADLOCK_RETRIES times)
    from a fresh start (the rollback expired what the session had loaded). Inside another
    transaction it runs once: the outermost one decides."""
    if session.info.get(_DEPTH, 0):
        with transaction(session):
            return work()
    retries = 0
    while True:
        try:
            with transaction(session):
                return work()
        except (DBAPIError, psycopg.Error) as exc:
            if retries == DEADLOCK_RETRIES or not aborted_by_a_conflict(exc):
                raise
            retries += 1
            # said, so that an operator sees how often use cases collide
            _log.warning(
                "%s; running the use case again (%d of %d)", exc, retries, DEADLOCK_RETRIES
            )
            time.sleep(_RETRY_PAUSE * retries)


Service = TypeVar("Service", bound=Callable[..., Any])


def transactional(service: Service) -> Service:
    """Run a use case whose first argument is the session in `run_in_transaction`."""

    @functools.wraps(service)
    def run(session: Session, *args: Any, **kwargs: Any) -> Any:
        return run_in_transaction(session, lambda: service(session, *args, **kwargs))

    return run  # type: ignore[return-value]
