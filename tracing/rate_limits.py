"""Rate limits counted in PostgreSQL, so that every server process counts as one.

Flask-Limiter keeps its counters in a `limits` storage; the stock ones are process
memory, Redis, Memcached or MongoDB. FTR's store is PostgreSQL, and a deployment should
not need another server for a few counters: this storage keeps fixed windows in the
unlogged table `rate_limit_counter`, one upsert per counted request. It is chosen by the
URI scheme `ftr+postgresql+psycopg` (tracing.security sets it from DATABASE_URL unless
RATELIMIT_STORAGE_URI says otherwise). Window ends are read from the database's clock.

It connects for each operation (no pool): sign-in attempts are rare, a connection costs
a few milliseconds on a local server, and no connection outlives a forked worker or an
app that is torn down.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from limits.storage import Storage
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

SCHEME = "ftr+postgresql"
# Expired windows are deleted now and then, not on every request.
_PRUNE_EVERY = 500

_INCR = text(
    "INSERT INTO rate_limit_counter AS c (key, count, expires_at)"
    " VALUES (:key, :amount, statement_timestamp() + make_interval(secs => :expiry))"
    " ON CONFLICT (key) DO UPDATE SET"
    "  count = CASE WHEN c.expires_at <= statement_timestamp() THEN EXCLUDED.count"
    "               ELSE c.count + EXCLUDED.count END,"
    "  expires_at = CASE WHEN c.expires_at <= statement_timestamp() THEN EXCLUDED.expires_at"
    "                    ELSE c.expires_at END"
    " RETURNING count"
)
_GET = text(
    "SELECT count, extract(epoch FROM expires_at) FROM rate_limit_counter"
    " WHERE key = :key AND expires_at > statement_timestamp()"
)
_PRUNE = text("DELETE FROM rate_limit_counter WHERE expires_at < statement_timestamp()")


class PostgresStorage(Storage):
    """A `limits` storage (fixed windows) in FTR's PostgreSQL database."""

    STORAGE_SCHEME = [f"{SCHEME}+psycopg"]  # noqa: RUF012  (as `limits` declares it)

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.engine: Engine = create_engine(uri.removeprefix("ftr+"), poolclass=NullPool)
        self._calls = itertools.count(1)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return DBAPIError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        with self.engine.begin() as connection:
            count = connection.scalar(_INCR, {"key": key, "amount": amount, "expiry": expiry})
            if next(self._calls) % _PRUNE_EVERY == 0:
                connection.execute(_PRUNE)
        return int(count or 0)

    def get(self, key: str) -> int:
        with self.engine.connect() as connection:
            row = connection.execute(_GET, {"key": key}).first()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        with self.engine.connect() as connection:
            row = connection.execute(_GET, {"key": key}).first()
        return float(row[1]) if row else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1 FROM rate_limit_counter LIMIT 0"))
        except DBAPIError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as connection:
            return connection.execute(text("DELETE FROM rate_limit_counter")).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                text("DELETE FROM rate_limit_counter WHERE key = :key"), {"key": key}
            )


def storage_uri(database_url: str) -> str:
    """The limits storage URI for FTR's database (always through psycopg 3, the driver
    FTR uses, so that the scheme is one this storage registers)."""
    url = make_url(database_url).set(drivername="postgresql+psycopg")
    return "ftr+" + url.render_as_string(hide_password=False)
