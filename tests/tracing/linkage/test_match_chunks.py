"""`ftr match` by chunks of sought children: the same proposals, committed chunk by chunk."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

import matching.linker
import matching.rank
from models import ChildRegistration, PotentialMatch, SoughtChild
from tracing.cli import cli
from tracing.db import get_session
from tracing.linkage import fitted_engines, jobs

SAMPLES = Path(__file__).resolve().parents[3] / "data" / "samples"


def invoke(runner: FlaskCliRunner, *args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def load_samples(runner: FlaskCliRunner) -> None:
    invoke(runner, "import", "children", str(SAMPLES / "children.csv"), "--no-match")
    invoke(runner, "import", "requests", str(SAMPLES / "requests.csv"), "--no-match")


def proposals(app: Flask) -> dict[tuple[str, str], float]:
    with app.app_context():
        rows = get_session().execute(
            select(SoughtChild.ref, ChildRegistration.ref, PotentialMatch.score)
            .join(SoughtChild, PotentialMatch.sought_child_id == SoughtChild.id)
            .join(ChildRegistration, PotentialMatch.child_id == ChildRegistration.id)
        )
        return {(s, c): score for s, c, score in rows}


def match(app: Flask, chunk_size: int) -> jobs.MatchSummary:
    progress: list[tuple[int, int]] = []
    with app.app_context():
        summary = jobs.match_all(
            get_session(),
            chunk_size=chunk_size,
            on_progress=lambda done, total: progress.append((done, total)),
        )
    assert progress == [(i, summary.chunks) for i in range(summary.chunks + 1)]
    return summary


def test_tiny_chunks_give_the_same_proposals_without_competition_between_inquiries(
    app: Flask, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chunks lose only the competition of other inquiries' sought children for the same
    # registered child: without it, ranking 3 sought children at a time (siblings
    # always together) gives the very proposals of one pass over all of them.
    monkeypatch.setattr(matching.rank, "OTHER_INQUIRY_COMPETITION", 0.0)
    load_samples(runner)
    whole = match(app, 10_000)
    assert whole.fitted and whole.chunks == 1 and whole.proposed > 300
    before = proposals(app)
    tiny = match(app, 3)
    assert tiny.chunks > 100
    assert tiny.candidates_scored == whole.candidates_scored
    assert (tiny.proposed, tiny.withdrawn) == (0, 0)
    after = proposals(app)
    assert after.keys() == before.keys()
    assert max(abs(after[k] - before[k]) for k in before) < 1e-9


def test_tiny_chunks_move_only_weak_or_close_proposals(app: Flask, runner: FlaskCliRunner) -> None:
    load_samples(runner)
    match(app, 10_000)
    before = proposals(app)
    tiny = match(app, 3)
    after = proposals(app)
    # pairs that come or go were at the proposal floor
    assert tiny.proposed + tiny.withdrawn <= 0.05 * len(before)
    changed = (before.keys() - after.keys()) | (after.keys() - before.keys())
    assert all(max(before.get(k, 0.0), after.get(k, 0.0)) < 0.1 for k in changed)
    assert max(abs(after[k] - before[k]) for k in before.keys() & after.keys()) < 0.15
    # and running again is idempotent
    again = match(app, 3)
    assert (again.proposed, again.updated, again.withdrawn) == (0, 0, 0)
    assert proposals(app) == pytest.approx(after, abs=1e-12)


def test_a_large_store_is_fitted_on_a_sample(
    app: Flask, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_samples(runner)
    monkeypatch.setattr(matching.linker, "FIT_MAX_CHILDREN", 600)
    monkeypatch.setattr(matching.linker, "FIT_MAX_SOUGHT", 150)
    stages: list[str] = []
    with app.app_context():
        summary = jobs.match_all(get_session(), refit=True, on_stage=stages.append)
    assert "fitting the engine on a sample" in stages
    assert summary.fitted and summary.fitted_on_sample

    with app.app_context():
        current = fitted_engines.current_linker(get_session())
    assert current is not None
    info = current[1].info
    assert (info["n_children"], info["store_children"]) == (600, 1200)
    assert current[1].model.n_children == 1200
    assert summary.proposed > 250


def test_the_cli_shows_chunks_and_a_summary(runner: FlaskCliRunner) -> None:
    load_samples(runner)
    output = invoke(runner, "match", "--chunk-size", "100")
    assert "Ranking 100 sought children a chunk" in output
    assert "in 4 chunks\n" in output  # 360 sought children, 100 a chunk
    assert "candidate pairs scored" in output
    assert "new proposals" in output and "withdrawn" in output
    assert "engine refitted (model" in output
    assert "seconds: load" in output and "rank" in output and "write" in output
