"""Engine and session set-up, shared by the web app, the CLI, tests and benches."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine
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


Service = TypeVar("Service", bound=Callable[..., Any])


def transactional(service: Service) -> Service:
    """Run a use case whose first argument is the session in `transaction(session)`."""

    @functools.wraps(service)
    def run(session: Session, *args: Any, **kwargs: Any) -> Any:
        with transaction(session):
            return service(session, *args, **kwargs)

    return run  # type: ignore[return-value]
