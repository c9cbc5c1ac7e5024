"""Khmer script to the Latin spellings Cambodian names are commonly written in.

A generic transliterator (anyascii) writes letter by letter: វណ្ណា "vnna", រិទ្ធី
"retthei", កែវ "kaev", ពេជ្រ "pechr", where the family writes Vanna, Rithy, Keo, Pich.
This follows the usual (UNGEGN-like, simplified) reading instead, and comes out close
enough to those spellings for the comparisons to meet them (vana, rithy, keo, pech):

* a word is a run of clusters (a consonant with its subscripts, register marks, vowel
  and signs); a cluster without a vowel closes the syllable before it (សុខ Sok, ចាន់
  Chan, សុខប្រាក់ Sok-prak) or is a syllable of its own with the inherent vowel (កុសល
  Kosal, មករា Makara, and before a nasal closing it: សុគន្ធា So-kun-thea);
* vowels are read by the consonant's series (a-series ា "a", o-series ា "ea": ជា Chea,
  មាស Meas), the register marks ៉ and ៊ switching it;
* a subscript of the same place (ទ្ធ, ដ្ឋ, ក្ខ, ណ្ណ) is one sound, a subscript r after a
  final is silent (ពេជ្រ Pech), ហ before a sonorant is not read (ព្រហ្ម Prom), ប៉ is p
  (ប៉ែន Pen), and the letter marked ៍ is not read.

Digits and punctuation are left to the generic transliterator.

Exact romanisations differ from family to family; the comparisons (phonetic codes,
consonant skeletons, variant groups) absorb the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COENG = "\u17d2"
BANTOC = "\u17cb"
MUUSIKATOAN = "\u17c9"  # o-series consonant read as a-series
TRIISAP = "\u17ca"  # a-series consonant read as o-series
TOANDAKHIAT = "\u17cd"  # the letter is not read
NIKAHIT = "\u17c6"
REAHMUK = "\u17c7"
ROBAT = "\u17cc"
SAMYOK_SANNYA = "\u17d0"
YUUKALEAPINTU = "\u17c8"
AA = "\u17b6"  # ា
E, AE = "\u17c1", "\u17c2"  # េ, ែ

# consonant: (initial, final, series) with series 0 = a-series, 1 = o-series
_CONSONANTS: dict[str, tuple[str, str, int]] = {
    "ក": ("k", "k", 0),
    "ខ": ("kh", "k", 0),
    "គ": ("k", "k", 1),
    "ឃ": ("kh", "k", 1),
    "ង": ("ng", "ng", 1),
    "ច": ("ch", "ch", 0),
    "ឆ": ("chh", "ch", 0),
    "ជ": ("ch", "ch", 1),
    "ឈ": ("chh", "ch", 1),
    "ញ": ("nh", "nh", 1),
    "ដ": ("d", "t", 0),
    "ឋ": ("th", "th", 0),
    "ឌ": ("d", "t", 1),
    "ឍ": ("th", "th", 1),
    "ណ": ("n", "n", 0),
    "ត": ("t", "t", 0),
    "ថ": ("th", "th", 0),
    "ទ": ("t", "t", 1),
    "ធ": ("th", "th", 1),
    "ន": ("n", "n", 1),
    "ប": ("b", "p", 0),
    "ផ": ("ph", "p", 0),
    "ព": ("p", "p", 1),
    "ភ": ("ph", "p", 1),
    "ម": ("m", "m", 1),
    "យ": ("y", "y", 1),
    "រ": ("r", "r", 1),
    "ល": ("l", "l", 1),
    "វ": ("v", "v", 1),
    "ឝ": ("s", "s", 0),
    "ឞ": ("s", "s", 0),
    "ស": ("s", "s", 0),
    "ហ": ("h", "h", 0),
    "ឡ": ("l", "l", 0),
    "អ": ("", "", 0),  # carries a vowel
}
_NASALS = frozenset("ងញណនម")
_SONORANTS = frozenset("ងញណនមយរលវ")
# unaspirated + aspirated of one place written as a cluster: one (aspirated) sound
_ONE_SOUND = {
    ("ក", "ខ"),
    ("គ", "ឃ"),
    ("ច", "ឆ"),
    ("ជ", "ឈ"),
    ("ដ", "ឋ"),
    ("ឌ", "ឍ"),
    ("ត", "ថ"),
    ("ទ", "ធ"),
    ("ប", "ផ"),
    ("ព", "ភ"),
}
# dependent vowel: (a-series, o-series)
_VOWELS: dict[str, tuple[str, str]] = {
    AA: ("a", "ea"),
    "\u17b7": ("e", "i"),  # ិ
    "\u17b8": ("ei", "i"),  # ី
    "\u17b9": ("oe", "eu"),  # ឹ
    "\u17ba": ("eu", "eu"),  # ឺ
    "\u17bb": ("o", "u"),  # ុ
    "\u17bc": ("ou", "u"),  # ូ
    "\u17bd": ("uo", "uo"),  # ួ
    "\u17be": ("aeu", "eu"),  # ើ
    "\u17bf": ("oea", "oea"),  # ឿ
    "\u17c0": ("ie", "ie"),  # ៀ
    E: ("e", "e"),
    AE: ("ae", "e"),
    "\u17c3": ("ai", "ey"),  # ៃ
    "\u17c4": ("ao", "o"),  # ោ
    "\u17c5": ("ao", "ov"),  # ៅ
    SAMYOK_SANNYA: ("a", "ea"),
    YUUKALEAPINTU: ("ak", "eak"),  # ៈ: វណ្ណៈ Vannak, វីរៈ Virak
}
# o-series vowels read "ea" in a word's first syllable (Chea, Meas, Pheap), mostly "a"
# after it (ដារា Dara, មករា Makara, រតនា Rathana, វីរៈ Virak)
_EA_VOWELS = frozenset({AA, SAMYOK_SANNYA, YUUKALEAPINTU})
# a vowel at the end of a word, where it is written otherwise (Srey, Rithy)
_FINAL_VOWELS: dict[str, tuple[str, str]] = {"\u17b8": ("ey", "y")}
# vowel + nikahit
_NASAL_VOWELS: dict[str, tuple[str, str]] = {
    "": ("am", "om"),  # ធំ Thom, សំ Sam
    "\u17bb": ("om", "um"),  # ជុំ Chum
    AA: ("am", "oam"),
}
_INDEPENDENT_VOWELS = {
    "ឣ": "a",
    "ឤ": "a",
    "ឥ": "e",
    "ឦ": "ei",
    "ឧ": "o",
    "ឨ": "o",
    "ឩ": "ou",
    "ឪ": "ov",
    "ឫ": "rue",
    "ឬ": "rueu",
    "ឭ": "lue",
    "ឮ": "lueu",
    "ឯ": "ae",
    "ឰ": "ai",
    "ឱ": "ao",
    "ឲ": "ao",
    "ឳ": "au",
}
_SREY = "ស្រី"  # the female name head, always written Srey

# letters, vowels and signs (U+1780-U+17D3, U+17DD); digits and punctuation are not read
KHMER_RUN = re.compile("[\u1780-\u17d3\u17dd]+")


@dataclass
class _Cluster:
    letters: list[str]  # base consonant, then subscripts
    vowel: str = ""  # dependent vowel(s), or an independent vowel's reading
    independent: bool = False
    series: int = 0
    muusikatoan: bool = False
    nikahit: bool = False
    reahmuk: bool = False
    bantoc: bool = False
    silent: bool = False
    robat: bool = False

    @property
    def has_vowel(self) -> bool:
        return bool(self.vowel) or self.nikahit or self.reahmuk or self.independent

    @property
    def reads_across(self) -> bool:
        """A nasal over a stop (ន្ធ, ង្គ, ម្ព) or a doubled letter (ណ្ណ): its first letter
        closes the syllable before it (សុគន្ធា So-kun-thea), so a consonant without a vowel
        before it is a syllable of its own."""
        if len(self.letters) < 2:
            return False
        base, sub = self.letters[0], self.letters[1]
        return base == sub or (base in _NASALS and sub not in _SONORANTS)


def _clusters(word: str) -> list[_Cluster]:
    out: list[_Cluster] = []
    i, n = 0, len(word)
    while i < n:
        ch = word[i]
        if ch in _CONSONANTS:
            cur = _Cluster([ch], series=_CONSONANTS[ch][2])
            out.append(cur)
        elif ch in _INDEPENDENT_VOWELS:
            out.append(_Cluster([], vowel=_INDEPENDENT_VOWELS[ch], independent=True))
        elif out:  # a sign of the current cluster
            cur = out[-1]
            if ch == COENG and i + 1 < n and word[i + 1] in _CONSONANTS:
                cur.letters.append(word[i + 1])
                i += 1
            elif ch in _VOWELS:
                cur.vowel += ch
            elif ch == MUUSIKATOAN:
                cur.series = 0
                cur.muusikatoan = True
            elif ch == TRIISAP:
                cur.series = 1
            elif ch == NIKAHIT:
                cur.nikahit = True
            elif ch == REAHMUK:
                cur.reahmuk = True
            elif ch == BANTOC:
                cur.bantoc = True
            elif ch == TOANDAKHIAT:  # the letter it marks (the last written) is silent
                if len(cur.letters) > 1:
                    cur.letters.pop()
                else:
                    cur.silent = True
            elif ch == ROBAT:
                cur.robat = True
        i += 1
    return out


def _spoken(letters: list[str]) -> list[str]:
    """The letters read: ហ over a sonorant only moves it to the a-series (ហ្ម m)."""
    if len(letters) > 1 and letters[0] == "ហ" and letters[1] in _SONORANTS:
        return letters[1:]
    return letters


def _initial(c: _Cluster) -> str:
    """A cluster's consonants at the start of a syllable."""
    letters = _spoken(c.letters)
    parts: list[str] = []
    prev = ""
    for k, letter in enumerate(letters):
        sound = _CONSONANTS[letter][0]
        if letter == "ប" and (
            (k + 1 < len(letters) and letters[k + 1] == "រ") or (k == 0 and c.muusikatoan)
        ):
            sound = "p"  # ប្រ: Prak, Pros; ប៉: Pen
        if (prev, letter) in _ONE_SOUND:
            parts[-1] = sound
        elif not parts or parts[-1] != sound:  # ណ្ណ, ញ្ញ: one n
            parts.append(sound)
        prev = letter
    return "".join(parts)


def _final(letters: list[str]) -> str:
    """A cluster's consonants closing a syllable (a subscript r is silent: ពេជ្រ Pech)."""
    letters = _spoken(letters)
    base = letters[0]
    if len(letters) > 1 and (base, letters[1]) in _ONE_SOUND:
        return _CONSONANTS[letters[1]][1]  # រិទ្ធ Rith
    return _CONSONANTS[base][1]


def _vowel(c: _Cluster, first: bool, last: bool) -> str:
    if c.independent:
        return c.vowel + ("m" if c.nikahit else "") + ("h" if c.reahmuk else "")
    signs = c.vowel
    if c.nikahit and signs in _NASAL_VOWELS:
        text = _NASAL_VOWELS[signs][c.series]
    elif not signs:  # ះ alone: the inherent vowel, then h (ព្រះ Preah)
        text = "a" if c.series == 0 or not first else "ea"
    else:
        text = ""
        for k, sign in enumerate(signs):
            table = _FINAL_VOWELS if last and k == len(signs) - 1 else _VOWELS
            reading = table.get(sign, _VOWELS[sign])[c.series]
            if sign in _EA_VOWELS and c.series == 1 and not first:
                reading = reading.removeprefix("e")
            text += reading
        if c.nikahit:
            text += "m"
    return text + ("h" if c.reahmuk else "")


def _finals(clusters: list[_Cluster]) -> list[bool]:
    """Which clusters close the syllable before them rather than start one.

    A cluster without a vowel does when it is marked so (bantoc), ends the word, or
    stands between a vowel and a cluster that starts a syllable (សុខសេង Sok-seng,
    សុខប្រាក់ Sok-prak); before a nasal closing it, it is a syllable of its own (សុគន្ធា
    So-kun-thea), as it is after a syllable without a written vowel (មករា Ma-ka-ra)."""
    n = len(clusters)
    final = [False] * n
    for i, c in enumerate(clusters):
        if i == 0 or c.has_vowel or final[i - 1]:
            continue
        nxt = clusters[i + 1] if i + 1 < n else None
        final[i] = (
            c.bantoc
            or nxt is None
            or (
                clusters[i - 1].has_vowel
                and (nxt.independent or (nxt.has_vowel and not nxt.reads_across))
            )
        )
    return final


def romanise_word(word: str) -> str:
    """One Khmer word (no spaces) in Latin letters, lower case."""
    if word.startswith(_SREY):
        rest = word[len(_SREY) :]
        return "srey" + romanise_word(rest)
    clusters = [c for c in _clusters(word) if not c.silent]
    final = _finals(clusters)
    n = len(clusters)
    out: list[str] = []
    for i, c in enumerate(clusters):
        robat = "r" if c.robat else ""
        if final[i]:
            sound = _final(c.letters)
            before = clusters[i - 1]
            if sound == "v" and before.vowel in (AE, E) and not before.nikahit:
                # ែវ, េវ read "eo": Keo
                out[-1] = out[-1].removesuffix("ae").removesuffix("e") + "e"
                sound = "o"
            out.append(sound + robat)
            continue
        head = "" if c.independent else _initial(c)
        if c.has_vowel:
            body = _vowel(c, first=i == 0, last=i == n - 1)
        else:  # the inherent vowel: o in an o-series closed syllable, else a
            closed = i + 1 < n and final[i + 1]
            body = "o" if c.series == 1 and closed else "a"
        out.append(head + body + robat)
    return "".join(out)


def romanise(text: str) -> str:
    """Every run of Khmer script in ``text`` romanised; other characters kept."""
    return KHMER_RUN.sub(lambda m: romanise_word(m.group(0)), text)
