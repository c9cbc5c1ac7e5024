"""Threads for the engine's passes, and the allocator setting for bulk runs."""

from __future__ import annotations

import platform
import threading

import pytest

from matching import parallel


def test_threads_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FTR_MATCH_THREADS", "3")
    assert parallel.threads() == 3
    for unusable in ("0", "-2", "many", ""):
        monkeypatch.setenv("FTR_MATCH_THREADS", unusable)
        assert 1 <= parallel.threads() <= 4


def test_map_chunks_keeps_order_and_uses_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FTR_MATCH_THREADS", "2")
    seen: set[str] = set()
    barrier = threading.Barrier(2, timeout=10)

    def work(x: int) -> int:
        seen.add(threading.current_thread().name)
        if x < 2:
            barrier.wait()  # both first items run at once, or this times out
        return x * x

    assert parallel.map_chunks(work, range(6)) == [0, 1, 4, 9, 16, 25]
    assert len(seen) == 2 and all(n.startswith("ftr-match") for n in seen)
    # one thread: the caller's own
    monkeypatch.setenv("FTR_MATCH_THREADS", "1")
    seen.clear()
    assert parallel.map_chunks(lambda x: seen.add(threading.current_thread().name) or x, [5]) == [5]
    assert seen == {threading.current_thread().name}


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator only")
def test_keep_freed_memory_on_glibc() -> None:
    assert parallel.keep_freed_memory() is True
