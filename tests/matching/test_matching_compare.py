"""Comparison levels of each field on hand-made pairs."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from matching.compare import (
    FIELD_INDEX,
    FIELDS,
    Comparison,
    TFArrays,
    TFTables,
    compare,
)
from matching.records import Vocab, build_records, tokenize_frame
from matching.variants import VariantTable


def _compare(child: dict[str, str], sought: dict[str, str]) -> dict[str, str]:
    comp = _comparison(child, sought)
    out = {}
    for spec in FIELDS:
        lv = int(comp.levels[0, FIELD_INDEX[spec.name]])
        out[spec.name] = spec.levels[lv] if lv >= 0 else ""
    return out


def _comparison(child: dict[str, str], sought: dict[str, str]) -> Comparison:
    cdf = pd.DataFrame([{"ref": "C1", **child}])
    sdf = pd.DataFrame([{"ref": "R1", **sought}])
    ct, st = tokenize_frame(cdf, sought=False), tokenize_frame(sdf, sought=True)
    v = Vocab(VariantTable())
    counts: Counter[str] = Counter()
    for lists in (ct.name, ct.mother, ct.father, st.name, st.mother, st.father):
        for toks in lists:
            for t in toks:
                v.add(t)
            counts.update(toks)
    for lists in (ct.kin, st.kin):  # in the vocabulary, as a session adds them
        for toks in lists:
            for t in toks:
                v.add(t)
    v.finalise(counts)
    places: dict[str, int] = {}
    langs: dict[str, int] = {}
    c = build_records(cdf, ct, v, places, langs, sought=False, default_ref_year=2025.0)
    s = build_records(sdf, st, v, places, langs, sought=True, default_ref_year=2025.0)
    tfa = TFArrays.build(v, TFTables.count(v, [c, s]))
    return compare(v, tfa, s, c, np.array([0], np.int32), np.array([0], np.int32))


GIVEN_AGREES = "the given name agrees"


def test_name_levels() -> None:
    base = {"given_name": "Mohammed", "family_name": "Osman"}
    assert _compare(base, base)["name"] == "2 parts agree"
    assert _compare(base, {"given_name": "Muhammad", "family_name": "Othman"})["name"] == (
        "2 parts agree"
    )
    assert _compare(base, {"given_name": "محمد", "family_name": "عثمان"})["name"] == "2 parts agree"
    one = _compare(base, {"given_name": "Mohammed", "family_name": "Haggar"})
    assert one["name"] == GIVEN_AGREES and one["name_conflict"] == "1 part differs"
    assert _compare(base, {"given_name": "Hamouda"})["name"] == GIVEN_AGREES  # nickname
    # one part agrees, but a family name on one side: kin share it
    family = _compare({"given_name": "Daoud", "family_name": "Osman"}, {"given_name": "Osman"})
    assert family["name"] == "1 part agrees"
    assert _compare(base, {"given_name": "Idris"})["name"] == "no part agrees"
    # family name first (Khmer order) and only given name known
    assert (
        _compare({"given_name": "Sok Dara"}, {"given_name": "Dara", "family_name": "Sok"})["name"]
        == "2 parts agree"
    )
    assert (
        _compare({"given_name": "Dara"}, {"given_name": "Dara", "family_name": "Sok"})[
            "name_conflict"
        ]
        == "none"
    )


def test_a_shared_phonetic_code_needs_spellings_not_far_apart() -> None:
    # Double Metaphone gives short names one code (Bopha / Pov: PF, Mao / Mey: M, Keo /
    # Chea folded: K): different names, unlike the romanisations Svay / Swai and Oum / Um
    # (a family name beside the pet names Pov and Mey: see the pet names' own test)
    for a, b in (("Bopha", "Pov"), ("Mao", "Mey"), ("Keo", "Chea")):
        other = {"given_name": b, "family_name": "Sok"}
        assert _compare({"given_name": a}, other)["name"] == "no part agrees"
    # Khmer script romanised by a machine: the consonants agree, the vowels are written
    # otherwise (Kntha), and Double Metaphone drops the K of KN
    assert _compare({"given_name": "គន្ធា"}, {"given_name": "Kunthea"})["name"] == GIVEN_AGREES
    # the bantoc (់) shortens a vowel and writes none: រស់ is Ros, ចាន់ Chan
    for script, latin in (("រស់", "Ros"), ("ចាន់", "Chan"), ("ស្រីនិច", "Sreynitch")):
        assert _compare({"given_name": script}, {"given_name": latin})["name"] == GIVEN_AGREES
    # Cherif / Sharfi: three edits, a letter swap among them
    for a, b in (("Svay", "Swai"), ("Oum", "Um"), ("Haggar", "Hagar"), ("Cherif", "Sharfi")):
        assert _compare({"given_name": a}, {"given_name": b})["name"] == GIVEN_AGREES


def test_a_part_of_a_compound_name_is_similar() -> None:
    # a small child knows one part of its compound name: Srey Pov (joined by normalisation)
    # is called Pov, Meng Dara (Mengdara) is Dara; a part is similar, never "agrees"
    assert _compare({"given_name": "Pov"}, {"given_name": "Srey Pov"})["name"] == "similar only"
    dara = _compare({"given_name": "Dara", "father_name": "Meng"}, {"given_name": "Mengdara"})
    assert dara["name"] == "similar only"
    # without a token "meng" in the data, Mengdara is one name of its own
    alone = _compare({"given_name": "Dara"}, {"given_name": "Mengdara"})
    assert alone["name"] == "no part agrees"


def test_a_child_known_by_pet_names_only_may_be_anyones() -> None:
    # Khmer families call small children Pov (the youngest), Toch (small), Thom (big)...
    # whatever their name: a child who knows only that is not someone else
    dara = {"given_name": "Dara", "family_name": "Sok"}
    for pet in ("Toch", "A Pov", "ពៅ", "Ah Thom", "Mey", "អាពៅ"):
        got = _compare({"given_name": pet}, dara)
        assert (got["name"], got["name_conflict"]) == ("", ""), pet
        # either side
        assert _compare(dara, {"given_name": pet})["name"] == "", pet
    # the pet name on the other record is alike (many children are called Toch), a part
    # of a compound is similar
    assert _compare({"given_name": "Toch"}, {**dara, "other_names": "Toch"})["name"] == (
        "similar only"
    )
    assert _compare({"given_name": "Pov"}, {"given_name": "Srey Pov"})["name"] == "similar only"
    # a pet name beside a name of its own is compared as any name
    toch_chan = {"given_name": "Toch", "family_name": "Chan"}
    assert _compare(toch_chan, dara)["name"] == "no part agrees"
    # not every short name is a pet name; with a family name (Touch is one, as well as
    # "small") a child is known by more; Aoun and Amey are names of their own
    assert _compare({"given_name": "Bopha"}, dara)["name"] == "no part agrees"
    assert _compare({"given_name": "Vy", "family_name": "Touch"}, dara)["name"] == (
        "no part agrees"
    )
    for name in ("Aoun", "Amey"):
        assert _compare({"given_name": name}, dara)["name"] == "no part agrees", name


def test_a_pet_name_left_over_is_no_conflicting_name() -> None:
    # the family's pet name beside the child's name is not a name part that the other
    # record contradicts; a name of its own left over is
    sought = {"given_name": "Thearith", "family_name": "Chan"}
    with_pet = _compare({"given_name": "Tearith", "other_names": "Thom"}, sought)
    assert (with_pet["name"], with_pet["name_conflict"]) == (GIVEN_AGREES, "none")
    as_script = _compare({"given_name": "Tearith", "other_names": "ធំ"}, sought)
    assert as_script["name_conflict"] == "none"
    with_name = _compare({"given_name": "Tearith", "other_names": "Sokha"}, sought)
    assert with_name["name_conflict"] == "1 part differs"
    # on the sought side too
    pet_sought = _compare(sought, {"given_name": "Tearith", "other_names": "Thom"})
    assert pet_sought["name_conflict"] == "none"


def test_one_edit_between_long_names_agrees() -> None:
    # a spelling one edit from another stands for a typo: long names agree, short ones
    # are only similar (Sokha / Sokhan may be two names)
    assert _compare({"given_name": "Kunthear"}, {"given_name": "Kunthea"})["name"] == (GIVEN_AGREES)
    assert _compare({"given_name": "Sokhan"}, {"given_name": "Sokha"})["name"] == "similar only"


def test_typo_is_similar_level() -> None:
    # a typo of a name that occurs elsewhere is repaired to the similar level at least
    out = _compare({"given_name": "Zainab"}, {"given_name": "Zaniab"})
    assert out["name"] in (GIVEN_AGREES, "similar only")


def test_age_dob_sex_levels() -> None:
    c = {"given_name": "Ali", "age": "5", "registration_date": "2024-05-01", "sex": "f"}
    s = {"given_name": "Ali", "age": "6", "request_date": "2024-05-01", "sex": "female"}
    out = _compare(c, s)
    assert out["age"] == "young <=1y" and out["sex"] == "same"
    s2 = {**s, "age": "12", "sex": "male"}
    out = _compare(c, s2)
    assert out["age"].endswith(">5y") and out["sex"] == "different"
    d1 = {"given_name": "A", "date_of_birth": "2015-03-04"}
    assert _compare(d1, {"given_name": "A", "date_of_birth": "2015-03-04"})["dob"] == "same date"
    assert _compare(d1, {"given_name": "A", "date_of_birth": "2015-03"})["dob"] == "same month"
    assert _compare(d1, {"given_name": "A", "date_of_birth": "2016"})["dob"] == "1 year apart"
    assert _compare(d1, {"given_name": "A"})["dob"] == ""


def test_parents_inquirer_place_date_language() -> None:
    c = {
        "given_name": "Ali",
        "mother_name": "Fatima Ahmed",
        "father_name": "Osman Ali",
        "separation_lat": "12.0",
        "separation_lon": "24.0",
        "separation_date": "2024-03-01",
        "language": "Arabic",
    }
    s = {
        "given_name": "Ali",
        "inquirer_name": "Fatma Ahmad",
        "inquirer_relationship": "Mother",
        "father_name": "Othman",
        "separation_lat": "12.1",
        "separation_lon": "24.0",
        "separation_date": "2024-03-03",
        "language": "arabic",
    }
    out = _compare(c, s)
    assert out["mother"] == "2+ parts agree"  # the inquirer is the mother
    assert out["father"] == "1 part agrees"
    assert out["place"] == "<=25km"
    assert out["sep_date"] == "<=3d"
    assert out["language"] == "same"
    far = _compare(c, {**s, "separation_lat": "15.0", "separation_date": "2023-01-01"})
    assert far["place"] == ">150km" and far["sep_date"] == ">1y"
    assert _compare({"given_name": "Ali"}, {"given_name": "Ali"})["place"] == ""


@pytest.mark.parametrize(
    ("relationship", "parent"),
    [
        ("Biological mother", "mother"),
        ("Mère", "mother"),
        ("أم", "mother"),
        ("мати", "mother"),
        ("ម្តាយ", "mother"),
        ("Dad", "father"),
        ("père", "father"),
        ("батько", "father"),
        ("ឪពុក", "father"),
        ("Grand-mère", None),
        ("step-mother", None),
        ("aunt", None),
    ],
)
def test_the_inquirer_counts_as_the_parent_the_relationship_names(
    relationship: str, parent: str | None
) -> None:
    child = {"given_name": "Ali", "mother_name": "Fatima Ahmed", "father_name": "Osman Ali"}
    inquirer = "Fatma Ahmad" if parent != "father" else "Othman Ali"
    out = _compare(
        child,
        {"given_name": "Ali", "inquirer_name": inquirer, "inquirer_relationship": relationship},
    )
    for side in ("mother", "father"):
        agrees = out[side] in ("2+ parts agree", "1 part agrees")
        assert agrees == (side == parent), (relationship, side, out[side])


def test_record_dates_stand_in_for_a_missing_separation_date() -> None:
    child = {"given_name": "Ali", "registration_date": "2024-06-20"}
    sought = {"given_name": "Ali", "request_date": "2024-08-01"}

    def level(c: dict[str, str], s: dict[str, str]) -> str:
        return _compare({**child, **c}, {**sought, **s})["record_dates"]

    # the child registered 10 days after the family says it was lost, or 2 years after
    assert level({}, {"separation_date": "2024-06-10"}).startswith("recorded 0-30 days")
    assert level({"registration_date": "2026-06-20"}, {"separation_date": "2024-06-10"}) == (
        "recorded over a year after"
    )
    # registered months before it was lost: hardly the same child (a date known to the
    # month is mid-month, so the 1st of that month is not "before")
    assert level({"registration_date": "2024-01-05"}, {"separation_date": "2024-06-10"}) == (
        "recorded before the other's separation"
    )
    assert level({"registration_date": "2024-06-01"}, {"separation_date": "2024-06"}).startswith(
        "recorded 0-30 days"
    )
    # the request against the child's separation date
    assert level({"separation_date": "2024-02-01"}, {}) == "recorded 4-12 months after"
    # neither separation date: the registration against the request
    assert level({}, {}) == "registered and sought within 120 days"
    # both separation dates known: the sep_date field says it; a year alone says too little
    assert level({"separation_date": "2024-06-01"}, {"separation_date": "2024-06-10"}) == ""
    assert level({}, {"separation_date": "2024"}) == ""
    assert level({"registration_date": "2024"}, {"separation_date": "2024-06-10"}) == ""
    assert _compare({"given_name": "Ali"}, {"given_name": "Ali"})["record_dates"] == ""


def test_identifier_and_address_levels() -> None:
    same = _compare(
        {
            "given_name": "Michaela",
            "soc_sec_id": "5304218",
            "separation_place": "8 Stanley St Miami",
        },
        {"given_name": "Michaela", "soc_sec_id": "5304218", "separation_place": "Stanley Street"},
    )
    assert same["identifier"] == "same"
    assert same["place_name"] == "1 part agrees"
    typo = _compare({"identifier": "5304218"}, {"identifier": "5302418", "given_name": "A"})
    assert typo["identifier"] == "1-2 characters differ"
    other = _compare({"identifier": "5304218"}, {"identifier": "9912"})
    assert other["identifier"] == "different"
    assert _compare({"given_name": "Ali"}, {"given_name": "Ali"})["identifier"] == ""


def test_parent_name_part_shared_with_the_child_is_not_counted_twice() -> None:
    # the family name Melnyk is in the child's name: only the parents' own names count
    out = _compare(
        {"given_name": "Oksana", "family_name": "Melnyk", "mother_name": "Olena Melnyk"},
        {"given_name": "Oksana", "family_name": "Melnyk", "mother_name": "Anna Melnyk"},
    )
    assert out["mother"] == "different"


def test_a_parent_named_on_one_record_is_looked_for_in_the_others_name() -> None:
    # Sudanese layouts: one writer puts the father's name in the family name, the other
    # writes the father's name out and the grandfather's as the family name
    child = {"given_name": "Nassir", "family_name": "Gamar"}
    sought = {"given_name": "Nassir", "family_name": "Brahim", "father_name": "Gamar Brahim"}
    assert _compare(child, sought)["father"] == "one side only: in the other's name"
    assert _compare(sought, child)["father"] == "one side only: in the other's name"
    other = _compare({**child, "family_name": "Adam"}, sought)
    assert other["father"] == "one side only: not in the other's name"
    # named on both: compared with each other, as before; named on neither: unknown
    both = _compare({"given_name": "Nassir", "father_name": "Gamar Ibrahim"}, sought)
    assert both["father"] == "1 part agrees"
    assert _compare(child, {"given_name": "Nassir"})["father"] == ""
    assert _compare(child, sought)["mother"] == ""


def test_dates_parse_partial_and_refuse_non_ascii_digits() -> None:
    """Partial ISO dates keep what is known; digits float() cannot read ("²", Arabic-Indic)
    count as unknown instead of raising."""
    from matching.records import parse_dates

    year, month, day = parse_dates(
        pd.Series(["2019-03-04", "2019-03", "2019", "²019-01-01", "2019-٠٣-01", None, "soon"])
    )
    assert year[:3].tolist() == [2019.0, 2019.0, 2019.0]
    assert month[:2].tolist() == [3.0, 3.0]
    assert day[0] == 4.0
    assert np.isnan(day[1]) and np.isnan(month[2])
    assert np.isnan(year[3]) and np.isnan(year[5]) and np.isnan(year[6])
    assert year[4] == 2019.0 and np.isnan(month[4])
