"""The PostgreSQL storage of the sign-in limits: fixed windows, as limits' own storages."""

from __future__ import annotations

import time

from limits.storage import storage_from_string

from tracing.rate_limits import PostgresStorage, storage_uri


def test_the_uri_always_names_psycopg_3() -> None:
    for url in ("postgresql://u:p@db.example/ftr", "postgresql+psycopg2://u:p@db.example/ftr"):
        assert storage_uri(url) == "ftr+postgresql+psycopg://u:p@db.example/ftr"


def test_fixed_windows_counted_in_the_store(fresh_database_url: str) -> None:
    storage = storage_from_string(storage_uri(fresh_database_url))
    assert isinstance(storage, PostgresStorage)
    assert storage.check()
    assert [storage.incr("a", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("a") == 3 and storage.get("b") == 0
    assert time.time() + 55 < storage.get_expiry("a") <= time.time() + 61
    storage.clear("a")
    assert storage.get("a") == 0
    # a window that has ended starts again at the next hit, with a new end
    assert storage.incr("short", 1) == 1
    assert storage.incr("short", 1) == 2
    time.sleep(1.1)
    assert storage.get("short") == 0
    assert storage.incr("short", 1) == 1
    assert storage.reset() == 1
    storage.engine.dispose()
