"""Name-variant and nickname equivalence tables, loaded from the culture packs.

The knowledge lives in ``matching/cultures/*.toml`` (see :mod:`matching.culture_packs`),
each entry with its source; this module keeps the names the engine has always imported.
Each group is a set of spellings of one name; the first entry is the canonical form.
Groups are compared on normalised tokens (see :func:`matching.normalize.normalize_name`),
so compounds appear in their normalised form (``abdrahman`` for Abdel Rahman,
``sreymom`` for Srey Mom).

The table grows from caseworkers' confirmed matches: :class:`VariantTable` accepts
extra pairs (``add_pair``) and the fitted :class:`matching.Linker` stores them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from matching import culture_packs

SEED_GROUPS: tuple[tuple[str, ...], ...] = culture_packs.variant_groups()

# Generic compound heads: a token equal to one of these is joined with the next token
# ("Srey Mom" -> "sreymom", "Abu Bakr" -> "abubakr").  The Arabic "abd" family is
# handled in normalize.py because its connecting article takes many forms.
JOIN_HEADS: frozenset[str] = culture_packs.particles("join_head", "Latn")

# Pet names that families give small children whatever their given name (Khmer Pov, the
# youngest; Toch, small; Haitian Ti, little), with the familiar prefix (Khmer a-/ah-:
# Apov, Ah Toch). A child known by such names only may be anyone's: its name neither
# agrees nor disagrees with the name its family gives (compare), and blocking offers it
# to sought children of its age and sex (candidates).
PET_NAMES: frozenset[str] = culture_packs.pet_names()
PET_PREFIXES: tuple[str, ...] = tuple(
    sorted(culture_packs.particles("pet_prefix", "Latn"), key=len, reverse=True)
)
# the pet names that the prefix is written joined to (អាពៅ Apov, Atoch): those that are no
# one's given name, so that Aoun or Amey, names of their own, stay names
_PREFIXED_PET_NAMES: frozenset[str] = culture_packs.prefixed_pet_names()


def is_pet_name(token: str) -> bool:
    """Whether a normalised token is a pet name (PET_NAMES), the familiar prefix alone, or
    the prefix joined to a pet name that is no one's given name."""
    if token in PET_NAMES or token in PET_PREFIXES:
        return True
    return any(token.startswith(p) and token[len(p) :] in _PREFIXED_PET_NAMES for p in PET_PREFIXES)


class VariantTable:
    """Map a normalised token to the ids of the variant groups it belongs to."""

    def __init__(self, groups: Iterable[Iterable[str]] = SEED_GROUPS) -> None:
        self.groups: list[list[str]] = []
        self._index: dict[str, list[int]] = {}
        self._by_key: dict[Callable[[str], str], dict[str, list[int]]] = {}
        for group in groups:
            self.add_group(group)

    def add_group(self, names: Iterable[str]) -> int:
        members = [n for n in dict.fromkeys(names) if n]
        self._by_key.clear()
        gid = len(self.groups)
        self.groups.append(members)
        for name in members:
            ids = self._index.setdefault(name, [])
            if gid not in ids:
                ids.append(gid)
        return gid

    def add_pair(self, a: str, b: str) -> None:
        """Declare two spellings equivalent (e.g. from a confirmed match)."""
        if not a or not b or a == b:
            return
        self._by_key.clear()
        ga, gb = self._index.get(a), self._index.get(b)
        if ga and gb and set(ga) & set(gb):
            return
        if ga:
            gid = ga[0]
            self.groups[gid].append(b)
            self._index.setdefault(b, []).append(gid)
        elif gb:
            gid = gb[0]
            self.groups[gid].append(a)
            self._index.setdefault(a, []).append(gid)
        else:
            self.add_group([a, b])

    def groups_by_key(self, key: Callable[[str], str]) -> dict[str, list[int]]:
        """Group ids by ``key`` of their members (e.g. consonant skeletons), built once."""
        index = self._by_key.get(key)
        if index is None:
            index = {}
            for gid, group in enumerate(self.groups):
                for name in group:
                    ids = index.setdefault(key(name), [])
                    if gid not in ids:
                        ids.append(gid)
            self._by_key[key] = index
        return index

    def group_ids(self, token: str) -> list[int]:
        return self._index.get(token, [])

    def canonical(self, token: str) -> str | None:
        ids = self._index.get(token)
        return self.groups[ids[0]][0] if ids else None

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and token in self._index

    def names(self) -> list[str]:
        return list(self._index)
