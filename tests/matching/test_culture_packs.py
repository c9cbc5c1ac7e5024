"""Culture packs (matching/cultures/*.toml): loading, validation, and what reaches the
engine's tables."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from matching import culture_packs as cp
from matching import normalize, records, variants
from matching.normalize import name_keys, normalize_name
from matching.variants import SEED_GROUPS, VariantTable, is_pet_name

PACKS = cp.load_packs()
PACK_NAMES = [p.name for p in PACKS]

_GOOD = """
[pack]
name = "test"
languages = ["xx"]
scripts = ["Latn"]
description = "a test pack"

[[variants]]
names = ["alpha", "alfa"]
source = "field practice: a test"
"""


def _same_group(a: str, b: str) -> bool:
    """Whether two written names share a variant group once normalised."""
    table = VariantTable()
    (ta,) = normalize_name(a)
    (tb,) = normalize_name(b)
    return bool(set(table.group_ids(ta)) & set(table.group_ids(tb)))


def _pack(name: str) -> cp.CulturePack:
    return next(p for p in PACKS if p.name == name)


# --- loading ---------------------------------------------------------------------------


def test_every_pack_loads_in_file_name_order_with_its_header() -> None:
    files = sorted(p.name for p in cp.PACK_DIR.glob("*.toml"))
    assert [p.file for p in PACKS] == files
    assert len(PACKS) >= 10
    for pack in PACKS:
        assert pack.name and pack.languages and pack.scripts and pack.description


def test_every_entry_has_a_source_and_none_cites_a_generator() -> None:
    for pack in PACKS:
        entries = [
            *pack.variants,
            *pack.pet_names,
            *pack.kin_words,
            *pack.place_words,
            *pack.particles,
        ]
        assert entries, pack.file
        for entry in entries:
            assert entry.source.strip(), (pack.file, entry)
            assert "generate.py" not in entry.source and "ftrgen" not in entry.source


def test_names_are_written_as_normalisation_writes_them() -> None:
    # a spelling normalisation never produces would never be looked up
    for pack in PACKS:
        for entry in (*pack.variants, *pack.pet_names):
            for name in entry.names:
                assert normalize_name(name) == [name], (pack.file, name)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('[[variants]]\nnames = ["beta"]\nsource = "x"\nsauce = "y"\n', "unknown key"),
        ('[[variants]]\nnames = ["beta", "bita"]\n', "missing key(s) ['source']"),
        ('[[variants]]\nnames = []\nsource = "x"\n', "'names' must be a non-empty list"),
        ('[[variants]]\nnames = [""]\nsource = "x"\n', "empty or non-string"),
        ('[[variants]]\nnames = ["Beta"]\nsource = "x"\n', "not a normalised name"),
        ('[[variants]]\nnames = ["beta"]\nsource = ""\n', "'source' must be a non-empty"),
        ('[[variants]]\nnames = ["beta"]\nsource = "data/samples/generate.py"\n', "generator"),
        ('[[kin_words]]\nrelation = "aunt"\nwords = ["tia"]\nsource = "x"\n', "relation 'aunt'"),
        ('[[kin_words]]\nrelation = "mother"\nwords = ["Mère"]\nsource = "x"\n', "lower-case"),
        (
            '[[particles]]\nkind = "suffix"\nwords = ["ovych"]\nscript = "Latn"\nsource = "x"\n',
            "kind",
        ),
        ('[[particles]]\nkind = "article"\nwords = ["al"]\nsource = "x"\n', "'script'"),
        ('[[place_words]]\nwords = ["--"]\nsource = "x"\n', "no word to compare"),
        ('[[pet_names]]\nnames = ["pov"]\nprefixed = ["toch"]\nsource = "x"\n', "'prefixed'"),
        ("[[nicknames]]\nnames = []\n", "unknown section"),
        ("[[variants\n", "not valid TOML"),
    ],
)
def test_a_malformed_pack_is_refused_naming_file_and_entry(
    tmp_path: Path, change: str, message: str
) -> None:
    path = tmp_path / "99_broken.toml"
    path.write_text(_GOOD + "\n" + change, encoding="utf-8")
    with pytest.raises(ValueError, match=r"99_broken\.toml") as err:
        cp.load_dir(tmp_path)
    assert message in str(err.value)
    if "entry" in str(err.value):
        assert "entry 1" in str(err.value) or "entry 2" in str(err.value)


def test_a_missing_or_empty_pack_header_is_refused(tmp_path: Path) -> None:
    (tmp_path / "10_x.toml").write_text('[[variants]]\nnames = ["a"]\nsource = "x"\n')
    with pytest.raises(ValueError, match=r"10_x\.toml: \[pack\]: missing"):
        cp.load_dir(tmp_path)
    (tmp_path / "10_x.toml").write_text(_GOOD.replace('name = "test"', 'name = ""'))
    with pytest.raises(ValueError, match=r"10_x\.toml: \[pack\]: 'name' must be"):
        cp.load_dir(tmp_path)
    (tmp_path / "10_x.toml").write_text(_GOOD)
    (tmp_path / "20_y.toml").write_text(_GOOD)
    with pytest.raises(ValueError, match="used twice"):
        cp.load_dir(tmp_path)


def test_an_entry_starting_with_a_loaded_canonical_extends_its_group() -> None:
    first = cp.parse_pack(tomllib.loads(_GOOD), "10_first.toml")
    later = tomllib.loads(_GOOD.replace('"test"', '"later"'))
    later["variants"] = [
        {"names": ["alpha", "alfa", "alpa"], "source": "x"},
        {"names": ["beta", "alfa"], "source": "x"},
    ]
    second = cp.parse_pack(later, "20_later.toml")
    assert cp.variant_groups([first, second]) == (("alpha", "alfa", "alpa"), ("beta", "alfa"))


# --- the engine's tables come from the packs --------------------------------------------


def test_seed_groups_are_the_packs_groups() -> None:
    assert cp.variant_groups() == SEED_GROUPS
    canonicals = [g[0] for g in SEED_GROUPS]
    assert len(canonicals) == len(set(canonicals))
    # the Arabic pack's groups, with any spellings later packs add
    by_canonical = {g[0]: g for g in SEED_GROUPS}
    for entry in _pack("arabic").variants:
        assert set(entry.names) <= set(by_canonical[entry.names[0]])
    assert canonicals[:3] == ["mohammed", "ahmed", "mahmoud"]


def test_pet_names_join_heads_and_particles_come_from_the_packs() -> None:
    assert cp.pet_names() == variants.PET_NAMES
    assert {"pov", "toch", "srey"} <= variants.PET_NAMES
    assert variants.PET_PREFIXES == ("ah", "a")
    assert {"srey", "srei", "abu", "abou", "abo", "umm", "oum"} == variants.JOIN_HEADS
    assert cp.particles("article", "Latn") == normalize._ARTICLES == {"al", "el", "ul", "il"}
    assert "wad" in normalize._PATRONYMIC and "eddine" in normalize._DIN_TAIL
    assert "عبد" in normalize._AR_JOIN_HEADS and "ود" in normalize._AR_PATRONYMIC


def test_is_pet_name_sees_khmer_pet_names_and_their_prefix() -> None:
    assert is_pet_name("pov") and is_pet_name("apov") and is_pet_name("ahtoch")
    assert is_pet_name("ah") and not is_pet_name("aoun") and not is_pet_name("dara")


def test_somali_spelling_shares_a_group_with_its_arabic_twin() -> None:
    assert _same_group("Maxamed", "Mohamed")
    assert _same_group("Cabdullahi", "Abdullah")
    assert _same_group("Faadumo", "Fatima")
    assert not _same_group("Maxamed", "Hassan")
    assert set(name_keys(normalize_name("Maxamed"))) & set(name_keys(normalize_name("Muhammad")))


def test_step_parent_words_are_loaded_with_their_relation() -> None:
    step = cp.kin_words("step_parent")
    assert {"stepmother", "belle-mère", "زوجة الأب", "мачуха", "мачеха", "madrastra"} <= step
    assert {"вітчим", "отчим", "beau-père", "زوج الأم", "padrastro"} <= step
    assert {"бабуся", "дідусь", "جدة", "جد", "grand-mère"} <= cp.kin_words("grandparent")
    assert "мачуха" not in cp.kin_words("mother")
    with pytest.raises(ValueError, match="relation"):
        cp.kin_words("aunt")


@pytest.mark.parametrize(
    ("text", "relation"),
    [
        ("Mother", "mother"),
        ("biological father", "father"),
        ("Belle-mère", "step_parent"),
        ("زوجة الأب", "step_parent"),
        ("الأب", "father"),
        ("мачуха", "step_parent"),
        ("grand-mère", "grandparent"),
        ("mother-in-law", "other_kin"),
        ("aunt (mother's sister)", "other_kin"),
        ("የእንጀራ እናት", "step_parent"),
        ("neighbour", None),
    ],
)
def test_kin_relation_matches_phrases_before_parent_words(text: str, relation: str | None) -> None:
    assert cp.kin_relation(text) == relation


def test_place_words_are_compared_as_place_texts_are() -> None:
    words = cp.place_words()
    assert {"camp", "quartier", "site", "deplaces", "communale", "barrio", "hillat"} <= words
    assert {"kampong", "selo", "phoume"} <= words  # phoume: ភូមិ as anyascii writes it
    assert all(w == w.lower() and w.isascii() for w in words)


def test_the_records_read_the_packs_kin_and_place_words() -> None:
    assert records.parent_relation("belle-mère") is None
    assert records.parent_relation("maman") == "mother"
    assert records.place_tokens("site de déplacés Kalma") == records.place_tokens("Kalma")


@pytest.mark.parametrize(
    ("arabic", "canonical"),
    [("منى", "mona"), ("سارة", "sara"), ("صالح", "salih"), ("عماد", None), ("عفاف", None)],
)
def test_added_spellings_do_not_capture_arabic_script_names(
    arabic: str, canonical: str | None
) -> None:
    # Arabic script is looked up by consonant skeleton: a short spelling added to another
    # name's group (Mamman, Amadou, Eva) would key these as that name
    (token,) = normalize_name(arabic)
    groups = [k for k in name_keys([token]) if k.startswith("g:")]
    assert groups == ([f"g:{canonical}"] if canonical else [])


# --- every pack reaches the engine -------------------------------------------------------


def _arabic() -> None:
    assert _same_group("Abdelkerim", "Abdelkarim") and _same_group("Mahamat", "Mohammed")
    assert normalize_name("Mohamed wad Ahmed") == ["mohamed", "ahmed"]


def _ukrainian_russian() -> None:
    assert _same_group("Oleh", "Oleg") and _same_group("Sasha", "Oleksandr")
    assert _same_group("Mykola", "Nikolai") and _same_group("Yevhen", "Evgeniy")
    # a patronymic is the father's name, not the child's own (records.name_own)
    assert records.is_patronymic("oleksandrovych") and records.is_patronymic("ostapivna")
    assert not records.is_patronymic("oleksandr") and not records.is_patronymic("ivna")


def _khmer() -> None:
    assert _same_group("Kanha", "Kagna") and _same_group("Srey Mom", "Sreymum")
    assert is_pet_name("pov") and "srey" in variants.JOIN_HEADS


def _arabic_levant_iraq() -> None:
    assert _same_group("Haider", "Hayder") and _same_group("Fatmeh", "Fatima")


def _somali() -> None:
    assert _same_group("Xasan", "Hassan") and _same_group("Cali", "Ali")
    assert is_pet_name("dheere")


def _hausa_fulani() -> None:
    assert _same_group("Muhammadu", "Mohammed") and _same_group("Mamadou", "Mohamed")
    assert _same_group("Hauwa", "Hawa") and _same_group("Bukar", "Abubakar")
    assert is_pet_name("auta")


def _amharic_tigrinya_oromo() -> None:
    assert _same_group("Tesfaye", "Tesfay") and _same_group("Yohannes", "Yohanes")
    assert _same_group("Haile", "Hayle") and _same_group("Caalaa", "Chala")


def _french_haitian() -> None:
    assert _same_group("Jean", "Jeannot") and _same_group("Pyè", "Pierre")
    assert is_pet_name("ti")


def _spanish_portuguese() -> None:
    assert _same_group("Pepe", "José") and _same_group("Lupe", "Guadalupe")
    assert _same_group("Chucho", "Jesús") and _same_group("Paco", "Francisco")
    assert normalize_name("María de la Cruz") == ["maria", "cruz"]
    assert normalize_name("João dos Santos") == ["joao", "santos"]


def _english() -> None:
    # records' relationship reading (still its own table) agrees with the pack's words
    for relation in ("mother", "father"):
        for entry in _pack("english").kin_words:
            if entry.relation == relation:
                assert all(records.parent_relation(w) == relation for w in entry.words)
    assert records.parent_relation("stepmother") is None
    assert "camp" in cp.place_words()


PACK_CHECKS: dict[str, Callable[[], None]] = {
    "arabic": _arabic,
    "ukrainian_russian": _ukrainian_russian,
    "khmer": _khmer,
    "arabic_levant_iraq": _arabic_levant_iraq,
    "somali": _somali,
    "hausa_fulani": _hausa_fulani,
    "amharic_tigrinya_oromo": _amharic_tigrinya_oromo,
    "french_haitian": _french_haitian,
    "spanish_portuguese": _spanish_portuguese,
    "english": _english,
}


def test_every_pack_has_an_engine_check() -> None:
    assert set(PACK_CHECKS) == set(PACK_NAMES)


@pytest.mark.parametrize("name", PACK_NAMES)
def test_pack_reaches_the_engine(name: str) -> None:
    PACK_CHECKS[name]()
    pack = _pack(name)
    table = VariantTable()
    for entry in pack.variants:  # every spelling is in its canonical's group
        gid = next(i for i, g in enumerate(SEED_GROUPS) if g[0] == entry.names[0])
        assert all(gid in table.group_ids(n) for n in entry.names), entry.names
    assert {n for e in pack.pet_names for n in e.names} <= variants.PET_NAMES
    for k in pack.kin_words:
        assert set(k.words) <= cp.kin_words(k.relation)
