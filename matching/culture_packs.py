"""Culture packs: what the engine knows of naming cultures, kept as data files.

Name variants, pet names, kin words, generic place words and name particles live in one
TOML file per language or naming culture (``matching/cultures/*.toml``) rather than in
code, so that a caseworker's or linguist's correction is a reviewed data change with its
source next to it. Every pack is loaded for every record: names cross borders (a Somali
child registered in Kenya by an Arabic-speaking clerk), so an entry that belongs to one
script or language says so in its own ``script`` / ``language`` keys.

Packs load in file-name order (the two-digit prefix). The order matters where a spelling
belongs to two groups (Sophia: Khmer Sophea and Ukrainian Sofiia): the group loaded first
gives its canonical form. A ``[[variants]]`` entry whose first name is the canonical of a
group already loaded extends that group (Somali Maxamed joins the Arabic Mohammed group)
instead of starting a second group that would not meet the first.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from anyascii import anyascii

PACK_DIR: Final = Path(__file__).with_name("cultures")

RELATIONS: Final = ("mother", "father", "step_parent", "grandparent", "other_kin")
# the relations that say the inquirer is not the child's mother or father, strongest first
NON_PARENT_RELATIONS: Final = ("step_parent", "grandparent", "other_kin")
PARTICLE_KINDS: Final = (
    "article",  # dropped when standing alone before a name (al-, el-)
    "assimilated_article",  # al- assimilated to a sun letter, dropped before a hyphen
    "patronymic",  # "son/daughter of", dropped before a name (bin, wad, ould)
    "allah_tail",  # second element of Abd-Allah compounds
    "din_tail",  # second element of -al-Din compounds, joined to the name before it
    "join_head",  # joined with the next token (Abu Bakr, Srey Mom)
    "pet_prefix",  # familiar prefix before a pet name (Khmer a-/ah-)
    "family_particle",  # part of a family name, dropped before it (de la, dos)
    "patronymic_ending",  # a name ending in it is the father's name, shared by kin (-ovych)
)
# words are lower-case ASCII letters as matching.normalize.normalize_name produces them
_NORMALISED = re.compile(r"^[a-z]+$")
# a particle of several words (Spanish "de la") is written with single spaces
_NORMALISED_WORDS = re.compile(r"^[a-z]+(?: [a-z]+)*$")
# how a free-text relationship splits into words (kin_relation; matching.records reads it)
_KIN_SPLIT = re.compile(r"[\s\-_/,;:.()'’]+")
# how a place text splits into words (as matching.records.place_tokens, after anyascii)
_PLACE_SPLIT = re.compile(r"[^0-9a-z]+")
# the test-data generators are not knowledge of any culture: never a source
_FORBIDDEN_SOURCES = ("generate.py", "ftrgen")

_SECTIONS: Final[Mapping[str, tuple[frozenset[str], frozenset[str]]]] = {
    # section -> (required keys, optional keys)
    "variants": (frozenset({"names", "source"}), frozenset({"note"})),
    "pet_names": (
        frozenset({"names", "source"}),
        frozenset({"script", "language", "note", "prefixed"}),
    ),
    "kin_words": (
        frozenset({"relation", "words", "source"}),
        frozenset({"language", "script", "note"}),
    ),
    "place_words": (frozenset({"words", "source"}), frozenset({"language", "script", "note"})),
    "particles": (
        frozenset({"kind", "words", "script", "source"}),
        frozenset({"language", "note"}),
    ),
}
_PACK_KEYS: Final = frozenset({"name", "languages", "scripts", "description"})


@dataclass(frozen=True, slots=True)
class Variants:
    """Spellings of one name, normalised; the first is the canonical form."""

    names: tuple[str, ...]
    source: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class PetNames:
    """What families call a child whatever its given name (Khmer Pov, "the youngest")."""

    names: tuple[str, ...]
    source: str
    # those of the names that a familiar prefix (pet_prefix particle) is written joined to
    prefixed: tuple[str, ...] = ()
    script: str = ""
    language: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class KinWords:
    """Words naming the inquirer's relation to the child, as written in free text."""

    relation: str
    words: tuple[str, ...]
    source: str
    language: str = ""
    script: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class PlaceWords:
    """Generic words of place texts that must not count as place agreement."""

    words: tuple[str, ...]
    source: str
    language: str = ""
    script: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Particles:
    """Name particles of one kind (see PARTICLE_KINDS) in one script."""

    kind: str
    words: tuple[str, ...]
    script: str
    source: str
    language: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class CulturePack:
    """One culture's file, validated."""

    file: str
    name: str
    languages: tuple[str, ...]
    scripts: tuple[str, ...]
    description: str
    variants: tuple[Variants, ...] = ()
    pet_names: tuple[PetNames, ...] = ()
    kin_words: tuple[KinWords, ...] = ()
    place_words: tuple[PlaceWords, ...] = ()
    particles: tuple[Particles, ...] = ()


# --- loading and validation ----------------------------------------------------------


class _Where:
    """Where in which file a value is read, for error messages that name both."""

    def __init__(self, file: str, what: str) -> None:
        self.file, self.what = file, what

    def error(self, message: str) -> ValueError:
        return ValueError(f"culture pack {self.file}: {self.what}: {message}")


def _text(table: Mapping[str, object], key: str, at: _Where, *, required: bool) -> str:
    value = table.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise at.error(f"{key!r} must be a non-empty string")
    return value.strip()


def _texts(table: Mapping[str, object], key: str, at: _Where) -> tuple[str, ...]:
    value = table.get(key)
    if not isinstance(value, list) or not value:
        raise at.error(f"{key!r} must be a non-empty list of strings")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise at.error(f"{key!r} holds an empty or non-string value: {item!r}")
        if item in out:
            raise at.error(f"{key!r} lists {item!r} twice")
        out.append(item)
    return tuple(out)


def _normalised(words: Iterable[str], at: _Where, pattern: re.Pattern[str] = _NORMALISED) -> None:
    for w in words:
        if not pattern.match(w):
            raise at.error(f"{w!r} is not a normalised name (lower-case ASCII letters)")


def _check_keys(table: Mapping[str, object], section: str, at: _Where) -> None:
    required, optional = _SECTIONS[section]
    unknown = set(table) - required - optional
    if unknown:
        raise at.error(f"unknown key(s) {sorted(unknown)}")
    missing = required - set(table)
    if missing:
        raise at.error(f"missing key(s) {sorted(missing)}")
    source = _text(table, "source", at, required=True)
    if any(bad in source for bad in _FORBIDDEN_SOURCES):
        raise at.error("a test-data generator is not a source of culture knowledge")


def _entries(
    doc: Mapping[str, object], section: str, file: str
) -> Iterable[tuple[dict[str, object], _Where]]:
    tables = doc.get(section, [])
    if not isinstance(tables, list):
        raise ValueError(f"culture pack {file}: {section} must be an array of tables [[{section}]]")
    for i, table in enumerate(tables, 1):
        at = _Where(file, f"[[{section}]] entry {i}")
        if not isinstance(table, dict):
            raise at.error("not a table")
        first = table.get("names", table.get("words"))
        if isinstance(first, list) and first and isinstance(first[0], str):
            at = _Where(file, f"[[{section}]] entry {i} ({first[0]})")
        _check_keys(table, section, at)
        yield table, at


def parse_pack(doc: Mapping[str, object], file: str) -> CulturePack:
    """Validate one pack's parsed TOML; a ValueError names the file and the entry."""
    unknown = set(doc) - {"pack", *_SECTIONS}
    if unknown:
        raise ValueError(f"culture pack {file}: unknown section(s) {sorted(unknown)}")
    head = doc.get("pack")
    at = _Where(file, "[pack]")
    if not isinstance(head, dict):
        raise at.error("missing")
    if set(head) != _PACK_KEYS:
        raise at.error(f"needs exactly the keys {sorted(_PACK_KEYS)}, has {sorted(head)}")
    name = _text(head, "name", at, required=True)
    languages, scripts = _texts(head, "languages", at), _texts(head, "scripts", at)
    description = _text(head, "description", at, required=True)
    variants = []
    for t, at in _entries(doc, "variants", file):
        names = _texts(t, "names", at)
        _normalised(names, at)
        variants.append(Variants(names, _text(t, "source", at, required=True), _note(t, at)))
    pets = []
    for t, at in _entries(doc, "pet_names", file):
        names = _texts(t, "names", at)
        _normalised(names, at)
        prefixed = _texts(t, "prefixed", at) if "prefixed" in t else ()
        if not set(prefixed) <= set(names):
            raise at.error("'prefixed' names must be among its 'names'")
        pets.append(
            PetNames(
                names,
                _text(t, "source", at, required=True),
                prefixed,
                _text(t, "script", at, required=False),
                _text(t, "language", at, required=False),
                _note(t, at),
            )
        )
    kin = []
    for t, at in _entries(doc, "kin_words", file):
        relation = _text(t, "relation", at, required=True)
        if relation not in RELATIONS:
            raise at.error(f"relation {relation!r} is not one of {RELATIONS}")
        words = _texts(t, "words", at)
        for w in words:
            if w != w.lower() or not _kin_phrase(w):
                raise at.error(f"{w!r} must be lower-case words (text is compared lower-cased)")
        kin.append(
            KinWords(
                relation,
                words,
                _text(t, "source", at, required=True),
                _text(t, "language", at, required=False),
                _text(t, "script", at, required=False),
                _note(t, at),
            )
        )
    places = []
    for t, at in _entries(doc, "place_words", file):
        words = _texts(t, "words", at)
        for w in words:
            if not _place_parts(w):
                raise at.error(f"{w!r} gives no word to compare")
        places.append(
            PlaceWords(
                words,
                _text(t, "source", at, required=True),
                _text(t, "language", at, required=False),
                _text(t, "script", at, required=False),
                _note(t, at),
            )
        )
    particles = []
    for t, at in _entries(doc, "particles", file):
        kind = _text(t, "kind", at, required=True)
        if kind not in PARTICLE_KINDS:
            raise at.error(f"kind {kind!r} is not one of {PARTICLE_KINDS}")
        words = _texts(t, "words", at)
        script = _text(t, "script", at, required=True)
        if script == "Latn":
            _normalised(words, at, _NORMALISED_WORDS if kind == "family_particle" else _NORMALISED)
        particles.append(
            Particles(
                kind,
                words,
                script,
                _text(t, "source", at, required=True),
                _text(t, "language", at, required=False),
                _note(t, at),
            )
        )
    return CulturePack(
        file=file,
        name=name,
        languages=languages,
        scripts=scripts,
        description=description,
        variants=tuple(variants),
        pet_names=tuple(pets),
        kin_words=tuple(kin),
        place_words=tuple(places),
        particles=tuple(particles),
    )


def _note(table: Mapping[str, object], at: _Where) -> str:
    return _text(table, "note", at, required=False)


def load_pack(path: Path) -> CulturePack:
    """Read and validate one pack file."""
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"culture pack {path.name}: not valid TOML: {exc}") from exc
    return parse_pack(doc, path.name)


def load_dir(directory: Path) -> tuple[CulturePack, ...]:
    """Every ``*.toml`` pack of a directory, in file-name order."""
    packs = tuple(load_pack(p) for p in sorted(directory.glob("*.toml")))
    names = [p.name for p in packs]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValueError(f"culture packs in {directory}: pack name(s) used twice: {sorted(dup)}")
    return packs


@cache
def load_packs() -> tuple[CulturePack, ...]:
    """The shipped packs (``matching/cultures``), read once per process.

    A tuple, not a list: the value is cached and shared by every caller."""
    packs = load_dir(PACK_DIR)
    if not packs:
        raise ValueError(f"no culture packs in {PACK_DIR}")
    return packs


# --- accessors: the tables the engine reads -----------------------------------------


def _packs(packs: Sequence[CulturePack] | None) -> Sequence[CulturePack]:
    return load_packs() if packs is None else packs


def variant_groups(packs: Sequence[CulturePack] | None = None) -> tuple[tuple[str, ...], ...]:
    """Variant groups in load order; an entry starting with a loaded group's canonical
    name extends that group with its new spellings."""
    groups: list[list[str]] = []
    by_canonical: dict[str, int] = {}
    for pack in _packs(packs):
        for entry in pack.variants:
            gid = by_canonical.get(entry.names[0])
            if gid is None:
                by_canonical[entry.names[0]] = len(groups)
                groups.append(list(entry.names))
            else:
                groups[gid].extend(n for n in entry.names if n not in groups[gid])
    return tuple(tuple(g) for g in groups)


def pet_names(packs: Sequence[CulturePack] | None = None) -> frozenset[str]:
    """Every pet name (normalised)."""
    return frozenset(n for p in _packs(packs) for e in p.pet_names for n in e.names)


def prefixed_pet_names(packs: Sequence[CulturePack] | None = None) -> frozenset[str]:
    """The pet names that a familiar prefix is written joined to (Khmer Apov)."""
    return frozenset(n for p in _packs(packs) for e in p.pet_names for n in e.prefixed)


def kin_words(relation: str, packs: Sequence[CulturePack] | None = None) -> frozenset[str]:
    """Words and phrases of one relation (RELATIONS), lower-case as written."""
    if relation not in RELATIONS:
        raise ValueError(f"unknown relation {relation!r}: one of {RELATIONS}")
    return frozenset(
        w for p in _packs(packs) for e in p.kin_words if e.relation == relation for w in e.words
    )


def _kin_phrase(text: str) -> tuple[str, ...]:
    return tuple(w for w in _KIN_SPLIT.split(text.lower()) if w)


@cache
def _kin_index() -> dict[str, dict[str, list[tuple[str, ...]]]]:
    """relation -> first word -> phrases (as word tuples) of the shipped packs."""
    index: dict[str, dict[str, list[tuple[str, ...]]]] = {r: {} for r in RELATIONS}
    for relation in RELATIONS:
        for phrase in sorted(map(_kin_phrase, kin_words(relation)), key=len, reverse=True):
            index[relation].setdefault(phrase[0], []).append(phrase)
    return index


def kin_relation(text: str) -> str | None:
    """The relation a free-text relationship names ("belle-mère": step_parent).

    Phrases are matched as whole words in sequence, so "زوجة الأب" (father's wife) is a
    step-parent although الأب alone is a father; any step-parent, grandparent or other-kin
    word wins over a mother or father word ("grand-mère", "mother-in-law")."""
    words = _kin_phrase(text)
    index = _kin_index()
    for relation in (*NON_PARENT_RELATIONS, "mother", "father"):
        phrases = index[relation]
        for i, w in enumerate(words):
            for phrase in phrases.get(w, ()):
                if words[i : i + len(phrase)] == phrase:
                    return relation
    return None


def _place_parts(text: str) -> list[str]:
    return [w for w in _PLACE_SPLIT.split(anyascii(text).lower()) if w]


def place_words(packs: Sequence[CulturePack] | None = None) -> frozenset[str]:
    """Generic place words as place texts are compared: ASCII (anyascii) lower-case words,
    a phrase split into its words ("site de déplacés": site, de, deplaces)."""
    return frozenset(
        w for p in _packs(packs) for e in p.place_words for t in e.words for w in _place_parts(t)
    )


def particles(
    kind: str, script: str | None = None, packs: Sequence[CulturePack] | None = None
) -> frozenset[str]:
    """Particles of one kind (PARTICLE_KINDS), of one script (ISO 15924) or all."""
    if kind not in PARTICLE_KINDS:
        raise ValueError(f"unknown particle kind {kind!r}: one of {PARTICLE_KINDS}")
    return frozenset(
        w
        for p in _packs(packs)
        for e in p.particles
        if e.kind == kind and (script is None or e.script == script)
        for w in e.words
    )
