"""Ranking a large store by chunks of sought children, and fitting on a sample of it."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import matching.rank
from matching import Linker
from matching.linker import sought_chunks

sys.path.insert(0, str(Path(__file__).resolve().parent))
from matching_synth import Scenario, make


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return make(400, seed=3)


@pytest.fixture(scope="module")
def linker(scenario: Scenario) -> Linker:
    return Linker.fit(scenario.children, scenario.requests, seed=0)


def _inquiry_of(scenario: Scenario) -> dict[str, str]:
    req = scenario.requests
    return dict(zip(req["ref"].astype(str), req["inquiry_ref"].astype(str), strict=True))


def test_one_chunk_is_rank(scenario: Scenario, linker: Linker) -> None:
    # the linker fitted on these frames ranks from its cache; a loaded one does not
    loaded = Linker.from_dict(linker.to_dict())
    for lk in (linker, loaded):
        expected = lk.rank(scenario.children, scenario.requests, top_k=5)
        chunks = lk.rank_chunks(
            scenario.children, scenario.requests, top_k=5, chunk_size=len(scenario.requests)
        )
        assert len(chunks) == 1
        frames = list(chunks)
        assert chunks.sought_refs == [scenario.requests["ref"].astype(str).tolist()]
        assert chunks.candidates > len(frames[0])
        pd.testing.assert_frame_equal(frames[0], expected, check_exact=True)


def test_small_chunks_keep_siblings_together_and_rank_alike(
    scenario: Scenario, linker: Linker
) -> None:
    whole = linker.rank(scenario.children, scenario.requests, top_k=4)
    chunks = linker.rank_chunks(scenario.children, scenario.requests, top_k=4, chunk_size=7)
    frames = list(chunks)
    assert len(frames) == len(chunks) == len(chunks.sought_refs) > 10
    inquiry = _inquiry_of(scenario)
    seen: dict[str, int] = {}
    for i, refs in enumerate(chunks.sought_refs):
        # an inquiry in a chunk of its own may be larger than the chunk size
        assert len(refs) <= 7 or len({inquiry[r] for r in refs}) == 1
        for ref in refs:
            assert seen.setdefault(inquiry[ref], i) == i  # siblings: one chunk
    every = [r for refs in chunks.sought_refs for r in refs]
    assert sorted(every) == sorted(scenario.requests["ref"].astype(str))
    for refs, frame in zip(chunks.sought_refs, frames, strict=True):
        assert list(frame.columns) == list(whole.columns)
        assert set(frame["request_ref"]) <= set(refs)
        assert frame["request_ref"].is_monotonic_increasing
        for _, group in frame.groupby("request_ref"):
            assert group["rank"].tolist() == list(range(1, len(group) + 1))
            assert group["score"].is_monotonic_decreasing
    chunked = pd.concat(frames, ignore_index=True)
    assert len(chunked) == len(whole)
    assert set(chunked["request_ref"]) == set(whole["request_ref"])
    # blocking and field evidence do not depend on the chunk, only the competition for a
    # registered child between inquiries does: the same pairs, but at the margin
    pairs = set(zip(chunked["request_ref"], chunked["child_ref"], strict=True))
    same = pairs & set(zip(whole["request_ref"], whole["child_ref"], strict=True))
    assert len(same) >= 0.95 * len(whole)
    # a first candidate that changes is one of near-tied candidates
    score = whole.set_index(["request_ref", "child_ref"])["score"]
    best = whole[whole["rank"] == 1].set_index("request_ref")["score"]
    first = chunked[chunked["rank"] == 1]
    gap = [
        best[r] - score.get((r, c), 0.0)
        for r, c in zip(first["request_ref"], first["child_ref"], strict=True)
    ]
    assert np.mean(np.array(gap) == 0) >= 0.9
    assert max(gap) < 0.1


def test_chunks_lose_only_the_competition_between_inquiries(
    scenario: Scenario, linker: Linker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(matching.rank, "OTHER_INQUIRY_COMPETITION", 0.0)
    whole = linker.rank(scenario.children, scenario.requests, top_k=4)
    chunks = linker.rank_chunks(scenario.children, scenario.requests, top_k=4, chunk_size=1)
    assert len(chunks) == scenario.requests["inquiry_ref"].nunique()
    chunked = pd.concat(list(chunks), ignore_index=True)
    chunked = chunked.sort_values(["request_ref", "rank"], kind="stable", ignore_index=True)
    pd.testing.assert_frame_equal(chunked, whole)


def test_sought_chunks_pack_whole_inquiries_in_order() -> None:
    inquiry = np.array([0, 1, 0, 2, 3, 3, 3, 4, 1], dtype=np.int64)
    plan = sought_chunks(inquiry, 3)
    assert [p.tolist() for p in plan] == [[0, 2], [1, 3, 8], [4, 5, 6], [7]]
    assert [p.tolist() for p in sought_chunks(inquiry, 100)] == [list(range(9))]
    assert sought_chunks(np.zeros(0, dtype=np.int64), 5) == []


def test_fit_sample_is_fit_on_a_small_store(scenario: Scenario, linker: Linker) -> None:
    again = Linker.fit_sample(scenario.children, scenario.requests, seed=0)
    assert again.to_dict() == linker.to_dict()


def test_fit_sample_on_a_large_store(scenario: Scenario) -> None:
    children, sought = scenario.children, scenario.requests
    lk = Linker.fit_sample(children, sought, seed=0, max_children=250, max_sought=120)
    assert lk.info["sample"] is True
    assert lk.info["n_children"] == 250
    assert 100 <= lk.info["n_sought"] <= 140
    # the prior is for the whole store, the term frequencies are the whole store's
    assert lk.model.n_children == len(children)
    assert lk.tf.n == len(children) + len(sought)
    again = Linker.fit_sample(children, sought, seed=0, max_children=250, max_sought=120)
    assert again.to_dict() == lk.to_dict()
    out = lk.rank(children, sought, top_k=10)
    best = out[out["rank"] == 1]
    top = dict(zip(best.request_ref, best.child_ref, strict=True))
    recall = np.mean([top.get(r) == c for r, c in scenario.truth.items()])
    assert recall >= 0.8
