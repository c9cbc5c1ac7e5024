"""Blocking (which candidates a sought child keeps when it may keep only a few) and the
compounds joined before it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from matching import candidates as cand
from matching.linker import _make_session, _variant_table
from matching.records import Compounds
from matching.score import SEGMENTS


def _kept(children: list[dict[str, str]], sought: dict[str, str], k: int) -> list[str]:
    cdf = pd.DataFrame([{"ref": f"C{i:03d}", **row} for i, row in enumerate(children)])
    sdf = pd.DataFrame([{"ref": "R1", **sought}])
    sess, _ = _make_session(cdf, sdf, _variant_table([]), None)
    _si, ci, _w = cand.candidate_pairs(sess.vocab, sess.s, sess.c, max_per_sought=k)
    return [str(sess.c.ref[i]) for i in ci]


BASE = {"given_name": "Mohammed", "sex": "male", "age": "6"}


def test_the_child_separated_on_the_same_days_is_kept_among_name_alikes() -> None:
    # forty boys of the same name and age, separated months to years before the sought one
    children = [{**BASE, "separation_date": f"{2020 + i % 4}-0{1 + i % 9}-10"} for i in range(40)]
    children.append({**BASE, "separation_date": "2024-06-12"})  # C040: two days apart
    sought = {**BASE, "separation_date": "2024-06-10"}
    assert _kept(children, sought, 3)[0] == "C040"
    # without a date on the sought side nothing tells them apart: the ref order decides
    assert "C040" not in _kept(children, {**BASE}, 3)


def test_a_distant_separation_point_moves_a_name_alike_down() -> None:
    near = {**BASE, "separation_lat": "12.05", "separation_lon": "24.88"}
    far = {**BASE, "separation_lat": "15.60", "separation_lon": "32.53"}  # ~800 km away
    children = [far] * 10 + [BASE] * 10  # C000-C009 far, C010-C019 without a point
    kept = _kept(children, near, 10)
    assert sorted(kept) == [f"C{i:03d}" for i in range(10, 20)]


def test_separation_weights_never_reward_a_larger_gap() -> None:
    # a u that dips at a large gap (few random pairs a year apart) must not make that
    # gap look better than a smaller one, and a near point is a key, never a bonus here
    u = np.array([0.02, 0.05, 0.30, 0.60, 0.03])
    u_rec = np.array([0.01, 0.04, 0.2, 0.2, 0.05, 0.05, 0.15, 0.25, 0.05])
    w = cand.SeparationWeights.from_u(u, u, u_rec)
    assert np.all(np.diff(w.sep_date) <= 0) and w.sep_date[0] > 0
    assert np.all(np.diff(w.place) <= 0) and np.all(w.place <= 0)
    assert w.sep_date[4] == w.sep_date[3]
    for lo, hi in SEGMENTS["record_dates"]:
        assert np.all(np.diff(w.record_dates[lo:hi]) <= 0) and w.record_dates[lo] > 0
    assert w.record_dates[8] == w.record_dates[7]


def test_a_child_registered_days_after_the_separation_is_kept_among_name_alikes() -> None:
    # a minimal record (name, sex, age): only its registration date, right after the
    # separation the family gives, sets it apart from name-alikes registered years apart
    # (no age: a stated age at another date would tell them apart on its own)
    base = {"given_name": "Mohammed", "sex": "male"}
    children = [{**base, "registration_date": f"{2020 + i % 3}-0{1 + i % 9}-10"} for i in range(40)]
    children.append({**base, "registration_date": "2024-06-20"})  # C040
    sought = {**base, "separation_date": "2024-06-10", "request_date": "2024-07-01"}
    assert _kept(children, sought, 3)[0] == "C040"
    # a family that lost the child after the registration: nothing tells them apart
    assert "C040" not in _kept(children, {**sought, "separation_date": "2025-01-10"}, 3)


def _tokens(
    children: list[str], sought: list[str], known: Compounds | None = None
) -> list[list[str]]:
    """The name tokens of each record of a session, children first; a name "A|B" is
    given name A and family name B."""

    def frame(prefix: str, names: list[str]) -> pd.DataFrame:
        rows = []
        for i, name in enumerate(names):
            given, _, family = name.partition("|")
            rows.append({"ref": f"{prefix}{i}", "given_name": given, "family_name": family})
        return pd.DataFrame(rows)

    sess, _ = _make_session(
        frame("C", children), frame("R", sought), _variant_table([]), None, known
    )
    return [
        [sess.vocab.tokens[t] for t in row if t >= 0]
        for rec in (sess.c, sess.s)
        for row in rec.name
    ]


def test_a_compound_written_apart_is_joined_where_the_data_has_it_joined() -> None:
    children = ["Bunhour|Sok", "Bunhour", "Sokhnich", "Sokhnich|Kim"]
    got = _tokens(children, ["Bun Hour", "Sokh-Nich"])
    assert got[-2:] == [["bunhour"], ["sokhnich"]]
    # nobody writes it joined here: its parts stay apart, unless a fitted model saw it joined
    assert _tokens(["Bun Hour"], ["Dara"]) == [["bun", "hour"], ["dara"]]
    assert _tokens(["Bun Hour"], ["Dara"], {"bunhour": ("bun", "hour")})[0] == ["bunhour"]
    assert _tokens(["Bun Hour"], ["Bunhour"], {})[0] == ["bun", "hour"]  # the model's table only


def test_compounds_join_only_within_a_field_and_on_more_than_one_record() -> None:
    # given Sok, family Chea are two names, however many records say "Sokchea"
    got = _tokens(["Sok|Chea", "Sokchea", "Sokchea|Lim"], ["Chea|Sok"])
    assert got[0] == ["sok", "chea"] and got[-1] == ["chea", "sok"]
    # one record with a missing space does not join every Mohamed Ali
    assert _tokens(["Mohamed Ali|Adam", "Mohamedali"], ["Ali Mohamed"])[0] == [
        "mohamed",
        "ali",
        "adam",
    ]


def test_compounds_normalisation_joins_are_left_to_it() -> None:
    # "Abd Allah" apart is still the one name Abdallah; "Srey Mom" is Sreymom
    got = _tokens(["Abdallah Musa", "Sreymom", "Abdallah"], ["Abd Allah Musa", "Srey Mom"])
    assert got[-2:] == [["abdallah", "musa"], ["sreymom"]]
    # two-letter syllables are not taken for parts
    assert _tokens(["Na Ra", "Nara", "Nara"], ["Dara"])[0] == ["na", "ra"]


def test_a_child_known_by_one_part_of_a_compound_name_is_a_candidate() -> None:
    # Sreypov shares no key of its own with Pov: the compound's parts are keys too
    children = [{"given_name": "Pov", "sex": "female"}] + [
        {"given_name": name, "sex": "female"} for name in ("Bopha", "Sokha", "Mom") * 5
    ]
    assert "C000" in _kept(children, {"given_name": "Srey Pov", "sex": "female"}, 5)
    assert "C000" in _kept([{"given_name": "Sreypov"}], {"given_name": "Pov"}, 5)


def test_a_child_known_by_a_pet_name_only_is_a_candidate_of_its_age_and_sex() -> None:
    # a small child registered as "Toch" (small) or "A Pov" (the youngest), the names its
    # family used at home; the family asks for Dara Sok
    girl = {"sex": "female", "age": "3"}
    children = [
        {**girl, "given_name": "Toch"},  # C000
        {**girl, "given_name": "A Pov"},  # C001
        {**girl, "given_name": "ពៅ"},  # C002: Pov in Khmer script
        {"sex": "male", "age": "3", "given_name": "Toch"},  # C003: a boy
        {**girl, "given_name": "Toch", "family_name": "Chan"},  # C004: a name besides
        {**girl, "given_name": "Bopha"},  # C005: another girl's name
        {"sex": "female", "age": "14", "given_name": "Toch"},  # C006: not of her age
        {**girl, "given_name": "Vy", "family_name": "Touch"},  # C007: a family name
    ]
    kept = _kept(children, {**girl, "given_name": "Dara", "family_name": "Sok"}, 10)
    assert sorted(kept) == ["C000", "C001", "C002"]
    # a sought child of unknown sex may be either
    assert sorted(_kept(children, {"age": "3", "given_name": "Dara"}, 10)) == [
        "C000",
        "C001",
        "C002",
        "C003",
    ]


def test_the_inquirers_family_name_written_as_the_childs_brings_the_child_in() -> None:
    # twenty boys called Mohammed Ahmed; the one registered under his grandmother's
    # family name (the help desk wrote the inquirer's) shares only the given name with
    # the request's child, and is kept because the request's inquirer carries that name
    children = [{**BASE, "family_name": "Ahmed"} for _ in range(20)]
    children.append({**BASE, "family_name": "Haggar"})  # C020
    sought = {
        **BASE,
        "family_name": "Ahmed",
        "inquirer_name": "Hawa Haggar",
        "inquirer_relationship": "grandmother",
        "inquiry_ref": "I1",
    }
    assert "C020" in _kept(children, sought, 5)
    # without the inquirer, nothing sets C020 apart from the Ahmeds
    plain = {k: v for k, v in sought.items() if not k.startswith("inquirer")}
    assert "C020" not in _kept(children, plain, 5)


def test_a_kin_name_the_sought_child_carries_counts_once() -> None:
    # a Sudanese child carries the father's names: the father "Ahmed Ali" of a sought
    # "Mohammed Ahmed Ali" says nothing about a registered "Mohammed Ali" beyond the
    # name's own keys (twenty other children make the shared keys rare enough to weigh)
    fillers = [{**BASE, "given_name": "Yusuf", "family_name": f"Name{i:02d}"} for i in range(20)]
    children = pd.DataFrame(
        [
            {"ref": f"C{i:03d}", **row}
            for i, row in enumerate([*fillers, {**BASE, "family_name": "Ali"}])
        ]
    )
    sought = {**BASE, "family_name": "Ahmed Ali", "inquiry_ref": "I1"}
    scores = []
    for father in ("", "Ahmed Ali", "Ali"):
        sdf = pd.DataFrame([{"ref": "R1", **sought, "father_name": father}])
        sess, _ = _make_session(children, sdf, _variant_table([]), None)
        _si, ci, w = cand.candidate_pairs(sess.vocab, sess.s, sess.c, max_per_sought=30)
        scores.append(float(w[list(sess.c.ref[ci]).index("C020")]))
    assert scores[0] == scores[1] == scores[2]


def _keys_of(records: list[dict[str, str]], sought: bool) -> dict[str, set[tuple[int, int]]]:
    """(key value, slot) of each record, keyed within these records only."""
    df = pd.DataFrame([{"ref": f"X{i}", **row} for i, row in enumerate(records)])
    empty = pd.DataFrame(columns=["ref", "given_name"])
    sess, _ = _make_session(
        empty if sought else df, df if sought else empty, _variant_table([]), None
    )
    r = sess.s if sought else sess.c
    rec, val, slot, _disc = cand._record_keys(
        r, cand._token_key_table(sess.vocab), sought, sess.vocab.part
    )
    out: dict[str, set[tuple[int, int]]] = {}
    for i, v, s in zip(rec, val, slot, strict=True):
        out.setdefault(str(r.ref[i]), set()).add((int(v), int(s)))
    return out


def test_a_records_block_keys_are_the_same_whatever_records_it_is_keyed_with() -> None:
    # the store keeps each record's keys as they were when it was written; real-time
    # matching meets them with keys made among other records: the values must agree
    amina = {
        "given_name": "Amina",
        "family_name": "Abdallah Yousif",
        "mother_name": "Fatima Ali",
        "father_name": "Yousif Adam",
        "inquirer_name": "Halima Adam",
        "sex": "f",
        "age": "7",
        "separation_lat": "13.45",
        "separation_lon": "22.44",
    }
    others = [
        {"given_name": "Mohammed", "family_name": "Ahmed", "father_name": "Ahmed Ibrahim"},
        {"given_name": "Sreypov", "family_name": "Chan", "sex": "f", "age": "4"},
    ]
    for sought in (True, False):
        alone = _keys_of([amina], sought)["X0"]
        among = _keys_of([*others, amina], sought)["X2"]
        assert alone == among and len(alone) > 15
    # and the two sides meet: the child's keys include the sought child's name keys
    assert {v for v, _ in _keys_of([amina], False)["X0"]} & {
        v for v, _ in _keys_of([amina], True)["X0"]
    }
