"""Pre-computed per-record features (done once per frame, vectorised over pairs later)."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pandas as pd

from matching.normalize import (
    is_vowelless,
    normalize_name,
    phonetic_codes,
    skeleton,
)
from matching.variants import VariantTable

IntArr = npt.NDArray[np.int32]
FloatArr = npt.NDArray[np.float64]

K_NAME = 5
K_PARENT = 4
K_PLACE = 6
K_IDENT = 16
IDENT_COLUMNS = ("identifier", "soc_sec_id", "national_id", "id_number")

_PARENT_REL = {
    "mother": "mother",
    "mom": "mother",
    "mum": "mother",
    "mama": "mother",
    "father": "father",
    "dad": "father",
    "papa": "father",
}
_PLACE_STOP = frozenset(
    {
        "camp",
        "village",
        "town",
        "city",
        "district",
        "market",
        "road",
        "near",
        "the",
        "of",
        "and",
        "street",
        "avenue",
        "lane",
        "place",
        "st",
        "rd",
        "ave",
    }
)


def place_tokens(text: str) -> list[str]:
    """Tokens of a place text (digits kept: a postcode or house number is evidence)."""
    from anyascii import anyascii

    words = re.split(r"[^0-9a-z]+", anyascii(text).lower())
    return [w for w in words if len(w) >= 3 and w not in _PLACE_STOP]


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


@dataclass
class TokenLists:
    """Normalised token lists of a frame, before vocabulary coding."""

    name: list[list[str]]
    mother: list[list[str]]
    father: list[list[str]]
    place: list[list[str]]


def tokenize_frame(df: pd.DataFrame, sought: bool) -> TokenLists:
    given = _text(_col(df, "given_name"))
    family = _text(_col(df, "family_name"))
    other = _text(_col(df, "other_names"))
    mother = _text(_col(df, "mother_name"))
    father = _text(_col(df, "father_name"))
    place = _text(_col(df, "separation_place"))
    inq = _text(_col(df, "inquirer_name")) if sought else [""] * len(df)
    rel = _text(_col(df, "inquirer_relationship")) if sought else [""] * len(df)
    names: list[list[str]] = []
    mothers: list[list[str]] = []
    fathers: list[list[str]] = []
    places: list[list[str]] = []
    for i in range(len(df)):
        toks: list[str] = []
        for part in (given[i], family[i], *other[i].split(";")):
            for t in normalize_name(part):
                if t not in toks:
                    toks.append(t)
        names.append(toks[:K_NAME])
        mo = normalize_name(mother[i])
        fa = normalize_name(father[i])
        r = _PARENT_REL.get(rel[i].strip().lower())
        if r is not None and inq[i]:
            it = normalize_name(inq[i])
            if r == "mother":
                mo = list(dict.fromkeys(mo + it))
            else:
                fa = list(dict.fromkeys(fa + it))
        # a parent's name part that is also the child's own (a family name, a Sudanese
        # patronymic) is already counted in the name: leave it out of the parent's bag
        own = {skeleton(t) for t in toks}
        mo = [t for t in mo if skeleton(t) not in own] or mo[:0]
        fa = [t for t in fa if skeleton(t) not in own] or fa[:0]
        mothers.append(mo[:K_PARENT])
        fathers.append(fa[:K_PARENT])
        places.append(list(dict.fromkeys(place_tokens(place[i])))[:K_PLACE])
    return TokenLists(names, mothers, fathers, places)


@lru_cache(maxsize=200_000)
def _deletion_keys(token: str) -> tuple[str, ...]:
    """The token and every string one deletion away (the typo neighbourhood's keys)."""
    return (token, *dict.fromkeys(token[:k] + token[k + 1 :] for k in range(len(token))))


class Vocab:
    """Integer coding of tokens with per-token features used by the comparisons."""

    def __init__(self, variants: VariantTable) -> None:
        self.variants = variants
        self.index: dict[str, int] = {}
        self.tokens: list[str] = []
        self._skel_canon = variants.groups_by_key(skeleton)
        self.codes: dict[str, int] = {}
        self.finalised = False

    def add(self, token: str) -> int:
        idx = self.index.get(token)
        if idx is None:
            idx = len(self.tokens)
            self.index[token] = idx
            self.tokens.append(token)
        return idx

    def _code(self, key: str) -> int:
        c = self.codes.get(key)
        if c is None:
            c = len(self.codes)
            self.codes[key] = c
        return c

    def finalise(self, counts: Counter[str]) -> None:
        """Compute token features; ``counts`` are record counts used for typo repair."""
        if not self.tokens:
            self.add("~")  # sentinel so that feature arrays are never empty
        n = len(self.tokens)
        self.grp = np.full((n, 2), -1, dtype=np.int32)
        self.ph = np.zeros((n, 3), dtype=np.int32)
        self.skel = np.zeros(n, dtype=np.int32)
        self.skv = np.full(n, -2, dtype=np.int32)  # skeleton if vowelless, else -2
        self.tfkey: list[str] = []
        for i, tok in enumerate(self.tokens):
            gids = self.variants.group_ids(tok)
            vl = is_vowelless(tok)
            sk = skeleton(tok)
            if not gids and vl:
                gids = self._skel_canon.get(sk, [])
            for j, g in enumerate(gids[:2]):
                self.grp[i, j] = g
            p, s, f = phonetic_codes(tok)
            self.ph[i] = (self._code("p:" + p), self._code("p:" + s), self._code("p:" + f))
            self.skel[i] = self._code("s:" + sk)
            if vl:
                self.skv[i] = self.skel[i]
            if gids:
                self.tfkey.append("g:" + self.variants.groups[gids[0]][0])
            elif vl:
                self.tfkey.append("s:" + sk)
            else:
                self.tfkey.append("t:" + tok)
        self.rep = self._typo_representatives(counts)
        # TF key of the typo representative (a misspelt token counts as its correct form)
        self.tfkey = [
            self.tfkey[int(r)] if self.grp[i, 0] < 0 and not self.skv[i] >= 0 else self.tfkey[i]
            for i, r in enumerate(self.rep)
        ]
        self.finalised = True

    def _typo_representatives(self, counts: Counter[str]) -> IntArr:
        """Map each token to the most frequent token one edit away (deletion neighbourhood)."""
        n = len(self.tokens)
        rep = np.arange(n, dtype=np.int32)
        buckets: dict[str, list[int]] = {}
        for i, tok in enumerate(self.tokens):
            if len(tok) < 4:
                continue
            for variant in _deletion_keys(tok):
                buckets.setdefault(variant, []).append(i)
        best: dict[int, tuple[int, str, int]] = {}
        for members in buckets.values():
            if len(members) < 2:
                continue
            top = max(members, key=lambda m: (counts.get(self.tokens[m], 0), self.tokens[m]))
            key = (counts.get(self.tokens[top], 0), self.tokens[top], top)
            for m in members:
                if m == top:
                    continue
                cur = best.get(m)
                if cur is None or key[:2] > cur[:2]:
                    best[m] = key
        for m, (_c, _t, top) in best.items():
            rep[m] = top
        return rep

    def encode(self, lists: list[list[str]], k: int) -> IntArr:
        out = np.full((len(lists), k), -1, dtype=np.int32)
        for i, toks in enumerate(lists):
            for j, t in enumerate(toks[:k]):
                out[i, j] = self.index[t]
        return out


@dataclass
class Records:
    """One frame's records as arrays."""

    ref: npt.NDArray[np.object_]
    name: IntArr
    mother: IntArr
    father: IntArr
    place: IntArr
    sex: npt.NDArray[np.int8]
    birth: FloatArr
    has_dob: npt.NDArray[np.bool_]
    dob_y: FloatArr
    dob_m: FloatArr
    dob_d: FloatArr
    sep: FloatArr
    lat: FloatArr
    lon: FloatArr
    lang: IntArr
    inquiry: npt.NDArray[np.int64]
    age_now: FloatArr
    ident: npt.NDArray[np.uint8]  # (n, K_IDENT) identifier characters, 0-padded
    ident_len: IntArr  # 0 = no identifier
    extra: dict[str, object] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ref)


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
    refd = date_years(ry, rm, rd)
    refd = np.where(np.isnan(refd), sep, refd)
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
    return Records(
        ref=ref,
        name=vocab.encode(toks.name, K_NAME),
        mother=vocab.encode(toks.mother, K_PARENT),
        father=vocab.encode(toks.father, K_PARENT),
        place=place,
        sex=sex,
        birth=np.asarray(birth, dtype=np.float64),
        has_dob=has_dob,
        dob_y=dy,
        dob_m=dm,
        dob_d=dd,
        sep=sep,
        lat=lat,
        lon=lon,
        lang=lang,
        inquiry=inquiry,
        age_now=np.asarray(age_now, dtype=np.float64),
        ident=ident,
        ident_len=ident_len,
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
