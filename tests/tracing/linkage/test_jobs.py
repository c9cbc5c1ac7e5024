"""Matching in the store: bulk `ftr match`, export, real-time matching, rejections."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from models import ChildRegistration, MatchStatus, PotentialMatch, SoughtChild, User
from tracing.accounts import services as accounts
from tracing.casework import services as casework
from tracing.cli import cli
from tracing.db import get_session
from tracing.linkage import candidate_retrieval, fitted_engines, jobs, proposal_writes
from tracing.registrations import services as registrations
from tracing.review import decisions as decision_services

SAMPLES = Path(__file__).resolve().parents[3] / "data" / "samples"


def invoke(runner: FlaskCliRunner, *args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def load_samples(runner: FlaskCliRunner) -> None:
    invoke(runner, "import", "children", str(SAMPLES / "children.csv"), "--no-match")
    invoke(runner, "import", "requests", str(SAMPLES / "requests.csv"), "--no-match")


def test_store_ranks_as_ftr_link_does(runner: FlaskCliRunner, tmp_path: Path) -> None:
    load_samples(runner)
    params = tmp_path / "params.json"
    output = invoke(runner, "match", "--save-params", str(params))
    assert "new proposals" in output
    exported = tmp_path / "export.csv"
    invoke(runner, "export", "matches", str(exported))
    linked = tmp_path / "link.csv"
    invoke(
        runner,
        "link",
        str(SAMPLES / "children.csv"),
        str(SAMPLES / "requests.csv"),
        "--params",
        str(params),
        "--top",
        "10",
        "--out",
        str(linked),
    )

    # numbers as float_format="%.6f" writes them: six decimals, nothing else
    written = pd.read_csv(linked, dtype=str, keep_default_na=False)
    weights = [c for c in written.columns if c == "score" or c.endswith("_weight")]
    assert len(weights) > 10
    assert written[weights].stack().str.fullmatch(r"-?\d+\.\d{6}").all()
    store = pd.read_csv(exported, dtype={"request_ref": str, "child_ref": str})
    memory = pd.read_csv(linked, dtype={"request_ref": str, "child_ref": str})
    memory = memory[memory["score"] >= proposal_writes.MIN_PROPOSAL_SCORE]
    assert len(store) > 300
    key = ["request_ref", "child_ref"]
    merged = store.merge(memory, on=key, how="outer", suffixes=("_store", "_link"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    assert (merged["rank_store"] == merged["rank_link"]).all()
    assert (merged["score_store"] - merged["score_link"]).abs().max() < 1e-5


def test_samples_find_their_families(app: Flask, runner: FlaskCliRunner) -> None:
    load_samples(runner)
    invoke(runner, "match")
    truth_children = pd.read_csv(SAMPLES / "truth_children.csv", dtype=str)
    truth_requests = pd.read_csv(SAMPLES / "truth_requests.csv", dtype=str)
    person_of_child = dict(zip(truth_children["ref"], truth_children["person_id"], strict=True))
    wanted = dict(zip(truth_requests["ref"], truth_requests["person_id"], strict=True))
    with app.app_context():
        rows = (
            get_session()
            .execute(
                select(SoughtChild.ref, ChildRegistration.ref, PotentialMatch.score)
                .join(SoughtChild, PotentialMatch.sought_child_id == SoughtChild.id)
                .join(ChildRegistration, PotentialMatch.child_id == ChildRegistration.id)
            )
            .all()
        )
    best: dict[str, tuple[float, str]] = {}
    for sought_ref, child_ref, score in rows:
        if sought_ref not in best or score > best[sought_ref][0]:
            best[sought_ref] = (score, child_ref)
    registered = set(person_of_child.values())
    findable = [r for r, p in wanted.items() if p in registered]
    found = sum(1 for r in findable if r in best and person_of_child[best[r][1]] == wanted[r])
    # A regression floor for the service path; the engine's quality is measured in bench/.
    assert found / len(findable) >= 0.6


def test_statistics_settle_clear_keys_and_changes_unsettle_them(
    app: Flask, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_samples(runner)  # imports analyse the tables
    monkeypatch.setattr(candidate_retrieval, "COMMON_KEY_LIMIT", 20)
    monkeypatch.setattr(candidate_retrieval, "_COMMON_KEYS", {})
    monkeypatch.setattr(candidate_retrieval, "_RARE_KEYS", {})
    monkeypatch.setattr(candidate_retrieval, "_KEY_STATISTICS", {})
    counting = "SELECT k FROM unnest"

    def counts(session: Session) -> dict[str, int]:
        return dict(
            session.execute(
                text(
                    "SELECT k, count(*) FROM child_registration, unnest(name_keys) AS k GROUP BY k"
                )
            ).all()
        )

    with app.app_context():
        session = get_session()
        before = counts(session)
        rare = sorted(k for k, n in before.items() if n <= 3)[:30]
        common = sorted(k for k, n in before.items() if n >= 40)[:5]
        assert len(rare) == 30 and len(common) == 5
        statements: list[str] = []
        engine = session.get_bind().engine
        listener = lambda *a: statements.append(a[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            # statistics just made may not be committed yet: every key is counted
            monkeypatch.setattr(candidate_retrieval, "STATISTICS_SETTLE_SECONDS", 3600.0)
            assert (
                candidate_retrieval.selective_keys(session, "child_registration", rare + common)
                == rare
            )
            assert any(counting in st for st in statements)
            monkeypatch.setattr(candidate_retrieval, "STATISTICS_SETTLE_SECONDS", 0.0)
            monkeypatch.setattr(candidate_retrieval, "_COMMON_KEYS", {})
            monkeypatch.setattr(candidate_retrieval, "_RARE_KEYS", {})
            statements.clear()
            assert (
                candidate_retrieval.selective_keys(session, "child_registration", rare + common)
                == rare
            )
            assert not any(counting in st for st in statements)  # no key was counted
            assert (
                set(common)
                <= candidate_retrieval._COMMON_KEYS[str(engine.url), "child_registration"]
            )

            def flushed(column: str, at_least: int) -> None:
                """Wait until this session's committed changes show in the statistics."""
                session.execute(text("SELECT pg_stat_force_next_flush()"))
                session.commit()
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    seen = session.scalar(
                        text(
                            f"SELECT {column} FROM pg_stat_user_tables"
                            " WHERE relname = 'child_registration'"
                        )
                    )
                    session.commit()
                    if seen is not None and seen >= at_least:
                        return
                    time.sleep(0.1)
                raise AssertionError(f"{column} never reached {at_least}")

            # status changes do not move keys: the statistics still settle every key
            before_updates = session.scalar(
                text(
                    "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'child_registration'"
                )
            )
            session.execute(
                text("UPDATE child_registration SET status = 'tracing' WHERE id % 2 = 0")
            )
            flushed("n_tup_upd", (before_updates or 0) + 500)
            candidate_retrieval.forget_rare_keys()
            statements.clear()
            assert candidate_retrieval.selective_keys(session, "child_registration", rare) == rare
            assert not any(counting in st for st in statements)
            # records added since ANALYZE count against the statistics: enough of them,
            # and a key the statistics call rare must be counted again
            actor = accounts.create_user(
                session, "reg@stats.example", "registrar", "Demo Agency", "a long enough password"
            )

            def twin(key: str) -> dict[str, str]:
                child = session.scalars(
                    select(ChildRegistration).where(ChildRegistration.name_keys.contains([key]))
                ).first()
                assert child is not None
                return {
                    "given_name": child.given_name or "",
                    "family_name": child.family_name or "",
                    "other_names": ";".join(child.other_names or []),
                }

            target = rare[0]
            names = twin(target)
            before_inserts = session.scalar(
                text(
                    "SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'child_registration'"
                )
            )
            for _ in range(25):
                clone, _problems = registrations.register_child(
                    session, actor, names, {}, match=False
                )
                assert target in clone.name_keys
            flushed("n_tup_ins", (before_inserts or 0) + 25)
            statements.clear()
            candidate_retrieval.forget_rare_keys()
            assert target not in candidate_retrieval.selective_keys(
                session, "child_registration", rare
            )
            assert any(counting in st for st in statements)  # doubtful now: counted
            assert counts(session)[target] >= 20
        finally:
            event.remove(engine, "before_cursor_execute", listener)


def test_rejected_pair_stays_rejected_until_a_record_changes(
    app: Flask, runner: FlaskCliRunner
) -> None:
    load_samples(runner)
    invoke(runner, "match")
    with app.app_context():
        session = get_session()
        user = accounts.create_user(
            session, "cw@north.example", "caseworker", "Demo Agency", "a long enough password"
        )
        match = session.scalars(
            select(PotentialMatch).order_by(PotentialMatch.score.desc()).limit(1)
        ).one()
        match_id, sought_id = match.id, match.sought_child_id
        decision_services.reject_match(
            session, user, match, match.version, "met the family", ip=None
        )
        jobs.match_sought_children(session, [sought_id])
        session.commit()
        session.expire_all()
        assert session.get(PotentialMatch, match_id).status == MatchStatus.REJECTED.value
        child = session.get(ChildRegistration, match.child_id)
        cells = {
            "given_name": child.given_name or "",
            "family_name": child.family_name or "",
            "other_names": "; ".join(child.other_names),
            "sex": child.sex,
            "age": str(child.age or ""),
            "separation_place": "somewhere else",
        }
        changed, _ = registrations.update_child(
            session, user_for(session, child), child, cells, {}, ip=None
        )
        assert changed
        jobs.match_sought_children(session, [sought_id])
        session.commit()
        session.expire_all()
        again = session.get(PotentialMatch, match_id)
        assert again.status == MatchStatus.PROPOSED.value
        # It comes back as a fresh proposal: the old decision is cleared.
        assert again.reject_reason is None and again.decided_by_id is None


def user_for(session: object, child: ChildRegistration) -> User:
    from tracing.db import get_session as current

    return current().scalars(select(User).where(User.agency_id == child.agency_id)).first()


def test_follow_ups_keep_a_proposal_from_being_withdrawn(
    app: Flask, runner: FlaskCliRunner
) -> None:
    load_samples(runner)
    invoke(runner, "match")
    with app.app_context():
        session = get_session()
        user = accounts.create_user(
            session, "cw@north.example", "caseworker", "Demo Agency", "a long enough password"
        )
        match = session.scalars(select(PotentialMatch).order_by(PotentialMatch.score)).first()
        match_id = match.id
        casework.record_follow_up(
            session, user, "interview_family", match=match, outcome="family describes a scar"
        )
        session.commit()
        empty = pd.DataFrame(columns=["request_ref", "child_ref", "rank", "score"])
        from tracing.linkage import proposal_writes, store_frames

        children = store_frames.open_children(session)
        sought = store_frames.open_sought(session)
        proposal_writes.write_proposals(
            session, empty, children, sought, [match.sought_child_id], "t", model_id=None
        )
        session.commit()
        assert session.get(PotentialMatch, match_id) is not None


def test_one_confirmed_match_per_sought_child(app: Flask, runner: FlaskCliRunner) -> None:
    import pytest
    from sqlalchemy.exc import IntegrityError

    load_samples(runner)
    invoke(runner, "match")
    with app.app_context():
        session = get_session()
        sought_id = session.scalars(
            select(PotentialMatch.sought_child_id)
            .group_by(PotentialMatch.sought_child_id)
            .having(__import__("sqlalchemy").func.count() > 1)
        ).first()
        first, second = session.scalars(
            select(PotentialMatch).where(PotentialMatch.sought_child_id == sought_id).limit(2)
        ).all()
        first.status = second.status = MatchStatus.CONFIRMED.value
        with pytest.raises(IntegrityError, match="one_confirmed"):
            session.commit()


def test_a_model_fitted_by_another_engine_version_is_not_used(
    app: Flask, runner: FlaskCliRunner
) -> None:
    from models import LinkageModel

    load_samples(runner)
    invoke(runner, "match")
    with app.app_context():
        session = get_session()
        assert fitted_engines.current_linker(session) is not None
        for model in session.scalars(select(LinkageModel)):
            model.engine_version = "ftr-fs-0.0"
        session.commit()
        fitted_engines._LINKERS.clear()
        assert fitted_engines.current_linker(session) is None
    assert "engine refitted" in invoke(runner, "match")


def test_an_import_leaves_planner_statistics(app: Flask, runner: FlaskCliRunner) -> None:
    # The name-key queries of real-time matching are planned on these statistics.
    load_samples(runner)
    with app.app_context():
        analysed = get_session().scalars(
            text(
                "SELECT tablename FROM pg_stats WHERE attname = 'name_keys'"
                " AND most_common_elems IS NOT NULL ORDER BY tablename"
            )
        )
        assert list(analysed) == ["child_registration", "sought_child"]


def test_common_name_keys_are_left_to_pair_keys(
    app: Flask, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_samples(runner)
    monkeypatch.setattr(candidate_retrieval, "COMMON_KEY_LIMIT", 20)
    monkeypatch.setattr(candidate_retrieval, "_COMMON_KEYS", {})
    monkeypatch.setattr(candidate_retrieval, "_RARE_KEYS", {})
    with app.app_context():
        session = get_session()
        counts = dict(
            session.execute(
                text(
                    "SELECT k, count(*) FROM child_registration, unnest(name_keys) AS k"
                    " GROUP BY k ORDER BY k"
                )
            ).all()
        )
        common = [k for k, n in counts.items() if n >= 20][:5]
        rare = [k for k, n in counts.items() if n < 20][:5]
        assert common and rare
        selective = candidate_retrieval.selective_keys(session, "child_registration", common + rare)
        assert sorted(selective) == sorted(rare)
        # remembered, so that the next record with a common name does not count it again
        url = str(session.get_bind().engine.url)
        assert set(common) == candidate_retrieval._COMMON_KEYS[url, "child_registration"]
        assert candidate_retrieval.selective_keys(session, "child_registration", common) == []
        # rare keys are trusted for a while without counting them again (even if one grew
        # common meanwhile), until a bulk load makes every key count again
        monkeypatch.setattr(candidate_retrieval, "COMMON_KEY_LIMIT", 1)
        assert candidate_retrieval.selective_keys(session, "child_registration", rare) == sorted(
            rare
        )
        candidate_retrieval.forget_rare_keys()
        assert candidate_retrieval.selective_keys(session, "child_registration", rare) == []
