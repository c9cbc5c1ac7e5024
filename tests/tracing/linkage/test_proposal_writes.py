"""Writing proposals from frames loaded earlier: what changed in the store since counts.

A bulk `ftr match` loads every open record once and writes proposals chunk by chunk for
minutes; transfers, consent changes, decisions and real-time matches commit meanwhile.
These tests load the frames, change the store, then write with the (now stale) frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from models import (
    Agency,
    ChildRegistration,
    MatchStatus,
    PotentialMatch,
    RankedCandidate,
    SoughtChild,
    User,
)
from tracing.casework import transfers as transfer_services
from tracing.cli import cli
from tracing.db import get_session
from tracing.inquiries import services as inquiry_services
from tracing.linkage import jobs, proposal_writes, store_frames
from tracing.registrations import services as registrations

SAMPLES = Path(__file__).resolve().parents[3] / "data" / "samples"
REASON = "family moved to the southern camps; South runs the interim care centre"


@dataclass
class Store:
    north: int
    south: int
    registrar: int  # North
    supervisor: int  # North
    south_caseworker: int


@pytest.fixture
def store(app: Flask, users: dict[str, int]) -> Store:
    """Agencies North and South, as the `users` fixture makes them."""
    with app.app_context():
        session = get_session()
        north, south = (
            session.scalars(select(Agency.id).where(Agency.name == name)).one()
            for name in ("North", "South")
        )
    return Store(north, south, users["registrar"], users["supervisor"], users["other_caseworker"])


def child(
    session: Session,
    user_id: int,
    given: str,
    family: str = "Yousif",
    cells: dict[str, str] | None = None,
    **extra: Any,
) -> ChildRegistration:
    actor = session.get(User, user_id)
    assert actor
    cells = {
        "given_name": given,
        "family_name": family,
        "sex": "female",
        "age": "7",
        **(cells or {}),
    }
    record, problems = registrations.register_child(session, actor, cells, extra, match=False)
    assert not [p for p in problems if p.severity == "error"]
    session.commit()
    return record


def sought(
    session: Session,
    user_id: int,
    given: str,
    family: str = "Yousef",
    cells: dict[str, str] | None = None,
    **extra: Any,
) -> SoughtChild:
    actor = session.get(User, user_id)
    assert actor
    cells = {
        "given_name": given,
        "family_name": family,
        "sex": "female",
        "age": "7",
        **(cells or {}),
    }
    inquiry, problems = inquiry_services.file_inquiry(
        session, actor, {"inquirer_name": "Halima Adam", **extra}, [(cells, {})], match=False
    )
    assert not [p for p in problems if p.severity == "error"]
    session.commit()
    return inquiry.sought_children[0]


def frames(
    session: Session, children: list[ChildRegistration], wanted: list[SoughtChild]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (
        store_frames.load_frame(
            session,
            store_frames.children_query().where(ChildRegistration.id.in_([c.id for c in children])),
        ),
        store_frames.load_frame(
            session, store_frames.sought_query().where(SoughtChild.id.in_([s.id for s in wanted]))
        ),
    )


def ranked(*pairs: tuple[SoughtChild, ChildRegistration, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [(s.ref, c.ref, rank, score) for rank, (s, c, score) in enumerate(pairs, start=1)],
        columns=["request_ref", "child_ref", "rank", "score"],
    )


def write(
    session: Session,
    pairs: pd.DataFrame,
    children: pd.DataFrame,
    wanted: pd.DataFrame,
    scope: list[SoughtChild],
    **options: Any,
) -> dict[str, int]:
    counts = proposal_writes.write_proposals(
        session, pairs, children, wanted, [s.id for s in scope], "test", model_id=None, **options
    )
    session.commit()
    return counts


def proposed_pair(
    session: Session, store: Store
) -> tuple[ChildRegistration, SoughtChild, pd.DataFrame, pd.DataFrame]:
    """Amina registered and sought in one agency, loaded, and proposed at 0.8."""
    amina = child(session, store.registrar, "Amina")
    wanted_amina = sought(session, store.registrar, "Amina")
    children, wanted = frames(session, [amina], [wanted_amina])
    write(session, ranked((wanted_amina, amina, 0.8)), children, wanted, [wanted_amina])
    return amina, wanted_amina, children, wanted


def stored(session: Session, c: ChildRegistration, s: SoughtChild) -> PotentialMatch | None:
    session.expire_all()
    return session.scalars(
        select(PotentialMatch).where(
            PotentialMatch.child_id == c.id, PotentialMatch.sought_child_id == s.id
        )
    ).one_or_none()


# --------------------------------------------------------------------------- agencies


def test_a_transfer_after_loading_is_not_undone_by_stale_frames(app: Flask, store: Store) -> None:
    with app.app_context():
        session = get_session()
        amina = child(session, store.registrar, "Amina", consent_sharing=True)
        first = sought(session, store.registrar, "Amina")
        second = sought(session, store.registrar, "Aminah")
        children, wanted = frames(session, [amina], [first, second])
        assert write(session, ranked((first, amina, 0.8)), children, wanted, [first]) == {
            "proposed": 1,
            "updated": 0,
            "withdrawn": 0,
        }
        stale_children, stale_wanted = frames(session, [amina], [first, second])
        session.commit()

        # North's supervisor transfers the child to South: the match's copies follow
        supervisor = session.get(User, store.supervisor)
        assert supervisor
        transfer_services.transfer_child(session, supervisor, amina.id, store.south, REASON)
        match = stored(session, amina, first)
        assert match and (match.child_agency_id, match.sought_agency_id) == (
            store.south,
            store.north,
        )

        # the bulk run, with frames loaded before the transfer, writes both pairs
        counts = write(
            session,
            ranked((first, amina, 0.8), (second, amina, 0.6)),
            stale_children,
            stale_wanted,
            [first, second],
        )
        assert counts == {"proposed": 1, "updated": 0, "withdrawn": 0}
        for s in (first, second):
            match = stored(session, amina, s)
            assert match, s
            assert (match.child_agency_id, match.sought_agency_id) == (store.south, store.north)


def test_an_inquiry_transfer_after_loading_counts(app: Flask, store: Store) -> None:
    with app.app_context():
        session = get_session()
        amina = child(session, store.registrar, "Amina")
        wanted_amina = sought(session, store.registrar, "Amina", consent_sharing=True)
        children, wanted = frames(session, [amina], [wanted_amina])
        session.commit()
        supervisor = session.get(User, store.supervisor)
        assert supervisor
        transfer_services.transfer_inquiry(
            session, supervisor, wanted_amina.inquiry_id, store.south, REASON
        )
        write(session, ranked((wanted_amina, amina, 0.8)), children, wanted, [wanted_amina])
        match = stored(session, amina, wanted_amina)
        assert match and (match.child_agency_id, match.sought_agency_id) == (
            store.north,
            store.south,
        )


# --------------------------------------------------------------------------- consent


def test_consent_withdrawn_after_loading_stops_a_cross_agency_proposal(
    app: Flask, store: Store
) -> None:
    with app.app_context():
        session = get_session()
        amina = child(session, store.south_caseworker, "Amina")  # South
        same_agency = child(session, store.registrar, "Aminah")  # North
        wanted_amina = sought(session, store.registrar, "Amina")  # North
        children, wanted = frames(session, [amina, same_agency], [wanted_amina])
        assert bool(children["consent_tracing"].all())
        session.execute(
            update(ChildRegistration)
            .where(ChildRegistration.id.in_([amina.id, same_agency.id]))
            .values(consent_tracing=False)
        )
        session.commit()
        counts = write(
            session,
            ranked((wanted_amina, amina, 0.8), (wanted_amina, same_agency, 0.5)),
            children,
            wanted,
            [wanted_amina],
        )
        # no consent to tracing, no proposal: across agencies, and (since the safety
        # issue's item 2, "out of matching everywhere") inside North too
        assert counts == {"proposed": 0, "updated": 0, "withdrawn": 0}
        assert stored(session, amina, wanted_amina) is None
        assert stored(session, same_agency, wanted_amina) is None


def test_a_sought_childs_consent_counts_and_an_old_proposal_is_withdrawn(
    app: Flask, store: Store
) -> None:
    with app.app_context():
        session = get_session()
        amina = child(session, store.south_caseworker, "Amina")  # South
        wanted_amina = sought(session, store.registrar, "Amina")  # North
        children, wanted = frames(session, [amina], [wanted_amina])
        write(session, ranked((wanted_amina, amina, 0.8)), children, wanted, [wanted_amina])
        assert stored(session, amina, wanted_amina) is not None
        children, wanted = frames(session, [amina], [wanted_amina])
        session.execute(
            update(SoughtChild)
            .where(SoughtChild.id == wanted_amina.id)
            .values(consent_tracing=False)
        )
        session.commit()
        counts = write(
            session, ranked((wanted_amina, amina, 0.8)), children, wanted, [wanted_amina]
        )
        assert counts == {"proposed": 0, "updated": 0, "withdrawn": 1}
        assert stored(session, amina, wanted_amina) is None


def test_consent_given_after_loading_counts_too(app: Flask, store: Store) -> None:
    with app.app_context():
        session = get_session()
        amina = child(session, store.south_caseworker, "Amina", consent_tracing=False)
        wanted_amina = sought(session, store.registrar, "Amina")
        children, wanted = frames(session, [amina], [wanted_amina])
        assert not bool(children["consent_tracing"].any())
        session.execute(
            update(ChildRegistration)
            .where(ChildRegistration.id == amina.id)
            .values(consent_tracing=True)
        )
        session.commit()
        counts = write(
            session, ranked((wanted_amina, amina, 0.8)), children, wanted, [wanted_amina]
        )
        assert counts["proposed"] == 1
        assert stored(session, amina, wanted_amina) is not None


# --------------------------------------------------------------------------- revisions


def test_a_rejection_of_a_newer_revision_holds_against_stale_frames(
    app: Flask, store: Store
) -> None:
    with app.app_context():
        session = get_session()
        amina, wanted_amina, children, wanted = proposed_pair(session, store)
        stale_children, stale_wanted = frames(session, [amina], [wanted_amina])
        session.commit()
        # the child is edited (revision 2), rescored, and a caseworker rejects the pair
        session.execute(
            update(ChildRegistration).where(ChildRegistration.id == amina.id).values(revision=2)
        )
        session.execute(
            update(PotentialMatch)
            .where(PotentialMatch.child_id == amina.id)
            .values(
                status=MatchStatus.REJECTED.value,
                reject_reason="met the family",
                child_revision=2,
            )
        )
        session.commit()
        counts = write(
            session,
            ranked((wanted_amina, amina, 0.8)),
            stale_children,
            stale_wanted,
            [wanted_amina],
        )
        assert counts == {"proposed": 0, "updated": 0, "withdrawn": 0}
        match = stored(session, amina, wanted_amina)
        assert match and match.status == MatchStatus.REJECTED.value and match.child_revision == 2

        # a newer revision than the rejected one brings the pair back
        session.execute(
            update(ChildRegistration).where(ChildRegistration.id == amina.id).values(revision=3)
        )
        session.commit()
        children, wanted = frames(session, [amina], [wanted_amina])
        counts = write(
            session, ranked((wanted_amina, amina, 0.8)), children, wanted, [wanted_amina]
        )
        assert counts == {"proposed": 0, "updated": 1, "withdrawn": 0}
        match = stored(session, amina, wanted_amina)
        assert match and match.status == MatchStatus.PROPOSED.value and match.child_revision == 3
        assert match.reject_reason is None


def test_a_proposal_scored_on_newer_revisions_is_not_overwritten(app: Flask, store: Store) -> None:
    with app.app_context():
        session = get_session()
        amina = child(session, store.registrar, "Amina")
        wanted_amina = sought(session, store.registrar, "Amina")
        stale_children, stale_wanted = frames(session, [amina], [wanted_amina])
        session.commit()
        # edited after the bulk run loaded it, and matched again in real time
        session.execute(
            update(ChildRegistration).where(ChildRegistration.id == amina.id).values(revision=2)
        )
        session.commit()
        children, wanted = frames(session, [amina], [wanted_amina])
        write(session, ranked((wanted_amina, amina, 0.9)), children, wanted, [wanted_amina])
        counts = write(
            session,
            ranked((wanted_amina, amina, 0.3)),
            stale_children,
            stale_wanted,
            [wanted_amina],
        )
        assert counts == {"proposed": 0, "updated": 0, "withdrawn": 0}
        match = stored(session, amina, wanted_amina)
        assert match and match.score == pytest.approx(0.9) and match.child_revision == 2


def test_a_rerun_updates_nothing(app: Flask, store: Store) -> None:
    with app.app_context():
        session = get_session()
        amina = child(session, store.south_caseworker, "Amina")
        wanted_amina = sought(session, store.registrar, "Amina")
        children, wanted = frames(session, [amina], [wanted_amina])
        pairs = ranked((wanted_amina, amina, 0.8))
        assert write(session, pairs, children, wanted, [wanted_amina])["proposed"] == 1
        assert write(session, pairs, children, wanted, [wanted_amina]) == {
            "proposed": 0,
            "updated": 0,
            "withdrawn": 0,
        }


def test_a_score_moved_by_rounding_only_is_not_rewritten(app: Flask, store: Store) -> None:
    """Re-scoring a candidate next to a new registration moves its score by ~1e-9: no
    row update for that; a real change of score is written."""
    with app.app_context():
        session = get_session()
        amina, wanted_amina, children, wanted = proposed_pair(session, store)
        noise = write(
            session, ranked((wanted_amina, amina, 0.8 + 1e-9)), children, wanted, [wanted_amina]
        )
        assert noise["updated"] == 0
        moved = write(
            session, ranked((wanted_amina, amina, 0.81)), children, wanted, [wanted_amina]
        )
        assert moved["updated"] == 1
        session.expire_all()
        match = stored(session, amina, wanted_amina)
        assert match is not None and match.score == pytest.approx(0.81)


def test_no_new_proposal_for_a_sought_child_matched_since_loading(app: Flask, store: Store) -> None:
    """A bulk run's frames still hold a sought child confirmed meanwhile: its new pairs
    are not proposed, nor those of a child whose case closed."""
    with app.app_context():
        session = get_session()
        amina = child(session, store.registrar, "Amina")
        amna = child(session, store.registrar, "Amna")
        wanted_amina = sought(session, store.registrar, "Amina")
        children, wanted = frames(session, [amina, amna], [wanted_amina])
        session.add(
            PotentialMatch(
                child_id=amina.id,
                sought_child_id=wanted_amina.id,
                score=0.9,
                evidence={},
                engine_version="test",
                status="confirmed",
            )
        )
        session.commit()
        counts = write(session, ranked((wanted_amina, amna, 0.6)), children, wanted, [wanted_amina])
        assert counts["proposed"] == 0 and stored(session, amna, wanted_amina) is None
        other = sought(session, store.registrar, "Amna")
        children, wanted = frames(session, [amna], [other])
        amna.status = "closed"
        session.commit()
        assert write(session, ranked((other, amna, 0.6)), children, wanted, [other]) == {
            "proposed": 0,
            "updated": 0,
            "withdrawn": 0,
        }


# --------------------------------------------------------------------------- withdrawals


def test_a_proposal_written_after_loading_is_not_withdrawn(app: Flask, store: Store) -> None:
    with app.app_context():
        session = get_session()
        amina = child(session, store.registrar, "Amina")
        older = child(session, store.registrar, "Amna")
        wanted_amina = sought(session, store.registrar, "Amina")
        children, wanted = frames(session, [amina, older], [wanted_amina])
        write(session, ranked((wanted_amina, older, 0.4)), children, wanted, [wanted_amina])
        # the bulk run loads its frames...
        bulk_children, bulk_wanted = frames(session, [amina, older], [wanted_amina])
        session.commit()
        # ...then a registrar registers a child, matched in real time (another session)
        other = app.extensions["ftr.sessionmaker"]()
        try:
            newcomer = child(other, store.registrar, "Aminah")
            fresh_children, fresh_wanted = frames(other, [newcomer, older], [wanted_amina])
            write(
                other,
                ranked((wanted_amina, newcomer, 0.7), (wanted_amina, older, 0.45)),
                fresh_children,
                fresh_wanted,
                [wanted_amina],
            )
        finally:
            other.close()
        # the bulk run's ranking knows neither the newcomer nor, now, the older candidate
        counts = write(
            session, ranked((wanted_amina, amina, 0.8)), bulk_children, bulk_wanted, [wanted_amina]
        )
        assert counts == {"proposed": 1, "updated": 0, "withdrawn": 0}
        assert stored(session, newcomer, wanted_amina) is not None
        # the older candidate was re-scored after the frames were loaded: kept as well
        assert stored(session, older, wanted_amina) is not None
        # a later run, whose frames hold the newcomer, does withdraw what it no longer ranks
        children, wanted = frames(session, [amina, older, newcomer], [wanted_amina])
        counts = write(
            session, ranked((wanted_amina, amina, 0.8)), children, wanted, [wanted_amina]
        )
        assert counts == {"proposed": 0, "updated": 0, "withdrawn": 2}


def test_real_time_matching_withdraws_a_former_candidate(app: Flask, store: Store) -> None:
    # An inquiry edited so that a former candidate is no longer retrieved: frames loaded
    # in the same transaction, without that candidate, still withdraw its proposal, even
    # one written earlier in the very same transaction.
    with app.app_context():
        session = get_session()
        amina = child(session, store.registrar, "Amina")
        former = child(session, store.registrar, "Amna")
        earlier = child(session, store.registrar, "Emina")
        wanted_amina = sought(session, store.registrar, "Amina")
        children, wanted = frames(session, [former], [wanted_amina])
        write(session, ranked((wanted_amina, former, 0.6)), children, wanted, [wanted_amina])
        # one transaction from here on: a first write, then frames loaded again
        children, wanted = frames(session, [former, earlier], [wanted_amina])
        proposal_writes.write_proposals(
            session,
            ranked((wanted_amina, former, 0.6), (wanted_amina, earlier, 0.5)),
            children,
            wanted,
            [wanted_amina.id],
            "test",
            model_id=None,
        )
        children, wanted = frames(session, [amina], [wanted_amina])
        counts = proposal_writes.write_proposals(
            session,
            ranked((wanted_amina, amina, 0.8)),
            children,
            wanted,
            [wanted_amina.id],
            "t",
            model_id=None,
        )
        session.commit()
        assert counts == {"proposed": 1, "updated": 0, "withdrawn": 2}
        assert stored(session, former, wanted_amina) is None
        assert stored(session, earlier, wanted_amina) is None


def test_an_explicit_load_time_wins(app: Flask, store: Store) -> None:
    with app.app_context():
        session = get_session()
        amina = child(session, store.registrar, "Amina")
        wanted_amina = sought(session, store.registrar, "Amina")
        before = store_frames.database_clock(session)
        children, wanted = frames(session, [amina], [wanted_amina])
        stamp = store_frames.frames_loaded_at(children, wanted)
        assert stamp is not None and stamp > before
        write(session, ranked((wanted_amina, amina, 0.8)), children, wanted, [wanted_amina])
        nothing = ranked()
        # frames loaded before the proposal was written: they do not withdraw it
        counts = write(session, nothing, children, wanted, [wanted_amina], loaded_at=before)
        assert counts["withdrawn"] == 0
        counts = write(session, nothing, children, wanted, [wanted_amina])
        assert counts["withdrawn"] == 0
        counts = write(
            session,
            nothing,
            children,
            wanted,
            [wanted_amina],
            loaded_at=store_frames.database_clock(session),
        )
        assert counts["withdrawn"] == 1


def test_frames_of_unknown_age_withdraw_what_earlier_transactions_wrote(
    app: Flask, store: Store
) -> None:
    with app.app_context():
        session = get_session()
        _amina, wanted_amina, children, wanted = proposed_pair(session, store)
        children.attrs.clear()
        wanted.attrs.clear()
        assert store_frames.frames_loaded_at(children, wanted) is None
        # the transaction's start stands in for the load time
        counts = write(session, ranked(), children, wanted, [wanted_amina])
        assert counts == {"proposed": 0, "updated": 0, "withdrawn": 1}


def invoke(runner: FlaskCliRunner, *args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_a_bulk_run_keeps_a_real_time_proposal_made_while_it_ran(
    app: Flask, runner: FlaskCliRunner, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoke(runner, "import", "children", str(SAMPLES / "children.csv"), "--no-match")
    invoke(runner, "import", "requests", str(SAMPLES / "requests.csv"), "--no-match")
    invoke(runner, "match")
    with app.app_context():
        target = (
            get_session()
            .scalars(
                select(PotentialMatch.sought_child_id)
                .order_by(PotentialMatch.score.desc())
                .limit(1)
            )
            .one()
        )
    made: list[int] = []
    load_sought = store_frames.open_sought

    def open_sought_then_register(session: Session, **options: Any) -> pd.DataFrame:
        frame = load_sought(session, **options)
        # a registrar registers a child while the bulk run ranks: matched in real time
        other = app.extensions["ftr.sessionmaker"]()
        try:
            newcomer = child(other, store.registrar, "Zzyzx", "Qwerty")
            other.add(
                PotentialMatch(
                    child_id=newcomer.id,
                    sought_child_id=target,
                    score=0.5,
                    evidence={},
                    engine_version="test",
                )
            )
            other.commit()
            made.append(newcomer.id)
        finally:
            other.close()
        return frame

    monkeypatch.setattr(store_frames, "open_sought", open_sought_then_register)
    with app.app_context():
        summary = jobs.match_all(get_session(), chunk_size=50)
        assert summary.chunks > 1 and made
        kept = (
            get_session()
            .scalars(select(PotentialMatch).where(PotentialMatch.child_id == made[0]))
            .one_or_none()
        )
        assert kept is not None and kept.sought_child_id == target
        # and the run wrote live agencies throughout
        wrong = get_session().scalar(
            text(
                "SELECT count(*) FROM potential_match pm"
                " JOIN child_registration c ON c.id = pm.child_id"
                " JOIN sought_child s ON s.id = pm.sought_child_id"
                " JOIN inquiry i ON i.id = s.inquiry_id"
                " WHERE pm.child_agency_id <> c.agency_id OR pm.sought_agency_id <> i.agency_id"
            )
        )
        assert wrong == 0


# --------------------------------------------------------------------------- consent given again


def test_a_match_closed_by_a_withdrawal_comes_back_with_the_consent(
    app: Flask, store: Store
) -> None:
    """Consent to tracing withdrawn closes the open match (superseded, as of the records'
    revisions); given again, the next matching proposes the pair again."""
    from tracing.registrations import services as registrations

    with app.app_context():
        session = get_session()
        amina = child(session, store.registrar, "Amina")
        wanted_amina = sought(session, store.registrar, "Amina")
        children, wanted = frames(session, [amina], [wanted_amina])
        write(session, ranked((wanted_amina, amina, 0.8)), children, wanted, [wanted_amina])
        registrar = session.get(User, store.registrar)
        assert registrar
        cells = {"given_name": "Amina", "family_name": "Yousif"}
        registrations.update_child(session, registrar, amina, cells, {"consent_tracing": False})
        match = stored(session, amina, wanted_amina)
        assert match and match.status == MatchStatus.SUPERSEDED.value
        children, wanted = frames(session, [amina], [wanted_amina])
        counts = write(
            session, ranked((wanted_amina, amina, 0.8)), children, wanted, [wanted_amina]
        )
        assert counts["proposed"] == counts["updated"] == 0  # no consent: nothing
        registrations.update_child(session, registrar, amina, cells, {"consent_tracing": True})
        children, wanted = frames(session, [amina], [wanted_amina])
        counts = write(
            session, ranked((wanted_amina, amina, 0.8)), children, wanted, [wanted_amina]
        )
        assert counts["updated"] == 1
        match = stored(session, amina, wanted_amina)
        assert match and match.status == MatchStatus.PROPOSED.value


# --------------------------------------------------------------------------- the ranking


def ranking(session: Session, s: SoughtChild) -> list[tuple[int, int, float]]:
    """(child id, rank, score) of a sought child's stored ranking, best first."""
    session.expire_all()
    return [
        (r.child_id, r.rank, r.score)
        for r in session.scalars(
            select(RankedCandidate)
            .where(RankedCandidate.sought_child_id == s.id)
            .order_by(RankedCandidate.rank)
        )
    ]


def test_the_ranking_keeps_candidates_below_the_floor_and_proposes_only_above(
    app: Flask, store: Store
) -> None:
    below = proposal_writes.MIN_PROPOSAL_SCORE / 2
    with app.app_context():
        session = get_session()
        amina = child(session, store.registrar, "Amina")
        amna = child(session, store.registrar, "Amna")
        wanted = sought(session, store.registrar, "Amina")
        children, frame = frames(session, [amina, amna], [wanted])
        write(
            session, ranked((wanted, amina, 0.8), (wanted, amna, below)), children, frame, [wanted]
        )
        assert ranking(session, wanted) == [(amina.id, 1, 0.8), (amna.id, 2, below)]
        assert stored(session, amina, wanted) is not None
        assert stored(session, amna, wanted) is None
        # the next pass puts Amina below the floor: her proposal goes, her rank stays
        children, frame = frames(session, [amina, amna], [wanted])
        write(
            session, ranked((wanted, amna, 0.3), (wanted, amina, below)), children, frame, [wanted]
        )
        assert ranking(session, wanted) == [(amna.id, 1, 0.3), (amina.id, 2, below)]
        assert stored(session, amina, wanted) is None
        proposal = stored(session, amna, wanted)
        assert proposal is not None and proposal.status == MatchStatus.PROPOSED.value


def test_the_ranking_keeps_the_top_ten_and_leaves_out_what_consent_forbids(
    app: Flask, store: Store
) -> None:
    with app.app_context():
        session = get_session()
        candidates = [child(session, store.registrar, f"Amina{n}") for n in range(11)]
        private = child(session, store.registrar, "Aminah", consent_tracing=False)
        wanted = sought(session, store.registrar, "Amina")
        children, frame = frames(session, [*candidates, private], [wanted])
        pairs = [(wanted, private, 0.9)] + [
            (wanted, c, 0.5 - n / 100) for n, c in enumerate(candidates)
        ]
        write(session, ranked(*pairs), children, frame, [wanted])
        # the child without consent is neither proposed nor ranked; ranks count again
        assert stored(session, private, wanted) is None
        assert ranking(session, wanted) == [
            (c.id, n + 1, 0.5 - n / 100)
            for n, c in enumerate(candidates[: proposal_writes.TOP_K - 1])
        ]


def test_a_bulk_run_keeps_a_real_time_rank_made_while_it_ran(app: Flask, store: Store) -> None:
    with app.app_context():
        session = get_session()
        amina = child(session, store.registrar, "Amina")
        wanted = sought(session, store.registrar, "Amina")
        children, frame = frames(session, [amina], [wanted])  # the bulk run loads
        late = child(session, store.registrar, "Aminaa")  # registered and ranked meanwhile
        late_children, late_frame = frames(session, [late], [wanted])
        write(session, ranked((wanted, late, 0.6)), late_children, late_frame, [wanted])
        write(session, ranked((wanted, amina, 0.7)), children, frame, [wanted])
        assert ranking(session, wanted) == [(amina.id, 1, 0.7), (late.id, 2, 0.6)]
