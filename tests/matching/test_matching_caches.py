"""The per-call shortcuts of a session (process-wide caches, vectorised features) against
the plain per-item definitions they replace."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from matching import records
from matching.compare import TFArrays, TFTables
from matching.records import Vocab, _deletion_keys, tokenize_frame
from matching.variants import VariantTable

_ROWS = [
    {
        "given_name": "Mohamed",
        "family_name": "Abdel Rahman",
        "other_names": "Ali;Hassan",
        "mother_name": "Fatima Ali",
        "father_name": "Abdel Rahman Osman",
        "separation_place": "Camp Djabal, near Goz Beida",
        "inquirer_name": "Amina Hassan",
        "inquirer_relationship": "Mother",
    },
    {
        "given_name": "محمد",
        "family_name": None,
        "other_names": float("nan"),
        "mother_name": "Олександра Їжак",
        "father_name": "",
        "separation_place": "Kralanh",
        "inquirer_name": "Hassan",
        "inquirer_relationship": "dad",
    },
]


def _token_lists(t: records.TokenLists) -> list[list[list[str]]]:
    return [t.name, t.mother, t.father, t.place]  # name_pairs: frozen sets, shared safely


def test_tokenized_rows_are_callers_own_lists() -> None:
    df = pd.DataFrame(_ROWS)
    first = tokenize_frame(df, sought=True)
    expected = [[list(x) for x in lists] for lists in _token_lists(first)]
    for lists in _token_lists(first):  # a caller that edits its token lists...
        for toks in lists:
            toks.append("zzz")
            toks.reverse()
    again = tokenize_frame(df, sought=True)  # ... does not edit the cache
    assert _token_lists(again) == expected
    records._row_tokens.cache_clear()
    assert _token_lists(tokenize_frame(df, sought=True)) == expected
    assert records.place_tokens("Camp Djabal, near Goz Beida") == ["dgbl", "gs", "bd"]


def test_place_spellings_share_their_tokens() -> None:
    tokens = records.place_tokens
    assert tokens("Adre") == tokens("Adré") == tokens("ADREY") == tokens("outside Adry")
    assert tokens("El Fasher") == tokens("El Facher camp")
    assert tokens("Misterei") == tokens("Misteray")
    assert tokens("Zalingei") == tokens("ZALINGAY")
    assert tokens("Kutum") != tokens("Kabkabiya")
    assert tokens("Hay") != tokens("Hoy")  # one-letter skeletons are kept as written
    assert tokens("8 Stanley St, 2600") == ["stnl", "2600"]


def test_tokenized_rows_per_role() -> None:
    """The inquirer counts as a parent only for a sought child; the cache keeps them apart."""
    df = pd.DataFrame(_ROWS[:1])
    as_sought = tokenize_frame(df, sought=True)
    as_child = tokenize_frame(df, sought=False)
    assert "amina" in as_sought.mother[0]
    assert "amina" not in as_child.mother[0]
    # a parent's name part that is the child's own is left out of the parent's bag
    assert "abdrahman" in as_child.name[0] and "abdrahman" not in as_child.father[0]


def _typo_reference(tokens: list[str], counts: Counter[str]) -> np.ndarray:
    """The per-bucket loop the vectorised version replaces."""
    rep = np.arange(len(tokens), dtype=np.int32)
    buckets: dict[str, list[int]] = {}
    for i, tok in enumerate(tokens):
        if len(tok) < 4:
            continue
        for variant in _deletion_keys(tok):
            buckets.setdefault(variant, []).append(i)
    best: dict[int, tuple[int, str, int]] = {}
    for members in buckets.values():
        if len(members) < 2:
            continue
        top = max(members, key=lambda m: (counts.get(tokens[m], 0), tokens[m]))
        key = (counts.get(tokens[top], 0), tokens[top], top)
        for m in members:
            if m == top:
                continue
            cur = best.get(m)
            if cur is None or key[:2] > cur[:2]:
                best[m] = key
    for m, (_c, _t, top) in best.items():
        rep[m] = top
    return rep


def _random_vocab(seed: int) -> tuple[Vocab, Counter[str]]:
    rnd = random.Random(seed)
    stems = ["ahmad", "mohamed", "fatima", "osman", "ibrahim", "sok", "dara", "olena", "ali"]
    tokens: set[str] = set()
    while len(tokens) < 300:
        t = list(rnd.choice(stems))
        for _ in range(rnd.randint(0, 2)):  # a typo or two: delete, double, swap a letter
            k = rnd.randrange(len(t))
            op = rnd.randrange(3)
            if op == 0 and len(t) > 2:
                del t[k]
            elif op == 1:
                t.insert(k, t[k])
            else:
                t[k] = rnd.choice("aeiouhklmnrsy")
        tokens.add("".join(t))
    v = Vocab(VariantTable())
    counts: Counter[str] = Counter()
    for t in sorted(tokens, key=lambda _: rnd.random()):
        v.add(t)
        counts[t] = rnd.choice([1, 1, 2, 3, 10, 50])  # ties in count: the token decides
    return v, counts


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_typo_representatives_as_defined(seed: int) -> None:
    v, counts = _random_vocab(seed)
    expected = _typo_reference(v.tokens, counts)
    assert (expected != np.arange(len(v.tokens))).sum() > 50  # the test has typos to repair
    np.testing.assert_array_equal(v._typo_representatives(counts), expected)


def test_typo_representatives_when_hashes_collide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every key with one hash: the keys themselves make the buckets."""
    v, counts = _random_vocab(4)
    expected = _typo_reference(v.tokens, counts)
    monkeypatch.setattr(records, "hash", lambda _key: 7, raising=False)
    np.testing.assert_array_equal(v._typo_representatives(counts), expected)


def test_finalise_numbers_codes_in_order_of_first_use() -> None:
    v, counts = _random_vocab(5)
    v.finalise(counts)
    codes: dict[str, int] = {}
    for i, tok in enumerate(v.tokens):
        _vl, _sk, keys = records._token_features(tok)
        got = [*v.ph[i].tolist(), int(v.skel[i])]
        assert got == [codes.setdefault(k, len(codes)) for k in keys]
    assert codes == v.codes


def test_encode_pads_and_truncates() -> None:
    v = Vocab(VariantTable())
    for t in ["a", "b", "c", "d"]:
        v.add(t)
    out = v.encode([["a", "b", "c"], [], ["d"], ["d", "c", "b", "a"]], 3)
    np.testing.assert_array_equal(out, [[0, 1, 2], [-1, -1, -1], [3, -1, -1], [3, 2, 1]])
    assert v.encode([], 2).shape == (0, 2)
    assert v.encode([[], []], 2).tolist() == [[-1, -1], [-1, -1]]


def test_tf_arrays_pair_frequencies() -> None:
    v = Vocab(VariantTable())
    for t in ["ahmad", "osman", "ali", "sok"]:
        v.add(t)
    v.finalise(Counter())
    key = {t: v.tfkey[i] for i, t in enumerate(v.tokens)}
    pairs = {
        key["ahmad"] + "|" + key["osman"]: 7,
        key["ali"] + "|" + key["osman"]: 3,
        key["ali"] + "|" + "t:nobody": 9,  # a pair this session has no use for
    }
    tf = TFTables(n=100, name={}, mother={}, father={}, name_pairs=pairs)
    tfa = TFArrays.build(v, tf)
    nk = tfa.n_keys
    got = dict(zip(tfa.pair_codes.tolist(), tfa.pair_logf.tolist(), strict=True))
    kid = {t: int(tfa.key_id[v.index[t]]) for t in v.tokens}

    def code(a: str, b: str) -> int:
        lo, hi = sorted((kid[a], kid[b]))
        return lo * nk + hi

    assert got == {
        code("ahmad", "osman"): float(np.log(7.5 / 100)),
        code("ali", "osman"): float(np.log(3.5 / 100)),
    }
    assert np.all(np.diff(tfa.pair_codes) > 0)
