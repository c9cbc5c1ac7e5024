"""Pre-computed per-record features (done once per frame, vectorised over pairs later)."""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, pairwise, repeat
from typing import Protocol

import jellyfish
import numpy as np
import numpy.typing as npt
import pandas as pd
from anyascii import anyascii

from matching.culture_packs import kin_relation, particles, place_words
from matching.normalize import (
    COMPOUND_PART_MIN,
    _normalize_cached,
    is_join_head,
    is_vowelless,
    join_head_rest,
    phonetic_codes,
    skeleton,
)
from matching.variants import VariantTable, is_pet_name

IntArr = npt.NDArray[np.int32]
FloatArr = npt.NDArray[np.float64]

K_NAME = 5
K_PARENT = 4
K_KIN = 8
K_PLACE = 6
K_IDENT = 16
IDENT_COLUMNS = ("identifier", "soc_sec_id", "national_id", "id_number")


@lru_cache(maxsize=1024)
def parent_relation(relationship: str) -> str | None:
    """ "mother" or "father" when the inquirer's relationship says so, else None: the kin
    words of the culture packs (matching/cultures), where a step-parent, grandparent or
    other relative ("belle-mère", "زوجة الأب", "grand-mère") is not the child's parent."""
    relation = kin_relation(relationship)
    return relation if relation in ("mother", "father") else None


# generic place words (camp, village, quartier, site de déplacés, barrio...): two places
# that share only these do not agree (the culture packs' place words)
_PLACE_STOP = place_words()


def place_tokens(text: str) -> list[str]:
    """Tokens of a place text: the skeletons of its words (see normalize.skeleton), and
    numbers kept as written (a postcode or house number is evidence)."""
    return list(_place_tokens(text))


_PLACE_SPLIT = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=50_000)
def _place_tokens(text: str) -> tuple[str, ...]:
    # cached: place texts repeat (a camp, a town), and transliteration is the costly part.
    # A place is spelled as freely as a name (Adre, Adré, Adrey; El Fasher, El Facher):
    # its words are compared by consonant skeleton; numbers, and words whose skeleton is a
    # single letter (Hay, Bahai), as written
    words = _PLACE_SPLIT.split(anyascii(text).lower())
    return tuple(_place_word(w) for w in words if len(w) >= 3 and w not in _PLACE_STOP)


def _place_word(word: str) -> str:
    if any(ch.isdigit() for ch in word):
        return word
    sk = skeleton(word)
    return sk if len(sk) >= 2 else word


def _ident(df: pd.DataFrame) -> list[str]:
    for col in IDENT_COLUMNS:
        if col in df.columns:
            return [re.sub(r"[^0-9a-z]", "", t.lower()) for t in _text(df[col])]
    return [""] * len(df)


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series([None] * len(df), index=df.index, dtype=object)


def _text(series: pd.Series) -> list[str]:
    out: list[str] = []
    for v in series.tolist():
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append("")
        else:
            out.append(str(v))
    return out


def _num(series: pd.Series) -> FloatArr:
    return np.asarray(pd.to_numeric(series, errors="coerce"), dtype=np.float64)


@lru_cache(maxsize=50_000)
def _date_parts(text: str) -> tuple[float, float, float]:
    """(year, month, day) of one ISO date text, NaN where unknown or invalid."""

    def number(part: str) -> float:
        # isdigit() accepts "²" and other digits float() refuses; only ASCII 0-9 parse.
        return float(part) if part.isascii() and part.isdecimal() else math.nan

    t = text.strip()
    year, month, day = number(t[0:4]), number(t[5:7]), number(t[8:10])
    if not 1900 <= year <= 2200:
        return math.nan, math.nan, math.nan
    if not 1 <= month <= 12:
        return year, math.nan, math.nan
    if not 1 <= day <= 31:
        day = math.nan
    return year, month, day


def parse_dates(series: pd.Series) -> tuple[FloatArr, FloatArr, FloatArr]:
    """(year, month, day) as floats, NaN where unknown; accepts YYYY, YYYY-MM, YYYY-MM-DD."""
    # A plain loop over a cache: dates repeat, and pandas' string methods cost more than
    # the parsing for the few records the service scores at a time.
    parts = np.array([_date_parts(t) for t in _text(series)], dtype=np.float64).reshape(-1, 3)
    return parts[:, 0].copy(), parts[:, 1].copy(), parts[:, 2].copy()


def date_years(year: FloatArr, month: FloatArr, day: FloatArr) -> FloatArr:
    """Decimal years, filling unknown month/day with the middle of the period."""
    m = np.where(np.isnan(month), 6.5, month)
    d = np.where(np.isnan(day), 15.0, day)
    return np.asarray(year + (m - 1.0) / 12.0 + (d - 1.0) / 365.25, dtype=np.float64)


# A compound that one writer joins and another writes apart (Bunhour / Bun Hour, Sokhnich /
# Sokh-Nich) is one name: written apart within one field, its parts are joined wherever
# the data also holds the joined form, in at least COMPOUND_MIN_RECORDS records (one typo,
# "Mohamedali", must not join every Mohamed Ali). Joined rather than split: a compound
# given name that agrees is one name part agreeing, as rare as the compound, not two
# common syllables (splitting made Khmer look-alikes "2 parts agree"). Parts across two
# fields (given Sok, family Chea) are two names, whatever another record says.
COMPOUND_MIN_RECORDS = 2
Compounds = dict[str, tuple[str, str]]  # joined form -> its two parts


def _joinable(a: str, b: str) -> bool:
    # normalisation's own joins (Abd-, Abu, Srey: see normalize.is_join_head) are its own
    return min(len(a), len(b)) >= COMPOUND_PART_MIN and not is_join_head(a)


def _side_by_side(toks: TokenLists) -> Iterator[Iterable[tuple[str, str]]]:
    """Per bag, the pairs of tokens written side by side within one field."""
    yield from toks.name_pairs
    for bags in (toks.mother, toks.father):
        yield from (pairwise(bag) for bag in bags)


def compound_joins(frames: Sequence[TokenLists]) -> Compounds:
    """Joined form -> (first, second) of the token pairs written side by side within a
    field whose joined form is itself a token of at least COMPOUND_MIN_RECORDS records."""
    records = Counter(
        t for f in frames for bags in (f.name, f.mother, f.father) for bag in bags for t in set(bag)
    )
    out: Compounds = {}
    for f in frames:
        for pairs in _side_by_side(f):
            for a, b in pairs:
                if _joinable(a, b) and records[a + b] >= COMPOUND_MIN_RECORDS:
                    out.setdefault(a + b, (a, b))
    return out


def join_compounds(toks: TokenLists, table: Compounds) -> Compounds:
    """Write the compounds of the table that a record writes apart within one field as one
    name, in names and parents' names (in place: the lists are the frame's own); return
    those joined."""
    done: Compounds = {}
    if not table:
        return done
    # a parent's name is one field: any two of its tokens side by side may be a compound
    no_pairs: list[frozenset[tuple[str, str]]] = []
    bag_lists = (
        (toks.name, toks.name_pairs),
        (toks.mother, no_pairs),
        (toks.father, no_pairs),
        (toks.kin, no_pairs),
    )
    for bags, pairs in bag_lists:
        for i, bag in enumerate(bags):
            within = pairs[i] if pairs else None
            out: list[str] = []
            j = 0
            while j < len(bag):
                pair = (bag[j], bag[j + 1]) if j + 1 < len(bag) else None
                joined = pair[0] + pair[1] if pair else ""
                if pair and joined in table and (within is None or pair in within):
                    done[joined] = pair
                    out.append(joined)
                    j += 2
                    if within is not None and toks.surname and set(pair) <= toks.surname[i]:
                        toks.surname[i] = toks.surname[i] | {joined}
                else:
                    out.append(bag[j])
                    j += 1
            if len(out) < len(bag):
                bags[i] = list(dict.fromkeys(out))
    return done


@dataclass
class TokenLists:
    """Normalised token lists of a frame, before vocabulary coding."""

    name: list[list[str]]
    mother: list[list[str]]
    father: list[list[str]]
    place: list[list[str]]
    # per record, the name tokens written side by side within one field (see compounds)
    name_pairs: list[frozenset[tuple[str, str]]] = field(default_factory=list)
    # per record, every name part of the child's kin as written: both parents' and the
    # inquirer's, whatever the relationship (see compare: names that move between fields)
    kin: list[list[str]] = field(default_factory=list)
    # per record, the name parts written only as the family name: the others (given and
    # other names) are the child's own, the family name is shared with kin (compare)
    surname: list[frozenset[str]] = field(default_factory=list)


def tokenize_frame(df: pd.DataFrame, sought: bool) -> TokenLists:
    n = len(df)
    given = _text(_col(df, "given_name"))
    family = _text(_col(df, "family_name"))
    other = _text(_col(df, "other_names"))
    mother = _text(_col(df, "mother_name"))
    father = _text(_col(df, "father_name"))
    place = _text(_col(df, "separation_place"))
    inq = _text(_col(df, "inquirer_name")) if sought else [""] * n
    rel = _text(_col(df, "inquirer_relationship")) if sought else [""] * n
    names: list[list[str]] = []
    mothers: list[list[str]] = []
    fathers: list[list[str]] = []
    places: list[list[str]] = []
    kins: list[list[str]] = []
    # lists of their own: the cached tuples are shared by every frame holding the row
    rows = map(_row_tokens, given, family, other, mother, father, place, inq, rel)
    for nm, mo, fa, pl, kn in rows:
        names.append(list(nm))
        mothers.append(list(mo))
        fathers.append(list(fa))
        places.append(list(pl))
        kins.append(list(kn))
    pairs = list(map(_name_pairs, given, family, other))
    surnames = list(map(_surname_only, given, family, other))
    return TokenLists(names, mothers, fathers, places, pairs, kins, surnames)


# Patronymics formed with an ending (Oleksandrovych, Ivanovna, Ostapivna: the culture
# packs' patronymic endings) are the father's name, shared by brothers and sisters, not
# the child's own. The ending follows a whole given name (Ivan-ovna, Ostap-ivna), so a
# patronymic has at least 7 letters; shorter words that end alike are left as names
PATRONYMIC_ENDINGS = tuple(sorted(particles("patronymic_ending")))
PATRONYMIC_MIN = 7


def is_patronymic(token: str) -> bool:
    """Whether a normalised name token is a patronymic formed with an ending."""
    return len(token) >= PATRONYMIC_MIN and token.endswith(PATRONYMIC_ENDINGS)


@lru_cache(maxsize=100_000)  # as ROW_CACHE_SIZE, below
def _surname_only(given: str, family: str, other: str) -> frozenset[str]:
    """Name tokens of the family name that the given and other names don't hold."""
    own = {t for part in (given, *other.split(";")) for t in _normalize_cached(part)}
    return frozenset(t for t in _normalize_cached(family) if t not in own)


# Rows tokenised, cached by their raw texts: the service scores the same registered
# children (those with common names) again and again, a few hundred to a thousand at a
# time. Up to about 1 KB an entry with its texts (100 MB full); a bulk run misses at no
# measurable cost.
ROW_CACHE_SIZE = 100_000


@lru_cache(maxsize=ROW_CACHE_SIZE)
def _name_pairs(given: str, family: str, other: str) -> frozenset[tuple[str, str]]:
    """Name tokens written side by side within one field of a record."""
    return frozenset(
        pair
        for part in (given, family, *other.split(";"))
        for pair in pairwise(_normalize_cached(part))
    )


@lru_cache(maxsize=ROW_CACHE_SIZE)
def _row_tokens(
    given: str,
    family: str,
    other: str,
    mother: str,
    father: str,
    place: str,
    inq: str,
    rel: str,
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(name, mother, father, place, kin) tokens of one record's texts."""
    toks: list[str] = []
    for part in (given, family, *other.split(";")):
        for t in _normalize_cached(part):
            if t not in toks:
                toks.append(t)
    mo = list(_normalize_cached(mother))
    fa = list(_normalize_cached(father))
    it = list(_normalize_cached(inq)) if inq else []
    kin = tuple(dict.fromkeys(mo + fa + it))[:K_KIN]
    r = parent_relation(rel)
    if r is not None and it:
        if r == "mother":
            mo = list(dict.fromkeys(mo + it))
        else:
            fa = list(dict.fromkeys(fa + it))
    # a parent's name part that is also the child's own (a family name, a Sudanese
    # patronymic) is already counted in the name: leave it out of the parent's bag
    if mo or fa:
        own = {skeleton(t) for t in toks}
        mo = [t for t in mo if skeleton(t) not in own]
        fa = [t for t in fa if skeleton(t) not in own]
    pl = tuple(dict.fromkeys(_place_tokens(place)))[:K_PLACE]
    return tuple(toks[:K_NAME]), tuple(mo[:K_PARENT]), tuple(fa[:K_PARENT]), pl, kin


@lru_cache(maxsize=200_000)
def _token_features(token: str) -> tuple[bool, str, tuple[str, str, str, str]]:
    """(vowelless, skeleton, (3 phonetic keys, skeleton key)) of a token: names repeat
    from call to call (a process-wide cache: these depend on the token alone)."""
    sk = skeleton(token)
    p, s, f = phonetic_codes(token)
    return is_vowelless(token), sk, ("p:" + p, "p:" + s, "p:" + f, "s:" + sk)


TYPO_MIN_LENGTH = 4  # shorter tokens are never read as a misspelling of another


def compound_split(token: str, known: Callable[[str], bool]) -> tuple[str, str] | None:
    """The two parts of a compound token (Vocab._compound_parts), given which tokens are
    known: a head that normalisation joins and a known rest (its head may be unknown), or
    the first cut into two known tokens of COMPOUND_PART_MIN letters or more."""
    rest = join_head_rest(token)
    if rest is not None and known(rest):
        return token[: len(token) - len(rest)], rest
    lo = COMPOUND_PART_MIN
    for cut in range(lo, len(token) - lo + 1):
        if known(token[:cut]) and known(token[cut:]):
            return token[:cut], token[cut:]
    return None


class Spellings:
    """How many records of the caseload the engine was fitted on hold each name token.

    A misspelt token is read as the most frequent token one edit away
    (Vocab._typo_representatives). Among the few records real-time matching looks at, the
    right spelling is often absent: with the caseload's counts, and its most frequent
    token of each deletion bucket offered as a representative, a record is read alone as
    it is read among all (the same tf key, the same typo levels), which is what makes a
    real-time ranking the same as `ftr link`'s."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self._tops: dict[str, tuple[int, str]] | None = None

    def tops(self) -> dict[str, tuple[int, str]]:
        """Each deletion key's most frequent token (most records, then greatest token)."""
        if self._tops is None:
            tops: dict[str, tuple[int, str]] = {}
            for token, count in self.counts.items():
                if len(token) < TYPO_MIN_LENGTH:
                    continue
                ranked = (count, token)
                for key in _deletion_keys(token):
                    if tops.get(key, (-1, "")) < ranked:
                        tops[key] = ranked
            self._tops = tops
        return self._tops

    def offered(self, tokens: Sequence[str]) -> list[str]:
        """The caseload's tokens that a vocabulary of these tokens needs to read them as
        among the whole caseload: the top of each deletion bucket they are in (their
        representatives are picked among those), and the parts of compounds split by
        tokens of the caseload."""
        present = set(tokens)

        def known(token: str) -> bool:
            return token in present or token in self.counts

        # a compound's parts first: a part is read (its representative) as any token
        parts: dict[str, None] = {}
        for token in tokens:
            split = compound_split(token, known)
            if split is not None:
                parts.update(dict.fromkeys(p for p in split if p in self.counts))
        tops = self.tops()
        found = dict(parts)
        for token in [*tokens, *parts]:
            if len(token) >= TYPO_MIN_LENGTH:
                for key in _deletion_keys(token):
                    top = tops.get(key)
                    if top is not None:
                        found[top[1]] = None
        return [t for t in found if t not in present]


@lru_cache(maxsize=200_000)
def _deletion_keys(token: str) -> tuple[str, ...]:
    """The token and every string one deletion away (the typo neighbourhood's keys)."""
    return (token, *dict.fromkeys(token[:k] + token[k + 1 :] for k in range(len(token))))


def _runs(key: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Positions sorted by key, and where each run of one key starts among them."""
    order = np.argsort(key, kind="stable")
    k = key[order]
    return order, np.flatnonzero(np.r_[True, k[1:] != k[:-1]])


# the most edits (Damerau-Levenshtein: a swap is one), per letter of the longer spelling,
# between two spellings that a shared phonetic code makes the same name (see
# Vocab.spellings_close; Jaro-Winkler says nothing of short names: Oum / Um scores 0)
PHONETIC_MAX_EDITS = 0.5


# the fewest letters of two names that agree as strongly as phonetically when one is the
# other's typo representative (a letter more, less or, via a shared deletion, changed:
# Kunthear / Kunthea); shorter ones are only similar (Sokha / Sokhan, Dara / Tara)
TYPO_STRONG_MIN = 6


class Vocab:
    """Integer coding of tokens with per-token features used by the comparisons."""

    def __init__(self, variants: VariantTable) -> None:
        self.variants = variants
        self.index: dict[str, int] = {}
        self.tokens: list[str] = []
        self._skel_canon = variants.groups_by_key(skeleton)
        self.codes: dict[str, int] = {}
        self._close: dict[int, bool] = {}
        self.finalised = False
        # every token pair's level (compare.token_levels), built once where it pays
        self.level_table: npt.NDArray[np.int8] | None = None
        self.pairs_compared = 0  # token pairs compared without the table so far
        self.level_table_lock = threading.Lock()

    def add(self, token: str) -> int:
        idx = self.index.get(token)
        if idx is None:
            idx = len(self.tokens)
            self.index[token] = idx
            self.tokens.append(token)
        return idx

    def add_all(self, tokens: Iterable[str]) -> None:
        """:meth:`add` every token, in order."""
        index = self.index
        for token in dict.fromkeys(tokens):
            if token not in index:
                index[token] = len(self.tokens)
                self.tokens.append(token)

    def finalise(self, counts: Counter[str]) -> None:
        """Compute token features; ``counts`` are record counts used for typo repair."""
        if not self.tokens:
            self.add("~")  # sentinel so that feature arrays are never empty
        n = len(self.tokens)
        grp: list[list[int]] = []
        keys: list[tuple[str, str, str, str]] = []
        vowelless: list[bool] = []
        self.tfkey: list[str] = []
        group_ids, skel_canon, groups = (
            self.variants.group_ids,
            self._skel_canon,
            self.variants.groups,
        )
        for tok in self.tokens:
            vl, sk, tok_keys = _token_features(tok)
            gids = group_ids(tok)
            if not gids and vl:
                gids = skel_canon.get(sk, [])
            grp.append(gids[:2])
            keys.append(tok_keys)
            vowelless.append(vl)
            if gids:
                self.tfkey.append("g:" + groups[gids[0]][0])
            elif vl:
                self.tfkey.append("s:" + sk)
            else:
                self.tfkey.append("t:" + tok)
        self.grp = np.full((n, 2), -1, dtype=np.int32)
        for i, gids in enumerate(grp):
            if gids:
                self.grp[i, : len(gids)] = gids
        # codes numbered in order of first use: three phonetic keys, then the skeleton's
        codes = self.codes
        coded = np.array(
            [codes.setdefault(k, len(codes)) for k in chain.from_iterable(keys)], dtype=np.int32
        ).reshape(n, 4)
        self.ph = np.ascontiguousarray(coded[:, :3])
        # pet names (Pov, Toch): a record known by these alone may be anyone's (compare)
        self.pet = np.array([is_pet_name(t) for t in self.tokens], dtype=bool)
        # long enough that one letter more or less is a typo rather than another name
        self.typo_strong = np.array([len(t) >= TYPO_STRONG_MIN for t in self.tokens], dtype=bool)
        self.skel = np.ascontiguousarray(coded[:, 3])
        # skeleton if vowelless, else -2
        self.skv = np.where(np.array(vowelless, dtype=bool), self.skel, -2).astype(np.int32)
        self.rep = self._typo_representatives(counts)
        self.part = self._compound_parts()
        # the parts' typo representatives, for comparisons; -5 (never a token) for none
        self.part_rep = np.ascontiguousarray(np.append(self.rep, -5)[self.part])
        # TF key of the typo representative (a misspelt token counts as its correct form)
        own = ((self.grp[:, 0] >= 0) | (self.skv >= 0)).tolist()
        tfkey = self.tfkey
        reps = self.rep.tolist()
        self.tfkey = [tfkey[i] if own[i] else tfkey[r] for i, r in enumerate(reps)]
        self.finalised = True

    def spellings_close(self, ta: IntArr, tb: IntArr) -> npt.NDArray[np.bool_]:
        """Whether each token pair's spellings are within PHONETIC_MAX_EDITS, each distinct
        pair computed once per vocabulary."""
        n = len(self.tokens)
        lo, hi = np.minimum(ta, tb).astype(np.int64), np.maximum(ta, tb)  # symmetric
        code = lo * n + hi
        uniq, inv = np.unique(code, return_inverse=True)
        cache = self._close
        missing = [c for c in uniq.tolist() if c not in cache]
        tokens = self.tokens
        for c in missing:
            a, b = divmod(c, n)
            x, y = tokens[a], tokens[b]
            cache[c] = jellyfish.damerau_levenshtein_distance(x, y) <= PHONETIC_MAX_EDITS * max(
                len(x), len(y)
            )
        close = np.fromiter(map(cache.__getitem__, uniq.tolist()), dtype=bool, count=len(uniq))
        return np.asarray(close[inv.reshape(-1)], dtype=np.bool_)

    def _compound_parts(self) -> IntArr:
        """(V, 2): a compound token's two parts (token ids), -1 if none.

        A token is a compound when it splits into two tokens of the vocabulary of at least
        COMPOUND_PART_MIN letters each (Mengdara: Meng + Dara), or into a head that
        normalisation joins and a token (Sreypov: Srey + Pov). A small child often knows
        only one part ("Dara", "Pov"): a part is a similar name, no more (two common
        syllables are not a rare compound, see compound_joins), and a blocking key."""
        index, tokens = self.index, self.tokens
        part = np.full((len(tokens), 2), -1, dtype=np.int32)
        for i, tok in enumerate(tokens):
            split = compound_split(tok, index.__contains__)
            if split is not None:
                part[i] = (index.get(split[0], -1), index[split[1]])
        return part

    def _typo_representatives(self, counts: Counter[str]) -> IntArr:
        """Map each token to the most frequent token one edit away (deletion neighbourhood).

        Tokens sharing a deletion key form a bucket; each token's representative is the
        bucket top (most record counts, then the greatest token) that ranks highest over
        the buckets it is in without being their top.
        """
        n = len(self.tokens)
        rep = np.arange(n, dtype=np.int32)
        tokens = self.tokens
        long = [i for i, tok in enumerate(tokens) if len(tok) >= TYPO_MIN_LENGTH]
        if len(long) < 2:
            return rep
        # rank of each long token by (count, token): distinct tokens, distinct ranks
        long_tokens = [tokens[i] for i in long]
        long_counts = map(counts.get, long_tokens, repeat(0))
        by_rank = [i for _c, _t, i in sorted(zip(long_counts, long_tokens, long, strict=True))]
        rank = np.full(n, -1, dtype=np.int64)
        rank[by_rank] = np.arange(len(by_rank))
        keys = list(map(_deletion_keys, long_tokens))
        sizes = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
        owner = np.repeat(np.array(long, dtype=np.int64), sizes)
        flat = list(chain.from_iterable(keys))
        # buckets by the keys' hashes (a string keeps its hash once computed); two
        # different keys with one hash would make one bucket: then by the keys themselves
        order, start = _runs(np.fromiter(map(hash, flat), dtype=np.int64, count=len(flat)))
        if len(start) != len(set(flat)):
            ids: dict[str, int] = {}
            order, start = _runs(np.array([ids.setdefault(k, len(ids)) for k in flat]))
        member = owner[order]
        size = np.diff(np.r_[start, len(order)])
        top = np.maximum.reduceat(rank[member], start)  # each bucket's top rank
        top_m = np.repeat(top, size)
        keep = np.repeat(size >= 2, size) & (rank[member] != top_m)
        best = np.full(n, -1, dtype=np.int64)
        np.maximum.at(best, member[keep], top_m[keep])
        has = best >= 0
        rep[has] = np.array(by_rank, dtype=np.int32)[best[has]]
        return rep

    def encode(self, lists: list[list[str]], k: int) -> IntArr:
        out = np.full((len(lists), k), -1, dtype=np.int32)
        sizes = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        if len(sizes) and sizes.max() > k:
            lists = [toks[:k] for toks in lists]
            sizes = np.minimum(sizes, k)
        total = int(sizes.sum())
        if total:
            flat = chain.from_iterable(lists)
            codes = np.fromiter(map(self.index.__getitem__, flat), dtype=np.int32, count=total)
            rows = np.repeat(np.arange(len(lists)), sizes)
            cols = np.arange(total) - np.repeat(np.cumsum(sizes) - sizes, sizes)
            out[rows, cols] = codes
        return out


class BlockNumbers(Protocol):
    """What blocking's pre-score reads of records besides their keys: Records has it, and
    so has the store's copy of it (candidates.BlockProfile)."""

    @property
    def sex(self) -> npt.NDArray[np.int8]: ...
    @property
    def birth(self) -> FloatArr: ...
    @property
    def sep(self) -> FloatArr: ...
    @property
    def sep_month(self) -> npt.NDArray[np.bool_]: ...
    @property
    def day(self) -> FloatArr: ...
    @property
    def lat(self) -> FloatArr: ...
    @property
    def lon(self) -> FloatArr: ...


@dataclass
class Records:
    """One frame's records as arrays."""

    ref: npt.NDArray[np.object_]
    name: IntArr
    mother: IntArr
    father: IntArr
    place: IntArr
    kin: IntArr  # (n, K_KIN) the kin's name parts as written (TokenLists.kin)
    name_own: npt.NDArray[np.bool_]  # (n, K_NAME) a given or other name, not the family name
    sex: npt.NDArray[np.int8]
    birth: FloatArr
    has_dob: npt.NDArray[np.bool_]
    dob_y: FloatArr
    dob_m: FloatArr
    dob_d: FloatArr
    sep: FloatArr
    sep_month: npt.NDArray[np.bool_]  # the separation date is known to the month at least
    day: FloatArr  # registration or request date, NaN = unknown or only its year known
    lat: FloatArr
    lon: FloatArr
    lang: IntArr
    inquiry: npt.NDArray[np.int64]
    age_now: FloatArr
    ident: npt.NDArray[np.uint8]  # (n, K_IDENT) identifier characters, 0-padded
    ident_len: IntArr  # 0 = no identifier
    pet_name_only: npt.NDArray[np.bool_]  # no family name, every name a pet name (PET_NAMES)
    extra: dict[str, object] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ref)


def ref_ranks(refs: npt.NDArray[np.object_]) -> IntArr:
    """Each record's place in the order of its refs (as text): the tie-break that makes
    rankings independent of row order."""
    by_ref = np.argsort(refs.astype(str), kind="stable")
    rank = np.empty(len(by_ref), dtype=np.int32)
    rank[by_ref] = np.arange(len(by_ref), dtype=np.int32)
    return rank


def build_records(
    df: pd.DataFrame,
    toks: TokenLists,
    vocab: Vocab,
    place_index: dict[str, int],
    lang_index: dict[str, int],
    sought: bool,
    default_ref_year: float,
) -> Records:
    n = len(df)
    ref = np.asarray(_text(_col(df, "ref")), dtype=object)
    sex_txt = [s.strip().lower()[:1] for s in _text(_col(df, "sex"))]
    sex = np.array([1 if s == "m" else 2 if s == "f" else 0 for s in sex_txt], dtype=np.int8)
    age = _num(_col(df, "age"))
    age[(age < 0) | (age > 30)] = np.nan
    dy, dm, dd = parse_dates(_col(df, "date_of_birth"))
    sy, sm, sd = parse_dates(_col(df, "separation_date"))
    ry, rm, rd = parse_dates(_col(df, "request_date" if sought else "registration_date"))
    sep = date_years(sy, sm, sd)
    recorded = date_years(ry, rm, rd)
    refd = np.where(np.isnan(recorded), sep, recorded)
    # compared with a separation date only when known to the month (a year alone says
    # nothing of weeks)
    day = np.where(np.isnan(rm), np.nan, recorded)
    refd = np.where(np.isnan(refd), default_ref_year, refd)
    birth_age = refd - age - 0.5
    birth_dob = date_years(dy, dm, dd)
    has_dob = ~np.isnan(dy)
    birth = np.where(has_dob, birth_dob, birth_age)
    age_now = np.where(np.isnan(age), refd - birth_dob, age)
    lat = _num(_col(df, "separation_lat"))
    lon = _num(_col(df, "separation_lon"))
    bad = np.isnan(lat) | np.isnan(lon) | (np.abs(lat) > 90) | (np.abs(lon) > 180)
    lat[bad] = np.nan
    lon[bad] = np.nan
    langs = [s.strip().lower() for s in _text(_col(df, "language"))]
    lang = np.array(
        [lang_index.setdefault(s, len(lang_index)) if s else -1 for s in langs], dtype=np.int32
    )
    place = np.full((n, K_PLACE), -1, dtype=np.int32)
    for i, pl in enumerate(toks.place):
        for j, t in enumerate(pl):
            place[i, j] = place_index.setdefault(t, len(place_index))
    ids = [t[:K_IDENT] for t in _ident(df)]
    ident = np.zeros((n, K_IDENT), dtype=np.uint8)
    for i, t in enumerate(ids):
        b = t.encode("ascii", "ignore")
        ident[i, : len(b)] = np.frombuffer(b, dtype=np.uint8)
    ident_len = np.array([len(t) for t in ids], dtype=np.int32)
    if sought:
        inq_txt = _text(_col(df, "inquiry_ref"))
        inq_index: dict[str, int] = {}
        inquiry = np.array(
            [inq_index.setdefault(s, len(inq_index)) if s else -1 for s in inq_txt], dtype=np.int64
        )
        base = len(inq_index)
        lone = inquiry < 0
        inquiry[lone] = base + np.arange(int(lone.sum()))
    else:
        inquiry = np.arange(n, dtype=np.int64)
    name = vocab.encode(toks.name, K_NAME)
    name_own = np.zeros(name.shape, dtype=bool)
    for i, (bag, surname) in enumerate(zip(toks.name, toks.surname, strict=True)):
        own = [t not in surname and not is_patronymic(t) for t in bag[:K_NAME]]
        name_own[i, : len(own)] = own
    pet = np.append(vocab.pet, True)[name]  # a missing token (-1) is no objection
    no_family_name = np.array([not t.strip() for t in _text(_col(df, "family_name"))], dtype=bool)
    return Records(
        ref=ref,
        name=name,
        mother=vocab.encode(toks.mother, K_PARENT),
        father=vocab.encode(toks.father, K_PARENT),
        place=place,
        kin=vocab.encode(toks.kin, K_KIN),
        name_own=name_own,
        sex=sex,
        birth=np.asarray(birth, dtype=np.float64),
        has_dob=has_dob,
        dob_y=dy,
        dob_m=dm,
        dob_d=dd,
        sep=sep,
        sep_month=~np.isnan(sm),
        day=np.asarray(day, dtype=np.float64),
        lat=lat,
        lon=lon,
        lang=lang,
        inquiry=inquiry,
        age_now=np.asarray(age_now, dtype=np.float64),
        ident=ident,
        ident_len=ident_len,
        # with a family name written down, the child is known by more than a pet name
        # (and Touch, Tuch are family names as well as "small")
        pet_name_only=np.asarray(
            pet.all(axis=1) & (name >= 0).any(axis=1) & no_family_name, dtype=bool
        ),
    )


def reference_year(*frames: pd.DataFrame) -> float:
    """Median registration/request/separation year over frames (for ages without a date)."""
    vals: list[FloatArr] = []
    for df in frames:
        for col in ("registration_date", "request_date", "separation_date"):
            if col in df.columns:
                y, m, d = parse_dates(df[col])
                v = date_years(y, m, d)
                vals.append(v[~np.isnan(v)])
    allv = np.concatenate(vals) if vals else np.zeros(0)
    return float(np.median(allv)) if len(allv) else 2025.0
