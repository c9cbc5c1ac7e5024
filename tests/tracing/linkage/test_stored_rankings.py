"""A sought child's ranking ranked again from the evidence kept with it (`RankedCandidate`)
gives what ranking it from the records gives, and is not trusted once a record, or the
engine, has changed since."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matching import Linker
from matching.linker import ENGINE_VERSION, stored_terms, terms_row
from models import ChildRegistration, LinkageModel, RankedCandidate, SoughtChild
from models.db import transaction
from tracing.accounts import services as accounts
from tracing.cli import cli
from tracing.contract import PERSON_VALUE_COLUMNS
from tracing.db import get_session
from tracing.linkage import fitted_engines, jobs, proposal_writes, store_frames
from tracing.registrations import services as registrations

SAMPLES = Path(__file__).resolve().parents[3] / "data" / "samples"


def invoke(runner: FlaskCliRunner, *args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def matched_samples(runner: FlaskCliRunner) -> None:
    invoke(runner, "import", "children", str(SAMPLES / "children.csv"), "--no-match")
    invoke(runner, "import", "requests", str(SAMPLES / "requests.csv"), "--no-match")
    assert "new proposals" in invoke(runner, "match")


def stored_engine(session: Session) -> tuple[int, Linker]:
    """The engine `ftr match` fitted and stored: (its model id, the engine)."""
    current = fitted_engines.current_linker(session)
    assert current is not None
    return current


def ranking(session: Session, sought_ids: list[int]) -> dict[tuple[int, int], tuple[int, float]]:
    rows = session.execute(
        select(
            RankedCandidate.sought_child_id,
            RankedCandidate.child_id,
            RankedCandidate.rank,
            RankedCandidate.score,
        ).where(RankedCandidate.sought_child_id.in_(sought_ids))
    ).all()
    return {(s, c): (rank, score) for s, c, rank, score in rows}


def ranked_sought(session: Session, limit: int) -> list[int]:
    """Sought children with a full ranking, a few inquiries' worth."""
    return list(
        session.scalars(
            select(RankedCandidate.sought_child_id)
            .group_by(RankedCandidate.sought_child_id)
            .order_by(RankedCandidate.sought_child_id)
            .limit(limit)
        )
    )


def test_stored_evidence_ranks_as_the_records_do(app: Flask, matched_samples: None) -> None:
    with app.app_context():
        session = get_session()
        model_id, linker = stored_engine(session)
        sought_ids = ranked_sought(session, 40)
        from_records = []
        from_store = []
        for ids in ([sid] for sid in sought_ids):
            jobs._rerank(session, model_id, linker, ids)
            from_records.append(ranking(session, ids))
            session.rollback()
            assert jobs._rerank_stored(session, model_id, ids) is not None
            from_store.append(ranking(session, ids))
            session.rollback()
        compared = 0
        for records, stored in zip(from_records, from_store, strict=True):
            assert records.keys() == stored.keys()
            for pair, (rank, score) in records.items():
                assert stored[pair][1] == pytest.approx(score, abs=1e-4)
                if score > 0.01:  # near-ties far below the floor may swap
                    assert stored[pair][0] == rank
                compared += 1
        assert compared >= 300


def test_a_registration_ranked_in_from_stored_evidence_ranks_as_from_the_records(
    app: Flask, matched_samples: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new registration much like several sought children (it enters their rankings):
    ranked beside their kept evidence, it gives the rankings that comparing every record
    again gives."""
    with app.app_context():
        session = get_session()
        actor = accounts.create_user(session, "rank@north.example", "registrar", "North", "x" * 12)
        session.commit()
        sought = session.scalars(
            select(SoughtChild).order_by(SoughtChild.id).where(SoughtChild.age.is_not(None))
        ).first()
        assert sought is not None
        cells = {c: str(getattr(sought, c, None) or "") for c in PERSON_VALUE_COLUMNS}
        cells = {k: v for k, v in cells.items() if v}

        class Undone(Exception):
            """Raised to roll the registration back (the service's transaction is joined)."""

        def register() -> dict[tuple[int, int | str], tuple[int, float]]:
            seen: dict[tuple[int, int | str], tuple[int, float]] = {}
            with contextlib.suppress(Undone), transaction(session):
                child, _ = registrations.register_child(session, actor, cells, {})
                touched = session.scalars(
                    select(RankedCandidate.sought_child_id).where(
                        RankedCandidate.child_id == child.id
                    )
                ).all()
                assert touched, "the registration entered no ranking"
                family = session.scalars(
                    select(SoughtChild.id).where(
                        SoughtChild.inquiry_id.in_(
                            select(SoughtChild.inquiry_id).where(SoughtChild.id.in_(touched))
                        )
                    )
                ).all()
                # the new child's id differs between the runs (sequences are not rolled back)
                for (s, c), value in ranking(session, list(family)).items():
                    seen[(s, "new" if c == child.id else c)] = value
                raise Undone
            return seen

        used: list[bool] = []
        stored = jobs._rerank_stored

        def watched(*args: object, **kwargs: object) -> dict[str, int] | None:
            result = stored(*args, **kwargs)  # type: ignore[arg-type]
            used.append(result is not None)
            return result

        monkeypatch.setattr(jobs, "_rerank_stored", watched)
        from_store = register()
        assert used and all(used)
        monkeypatch.setattr(jobs, "_rerank_stored", lambda *args, **kwargs: None)
        from_records = register()
        assert from_store.keys() == from_records.keys()
        for pair, (rank, score) in from_records.items():
            assert from_store[pair][1] == pytest.approx(score, abs=1e-4)
            if score > 0.01:
                assert from_store[pair][0] == rank


def test_a_record_changed_since_or_another_engine_is_ranked_from_the_records(
    app: Flask, matched_samples: None
) -> None:
    with app.app_context():
        session = get_session()
        model_id, _linker = stored_engine(session)
        sought_id = ranked_sought(session, 1)[0]
        assert jobs._rerank_stored(session, model_id, [sought_id]) is not None
        session.rollback()
        # another engine's numbers
        assert jobs._rerank_stored(session, model_id + 1, [sought_id]) is None
        child_id = session.scalar(
            select(RankedCandidate.child_id).where(RankedCandidate.sought_child_id == sought_id)
        )
        stale = {
            "a candidate edited since it was ranked": update(ChildRegistration)
            .where(ChildRegistration.id == child_id)
            .values(revision=ChildRegistration.revision + 1),
            "the sought child edited since": update(SoughtChild)
            .where(SoughtChild.id == sought_id)
            .values(revision=SoughtChild.revision + 1),
            "a ranking stored before its evidence was kept": update(RankedCandidate)
            .where(RankedCandidate.sought_child_id == sought_id)
            .values(levels=None, weights=None, logodds=None),
        }
        for why, change in stale.items():
            session.execute(change)
            assert jobs._rerank_stored(session, model_id, [sought_id]) is None, why
            session.rollback()
        assert session.scalar(select(LinkageModel.engine_version)) == ENGINE_VERSION


def test_stored_terms_read_back_give_the_evidence_the_frame_gave(
    app: Flask, matched_samples: None
) -> None:
    with app.app_context():
        session = get_session()
        _model_id, linker = stored_engine(session)
        children = store_frames.open_children(session)
        sought = store_frames.open_sought(session)
        scored = linker.rank(children, sought, top_k=3)
        levels, weights = stored_terms(scored)
        for i, row in enumerate(scored.head(200).to_dict("records")):
            again = terms_row(levels[i], weights[i], row["competition_weight"])
            assert proposal_writes.evidence_of(again) == proposal_writes.evidence_of(row)
