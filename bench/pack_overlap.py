"""How much of each culture pack the test-data generators also hold.

Usage: .venv/bin/python bench/pack_overlap.py [--show]

For each pack (matching/cultures), the number of its name entries (variant spellings and
pet names, normalised; a name an earlier pack holds counts there) that also occur among
the names of data/samples/generate.py and of the independent generator
/work/shared/eval/ftrgen.py (its REGIONS). A pack that the generators hold entirely would
be knowledge copied from them, and an evaluation on their data would flatter it; cultures
they do not hold are measured by neither. ``--show`` lists the shared names.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "data" / "samples"))

from matching.culture_packs import CulturePack, load_packs  # noqa: E402
from matching.normalize import normalize_name  # noqa: E402

SHARED_GENERATOR = Path("/work/shared/eval/ftrgen.py")


def _tokens(texts: Iterable[str]) -> set[str]:
    """Normalised tokens of names as a generator writes them ("+" joins a compound that a
    writer may also split: Srey+Mom), each compound both joined and split."""
    out: set[str] = set()
    for text in texts:
        for form in (text.replace("+", " "), text.replace("+", "")):
            toks = normalize_name(form)
            out.update(toks)
            if len(toks) > 1:
                out.add("".join(toks))
    return out


def ours() -> set[str]:
    """Every name spelling of data/samples/generate.py: its lexicons' given names and
    surnames (all variants, feminine forms, nicknames) and generic nicknames."""
    import generate

    texts: list[str] = []
    for lex in generate._LEXICONS:
        for name in lex.names:
            texts += [*name.styles, *name.variants, *name.fem_styles, *name.fem_variants]
            texts += [s for pair in name.nicks for s in pair]
            texts += [*name.script, *name.fem_script]
        texts += [s for pair in lex.generic_nicks for s in pair]
    return _tokens(texts)


def shared() -> set[str] | None:
    """Every name spelling of ftrgen.py's REGIONS (given_m, given_f, family with their
    variants; nick_m, nick_f), or None when the shared evaluation is absent."""
    if not SHARED_GENERATOR.is_file():
        return None
    spec = importlib.util.spec_from_file_location("ftrgen", SHARED_GENERATOR)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    texts: list[str] = []
    for region in module.REGIONS.values():
        for key in ("given_m", "given_f", "family"):
            for canon, variants in region[key].items():
                texts += [canon, *variants]
        for key in ("nick_m", "nick_f"):
            texts += list(region[key])
    return _tokens(texts)


def pack_names(pack: CulturePack) -> set[str]:
    """A pack's name entries: every variant spelling and pet name."""
    return {n for e in pack.variants for n in e.names} | {
        n for e in pack.pet_names for n in e.names
    }


def own_names(packs: Iterable[CulturePack]) -> list[tuple[CulturePack, set[str]]]:
    """Each pack with the names it adds: a name that an earlier pack holds (the canonical
    Mohammed that the Somali entry of Maxamed extends) counts for that pack only."""
    seen: set[str] = set()
    out = []
    for pack in packs:
        names = pack_names(pack) - seen
        seen |= names
        out.append((pack, names))
    return out


def _cell(hits: set[str] | None, total: int) -> str:
    if hits is None:
        return f"{'-':>5} {'':>6}"
    share = 100.0 * len(hits) / total if total else 0.0
    return f"{len(hits):>5} {share:>5.1f}%"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="list the shared names")
    args = parser.parse_args(argv)
    ours_tokens = ours()
    shared_tokens = shared()
    if shared_tokens is None:
        print(f"{SHARED_GENERATOR} is absent: the 'in shared' column is skipped\n")
    print(f"{'pack':<24} {'entries':>7}  {'in ours (n, %)':>14}  {'in shared (n, %)':>16}")
    all_names: set[str] = set()
    for pack, names in own_names(load_packs()):
        all_names |= names
        in_ours = names & ours_tokens
        in_shared = None if shared_tokens is None else names & shared_tokens
        print(
            f"{pack.name:<24} {len(names):>7}  {_cell(in_ours, len(names)):>14}"
            f"  {_cell(in_shared, len(names)):>16}"
        )
        if args.show:
            print(f"    ours:   {', '.join(sorted(in_ours)) or '-'}")
            if in_shared is not None:
                print(f"    shared: {', '.join(sorted(in_shared)) or '-'}")
    total_shared = None if shared_tokens is None else all_names & shared_tokens
    in_ours = all_names & ours_tokens
    print(
        f"{'all packs':<24} {len(all_names):>7}  {_cell(in_ours, len(all_names)):>14}"
        f"  {_cell(total_shared, len(all_names)):>16}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
