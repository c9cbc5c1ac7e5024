"""Khmer script read as Cambodian names are commonly spelt (matching/khmer.py)."""

from __future__ import annotations

import pytest

from matching.khmer import romanise, romanise_word
from matching.normalize import name_keys, normalize_name, skeleton


@pytest.mark.parametrize(
    ("khmer", "latin"),
    [
        ("សុខ", "sok"),  # a final closes the syllable
        ("ចាន់", "chan"),  # bantoc: short vowel, no "a" added
        ("ដារា", "dara"),
        ("ជា", "chea"),  # o-series ា in a first syllable
        ("មាស", "meas"),
        ("វណ្ណា", "vana"),  # ណ្ណ: one n; the inherent vowel of an open syllable
        ("កុសល", "kosal"),  # a consonant before a final is a syllable of its own
        ("មករា", "makara"),
        ("ចន្ធី", "chanthy"),  # ី at the end of a word
        ("រិទ្ធី", "rithy"),  # ទ្ធ: one sound
        ("វុទ្ធី", "vuthy"),
        ("បុប្ផា", "bopha"),
        ("ពិសិដ្ឋ", "piseth"),  # a-series ិ reads e; ដ្ឋ closes as th
        ("កែវ", "keo"),
        ("ខៀវ", "khiev"),
        ("ពេជ្រ", "pech"),  # a subscript r after a final is silent
        ("ប្រាក់", "prak"),  # ប before r is p
        ("ប៊ុនហេង", "bunheng"),  # ៊ reads ប in the o-series: u
        ("ម៉ី", "mey"),  # ៉ reads ម in the a-series
        ("ម៉ៅ", "mao"),
        ("ធំ", "thom"),  # nikahit
        ("ជុំ", "chum"),
        ("ស្រីមុំ", "sreymum"),  # the female head is written Srey
        ("ស្រីនាថ", "sreyneath"),
        ("អូន", "oun"),  # អ carries the vowel
        ("ល័ក្ខ", "leak"),
        ("វណ្ណៈ", "vanak"),  # ៈ: a short vowel and k
        ("វីរៈ", "virak"),
        ("ព្រះ", "preah"),  # ះ on a consonant without a vowel
        ("សុខប្រាក់", "sokprak"),  # a cluster starting a syllable closes the one before
        ("ហេងស្រេង", "hengsreng"),
        ("ព្រហ្ម", "prom"),  # ហ over a sonorant is not read
        ("ប៉ែន", "paen"),  # ប៉ is p
    ],
)
def test_common_names_read_as_families_spell_them(khmer: str, latin: str) -> None:
    assert romanise_word(khmer) == latin


def test_a_letter_marked_silent_is_not_read() -> None:
    assert romanise_word("ចន្ទ៍") == romanise_word("ចន")


def test_only_khmer_runs_are_romanised() -> None:
    assert romanise("Sok ដារា (2)") == "Sok dara (2)"
    # digits and punctuation are the generic transliterator's
    assert romanise("ដារា ១២។") == "dara ១២។"
    assert normalize_name("ដារា ១២") == ["dara"]


@pytest.mark.parametrize(
    ("khmer", "latin"),
    [
        ("វណ្ណា សុផល", "Vanna Sophal"),
        ("រិទ្ធី កែវ", "Rithy Keo"),
        ("គីមល័ក្ខ", "Kimleak"),
        ("ពេជ្រ", "Pich"),
        ("ចាន់ភាព", "Chanpheap"),
        ("មុន្នី", "Mony"),
        ("សុគន្ធា", "Sokunthea"),
        ("វណ្ណៈ", "Vannak"),
        ("ព្រហ្ម", "Prum"),
        ("ប៉ែន", "Pen"),
        ("សុខប្រាក់", "Sokprak"),
    ],
)
def test_script_meets_its_romanised_twin(khmer: str, latin: str) -> None:
    # where the vowels are written otherwise, the consonants and phonetic keys agree
    a, b = normalize_name(khmer), normalize_name(latin)
    assert [skeleton(t) for t in a] == [skeleton(t) for t in b]
    assert set(name_keys(a)) & set(name_keys(b))
