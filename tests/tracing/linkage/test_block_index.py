"""The engine's blocking in the store: a newly filed inquiry meets, through the keys kept
in the store, exactly the candidates `ftr link`'s blocking keeps for it."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from matching import Linker
from matching import candidates as cand
from matching.linker import _make_session
from models import (
    CLOSED_STATUSES,
    ChildBlockKey,
    ChildBlockProfile,
    ChildRegistration,
    RankedCandidate,
    SoughtChild,
    User,
)
from tracing.casework import services as casework
from tracing.cli import cli
from tracing.db import get_session
from tracing.inquiries import services as inquiry_services
from tracing.linkage import block_index, fitted_engines, store_frames
from tracing.registrations import services as registrations

SAMPLES = Path(__file__).resolve().parents[3] / "data" / "samples"


def invoke(runner: FlaskCliRunner, *args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def fitted(session: Session) -> Linker:
    """The engine `ftr match` fitted and stored."""
    current = fitted_engines.current_linker(session)
    assert current is not None
    return current[1]


def registrar_and_helpdesk(session: Session, users: dict[str, int]) -> tuple[User, User]:
    """The field registrar who registers a child and the help desk that files for it."""
    return session.get_one(User, users["registrar"]), session.get_one(User, users["helpdesk"])


@pytest.fixture
def matched_samples(runner: FlaskCliRunner) -> None:
    """The samples imported, then `ftr match`: the engine fitted, every record keyed."""
    invoke(runner, "import", "children", str(SAMPLES / "children.csv"), "--no-match")
    invoke(runner, "import", "requests", str(SAMPLES / "requests.csv"), "--no-match")
    assert "new proposals" in invoke(runner, "match")


def test_an_inquiry_meets_through_the_store_the_candidates_of_ftr_links_blocking(
    app: Flask, matched_samples: None
) -> None:
    with app.app_context():
        session = get_session()
        linker = fitted(session)
        children = store_frames.open_children(session)
        sought = store_frames.open_sought(session)
        keyed = session.scalar(select(func.count(func.distinct(ChildBlockKey.child_id))))
        assert keyed == len(children)
        # ftr link's blocking over the same records, in memory
        sess, _ = _make_session(
            children, sought, linker._variants(), linker.tf, linker.compounds, linker.spellings
        )
        si, ci, _pre = cand.candidate_pairs(
            sess.vocab,
            sess.s,
            sess.c,
            max_per_sought=linker.max_per_sought,
            c_ref_rank=sess.c_ref_rank(),
            separation=linker.separation,
        )
        expected = set(
            zip(sess.s.ref[si].astype(str), children["id"].to_numpy()[ci].tolist(), strict=True)
        )
        found: set[tuple[str, int]] = set()
        for _inquiry, family in sought.groupby("inquiry_id"):
            pairs, _pool = block_index.family_candidates(
                session, linker, family.reset_index(drop=True)
            )
            found |= set(zip(pairs["request_ref"], pairs["child_id"].astype(int), strict=True))
        assert len(expected) > 20_000
        assert found == expected


def test_a_child_read_alone_is_keyed_as_among_the_whole_caseload(
    app: Flask, matched_samples: None
) -> None:
    with app.app_context():
        session = get_session()
        linker = fitted(session)
        children = store_frames.open_children(session)
        whole = linker.blocking_view(children, sought=False)
        for row in (0, 17, 400, len(children) - 1):
            alone = linker.blocking_view(children.iloc[[row]].reset_index(drop=True), sought=False)
            assert set(alone.keys[1].tolist()) == set(whole.keys[1][whole.keys[0] == row].tolist())
        # and the store holds those keys, written by `ftr match`
        stored = set(
            session.scalars(
                select(ChildBlockKey.key).where(ChildBlockKey.child_id == int(children["id"][0]))
            )
        )
        assert stored == set(whole.keys[1][whole.keys[0] == 0].tolist())


def test_a_registration_is_keyed_and_an_inquiry_filed_later_finds_it(
    app: Flask, matched_samples: None, users: dict[str, int]
) -> None:
    cells = {
        "given_name": "Kaltouma",
        "family_name": "Haggar Brahim",
        "sex": "female",
        "age": "6",
        "mother_name": "Zenaba Idriss",
        "separation_place": "Adré",
    }
    with app.app_context():
        session = get_session()
        registrar, helpdesk = registrar_and_helpdesk(session, users)
        child, _ = registrations.register_child(session, registrar, cells, {})
        keys = session.scalar(
            select(func.count())
            .select_from(ChildBlockKey)
            .where(ChildBlockKey.child_id == child.id)
        )
        assert keys and keys > 5
        inquiry, _ = inquiry_services.file_inquiry(
            session,
            helpdesk,
            {"inquirer_name": "Zenaba Idriss", "inquirer_relationship": "mother"},
            [({**cells, "given_name": "Kaltuma", "family_name": "Haggar"}, {})],
        )
        sought_id = inquiry.sought_children[0].id
        first = session.scalars(
            select(RankedCandidate.child_id).where(
                RankedCandidate.sought_child_id == sought_id, RankedCandidate.rank == 1
            )
        ).one()
        assert first == child.id
        # a correction keys the child again: the given name's keys change, the family's stay
        before = set(
            session.scalars(select(ChildBlockKey.key).where(ChildBlockKey.child_id == child.id))
        )
        registrations.update_child(session, registrar, child, {**cells, "given_name": "Achta"}, {})
        after = set(
            session.scalars(select(ChildBlockKey.key).where(ChildBlockKey.child_id == child.id))
        )
        assert before != after and before & after  # the family name stays


def test_closed_children_are_no_candidates(app: Flask, matched_samples: None) -> None:
    """A child closed while it still holds keys (a case closed by hand) is dropped from
    the pairs that can be kept, and the next best take its place, as if it never was."""
    keep = 2  # so that each sought child has more candidates than are kept
    with app.app_context():
        session = get_session()
        linker = fitted(session)
        sought = store_frames.open_sought(session)
        family = sought[sought["inquiry_id"] == sought["inquiry_id"].iloc[0]].reset_index(drop=True)
        before, _pool = block_index.family_candidates(
            session, linker, family, max_per_sought=keep + 1
        )
        assert before.groupby("request_ref").size().max() == keep + 1
        closed = int(before["child_id"].iloc[0])  # the first sought child's best
        session.execute(
            text("UPDATE child_registration SET status = 'closed' WHERE id = :id"), {"id": closed}
        )
        after, pool_after = block_index.family_candidates(
            session, linker, family, max_per_sought=keep
        )
        expected = before[before["child_id"] != closed].groupby("request_ref").head(keep)
        assert closed not in pool_after
        assert after.values.tolist() == expected.values.tolist()
        session.rollback()


def test_a_closed_case_leaves_the_blocks_and_ftr_match_forgets_those_closed_meanwhile(
    app: Flask, matched_samples: None, runner: FlaskCliRunner
) -> None:
    """`ftr link` counts the open children only in its blocks (and its N): a closed case's
    keys go when it is closed, and `ftr match` drops any closed another way since."""
    with app.app_context():
        session = get_session()
        actor = session.scalars(select(User)).first()
        if actor is None:
            from tracing.accounts import services as accounts

            actor = accounts.create_user(
                session, "close@north.example", "supervisor", "North", "x" * 12
            )
        kept = session.scalars(select(ChildBlockKey.child_id).distinct().limit(2)).all()
        closed_by_casework, closed_by_hand = kept
        casework.close_case(
            session,
            actor,
            session.get_one(ChildRegistration, closed_by_casework),
            "the family was found",
            ip=None,
        )
        held = set(session.scalars(select(ChildBlockKey.child_id).distinct()))
        assert closed_by_casework not in held and closed_by_hand in held
        session.execute(
            text("UPDATE child_registration SET status = 'closed' WHERE id = :id"),
            {"id": closed_by_hand},
        )
        session.commit()
    invoke(runner, "match")
    with app.app_context():
        session = get_session()
        held = set(session.scalars(select(ChildBlockKey.child_id).distinct()))
        profiles = session.scalar(select(func.count()).select_from(ChildBlockProfile))
        open_children = session.scalar(
            select(func.count())
            .select_from(ChildRegistration)
            .where(ChildRegistration.status.not_in(CLOSED_STATUSES))
        )
        assert closed_by_hand not in held and closed_by_casework not in held
        assert profiles == open_children
        assert block_index.keyed_children(session) == open_children


def test_the_keys_signature_follows_the_caseloads_spellings(
    app: Flask, matched_samples: None
) -> None:
    # a misspelling's key is its representative's, which the caseload's counts decide:
    # a model with other counts keys records otherwise, and must key them again
    with app.app_context():
        linker = fitted(get_session())
        assert linker.spellings is not None
        saved = linker.to_dict()
        assert Linker.from_dict(saved).key_signature == linker.key_signature
        saved["spellings"] = {**saved["spellings"], "ikhlas": 10_000}
        assert Linker.from_dict(saved).key_signature != linker.key_signature


def test_a_registration_does_not_touch_a_sought_child_found_already(
    app: Flask, matched_samples: None, users: dict[str, int]
) -> None:
    with app.app_context():
        session = get_session()
        linker = fitted(session)
        sought = store_frames.open_sought(session)
        target = sought.iloc[[0]].reset_index(drop=True)
        # a registration written as the sought child is written
        child = target.drop(columns=["inquiry_ref", "inquirer_name", "inquirer_relationship"])
        child = child.assign(id=-1, ref="CH-TEST", registration_date=target["request_date"])
        view = linker.blocking_view(child, sought=False)
        assert int(target["id"][0]) in block_index.touched_sought(session, linker, view)
        session.execute(
            text("UPDATE sought_child SET status = 'closed' WHERE id = :id"),
            {"id": int(target["id"][0])},
        )
        assert int(target["id"][0]) not in block_index.touched_sought(session, linker, view)
        session.rollback()


# Each hard case: how the child was registered, and how its family asked for it
HARD_CASES = {
    "patronymic": (
        {
            "given_name": "Oleksandr",
            "family_name": "Kovalenko",
            "other_names": "Ivanovych",
            "sex": "male",
            "age": "9",
            "separation_place": "Kharkiv",
        },
        {
            "given_name": "Aleksandr",
            "family_name": "Kovalenko",
            "sex": "male",
            "age": "8",
            "father_name": "Ivan Kovalenko",
            "separation_place": "Kharkiv",
        },
    ),
    "pet name": (
        {"given_name": "Pov", "sex": "female", "age": "3", "separation_place": "Poipet"},
        {
            "given_name": "Sreyneang",
            "family_name": "Chan",
            "sex": "female",
            "age": "3",
            "separation_place": "Poipet",
        },
    ),
    "compound name": (
        {"given_name": "Sreypov", "family_name": "Chea", "sex": "female", "age": "7"},
        {"given_name": "Srey Pov", "family_name": "Chea", "sex": "female", "age": "7"},
    ),
    "cross-script": (
        {
            "given_name": "محمد",
            "family_name": "إسماعيل",
            "sex": "male",
            "age": "6",
            "father_name": "إسماعيل عثمان",
        },
        {
            "given_name": "Mohamed",
            "family_name": "Ismail",
            "sex": "male",
            "age": "6",
            "father_name": "Ismail Osman",
        },
    ),
}


@pytest.mark.parametrize("case", sorted(HARD_CASES))
def test_each_hard_case_is_retrieved_through_the_store(
    app: Flask, matched_samples: None, users: dict[str, int], case: str
) -> None:
    """A child registered one way and sought another (issue 18's hard cases) is among the
    candidates real-time matching retrieves for the new inquiry, and in its ranking."""
    registered, sought_cells = HARD_CASES[case]
    with app.app_context():
        session = get_session()
        registrar, helpdesk = registrar_and_helpdesk(session, users)
        child, _ = registrations.register_child(session, registrar, registered, {})
        inquiry, _ = inquiry_services.file_inquiry(
            session, helpdesk, {"inquirer_name": "A relative"}, [(sought_cells, {})]
        )
        sought_id = inquiry.sought_children[0].id
        family = store_frames.load_frame(
            session, store_frames.sought_query().where(SoughtChild.id == sought_id)
        ).drop(columns=["id"])  # looked up, not keyed again
        _pairs, pool = block_index.family_candidates(session, fitted(session), family)
        assert child.id in pool
        ranked = session.scalars(
            select(RankedCandidate.child_id).where(RankedCandidate.sought_child_id == sought_id)
        ).all()
        assert child.id in ranked
