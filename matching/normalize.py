"""Name normalisation: any script to comparable ASCII tokens, plus phonetic keys.

All name parts of a record form one bag of tokens (order and field are unreliable).
Arabic script writes no short vowels, so Arabic-script names become their consonant
*skeleton* (``محمد`` -> ``mhmd``); Latin tokens are compared with such tokens through
their own skeleton (``mohammed`` -> ``mhmd``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii
from doublemetaphone import doublemetaphone

from matching.culture_packs import particles
from matching.khmer import KHMER_RUN
from matching.khmer import romanise as romanise_khmer
from matching.variants import JOIN_HEADS, SEED_GROUPS, VariantTable

# --- Arabic script -------------------------------------------------------------------
_AR_CONS: dict[str, str] = {
    "ب": "b",
    "ت": "t",
    "ث": "s",
    "ج": "j",
    "ح": "h",
    "خ": "kh",
    "د": "d",
    "ذ": "z",
    "ر": "r",
    "ز": "z",
    "س": "s",
    "ش": "sh",
    "ص": "s",
    "ض": "d",
    "ط": "t",
    "ظ": "z",
    "غ": "gh",
    "ف": "f",
    "ق": "q",
    "ك": "k",
    "ک": "k",
    "گ": "g",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ه": "h",
    "پ": "p",
    "چ": "ch",
    "ڤ": "v",
}
_AR_ALEF = set("اأإآٱ")
_AR_SILENT = set("ءئؤـًٌٍَُِّْٰ")  # hamza carriers, tatweel, harakat
_AR_DIGITS = {chr(0x0660 + i): "" for i in range(10)}
# Arabic-script particles (culture packs): patronymics dropped, the article dropped or
# stripped, heads (Abd, Abu, Umm) joined with the next word
_AR_PATRONYMIC = particles("patronymic", "Arab")
_AR_ARTICLES = tuple(sorted(particles("article", "Arab"), key=len, reverse=True))
_AR_JOIN_HEADS = particles("join_head", "Arab")

# --- Cyrillic (Ukrainian national romanisation, used when Ukrainian letters occur) ----
_UK_LETTERS = set("іїєґІЇЄҐ")
_UK: dict[str, tuple[str, str]] = {  # letter -> (word-initial, elsewhere)
    "а": ("a", "a"),
    "б": ("b", "b"),
    "в": ("v", "v"),
    "г": ("h", "h"),
    "ґ": ("g", "g"),
    "д": ("d", "d"),
    "е": ("e", "e"),
    "є": ("ye", "ie"),
    "ж": ("zh", "zh"),
    "з": ("z", "z"),
    "и": ("y", "y"),
    "і": ("i", "i"),
    "ї": ("yi", "i"),
    "й": ("y", "i"),
    "к": ("k", "k"),
    "л": ("l", "l"),
    "м": ("m", "m"),
    "н": ("n", "n"),
    "о": ("o", "o"),
    "п": ("p", "p"),
    "р": ("r", "r"),
    "с": ("s", "s"),
    "т": ("t", "t"),
    "у": ("u", "u"),
    "ф": ("f", "f"),
    "х": ("kh", "kh"),
    "ц": ("ts", "ts"),
    "ч": ("ch", "ch"),
    "ш": ("sh", "sh"),
    "щ": ("shch", "shch"),
    "ь": ("", ""),
    "ю": ("yu", "iu"),
    "я": ("ya", "ia"),
    "ъ": ("", ""),
    "ы": ("y", "y"),
    "э": ("e", "e"),
    "ё": ("yo", "io"),
    "'": ("", ""),
    "’": ("", ""),
    "ʼ": ("", ""),
}

_VOWELS = set("aeiou")
_SPLIT = re.compile(r"[^a-z]+")
_SPACES = re.compile(r"\s+")
_HYPHENS = re.compile(r"[-_]+")
_APOSTROPHES = re.compile(r"['`’ʼʻ´‘]")
# Particles come from the culture packs (matching/cultures): articles and patronymics are
# dropped when standing alone before another name, assimilated articles (ad-, as-) when
# written with a hyphen before it, a family name's particles (de la, dos) before it.
_ARTICLES = particles("article", "Latn")
_ASSIMILATED = particles("assimilated_article", "Latn")
_PATRONYMIC = particles("patronymic", "Latn")
# several words each (de la): as tuples of words, longest first
_FAMILY_PARTICLES = tuple(
    sorted((tuple(p.split()) for p in particles("family_particle", "Latn")), key=len, reverse=True)
)
_FAMILY_FIRST = frozenset(p[0] for p in _FAMILY_PARTICLES)
_ABD_HEAD = re.compile(r"^abd(?:el|al|ul|oul|ol|il|ou|u|e|a|o|i)?$")
# Abd with the article assimilated to a sun letter, written apart from the name it
# doubles: Abder Rahmane, Abdes Salam, Abden Nasir, Abded Daim (Abd ar-Rahman ...). Not
# with i: Abdin (Abidin) is a name of its own ("Abdin Nasir" is two names).
_ABD_SUN = re.compile(r"^abd[aeou](sh|th|dh|[tdrzsn])$")
_ABD_JOINED = re.compile(r"^abd(el|al|ul|oul|ol|il|ou|u|e|a|o|i)?([a-z]{2,})$")
_ALLAH = particles("allah_tail", "Latn")
_DIN_TAIL = particles("din_tail", "Latn")
_DIN_JOINED = re.compile(r"^([a-z]{3,}?)(?:el|al|ud|ed|ad|ul|u|e|a)?d(?:in|een|ine)$")

_KNOWN: frozenset[str] = frozenset(n for g in SEED_GROUPS for n in g)


def _is_arabic(ch: str) -> bool:
    return "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" or "\ufb50" <= ch <= "\ufeff"


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff"


def _arabic_word(word: str) -> str:
    """Transliterate one Arabic-script word to its consonant skeleton."""
    out: list[str] = []
    n = len(word)
    for i, ch in enumerate(word):
        if ch in _AR_SILENT or ch in _AR_DIGITS:
            continue
        if ch in _AR_ALEF or ch == "ع":
            out.append("a" if not out else "")
        elif ch == "و":
            out.append("w" if not out else "u")
        elif ch == "ي" or ch == "ی":
            out.append("y" if not out else "i")
        elif ch == "ى":
            out.append("a")
        elif ch == "ة":
            out.append("" if i == n - 1 else "t")
        else:
            out.append(_AR_CONS.get(ch, ""))
    return skeleton("".join(out))


def _ar_strip_article(word: str) -> str:
    """The word without an article joined to it (الرحمن: رحمن), if two letters remain."""
    for art in _AR_ARTICLES:
        if word.startswith(art) and len(word) > len(art) + 1:
            return word[len(art) :]
    return word


def _arabic_tokens(text: str) -> list[str]:
    words = [w for w in re.split(r"[\s\-_.,;/()]+", text) if w]
    tokens: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w in _AR_PATRONYMIC:
            i += 1
            continue
        if w in _AR_ARTICLES and i + 1 < len(words):  # detached article
            i += 1
            continue
        w = _ar_strip_article(w)
        if w in _AR_JOIN_HEADS and i + 1 < len(words):
            nxt = _ar_strip_article(words[i + 1])
            tokens.append(_arabic_word(w + nxt))
            i += 2
            continue
        tok = _arabic_word(w)
        if tok:
            tokens.append(tok)
        i += 1
    return tokens


def _cyrillic_uk(text: str) -> str:
    out: list[str] = []
    prev_letter = False
    for ch in text:
        low = ch.lower()
        if low in _UK:
            out.append(_UK[low][1 if prev_letter else 0])
            prev_letter = low not in ("'", "’", "ʼ")
        else:
            out.append(anyascii(ch))
            prev_letter = ch.isalpha()
    return "".join(out)


def to_ascii(text: str) -> str:
    """Transliterate non-Arabic text to lower-case ASCII."""
    if text.isascii():
        return text.lower()
    if any(_is_cyrillic(c) for c in text) and any(c in _UK_LETTERS for c in text):
        text = "".join(
            _cyrillic_uk(part) if any(_is_cyrillic(c) for c in part) else part
            for part in re.split(r"(\s+)", text)
        )
    text = unicodedata.normalize("NFC", text)
    if KHMER_RUN.search(text):
        # as Cambodian names are spelt, not letter by letter (វណ្ណា vana, not "vnna")
        text = romanise_khmer(text)
    return anyascii(text).lower()


def _canon_abd(rest: str) -> str | None:
    rest = rest.strip()
    for art in ("el", "al", "ul", "oul", "ol", "il", "ou", "u", "e", "a", "o", "i"):
        if rest.startswith(art) and len(rest) - len(art) >= 2:
            cand = rest[len(art) :]
            if cand in _ALLAH or (cand[0] not in _VOWELS or len(rest) - len(art) >= 4):
                rest = cand
                break
    if rest in _ALLAH:
        return "abdallah"
    if len(rest) >= 3 and rest[0] == rest[1] and rest[0] not in _VOWELS:
        rest = rest[1:]  # assimilated article: abdurrahman
    if len(rest) < 3:
        return None
    return "abd" + rest


# the fewest letters of each part of a compound name token (see join_head_rest and
# records.Vocab._compound_parts)
COMPOUND_PART_MIN = 3


def join_head_rest(token: str) -> str | None:
    """The name after a head that normalisation joins (Sreypov: pov, Abubakr: bakr), if
    it has COMPOUND_PART_MIN letters: a small child often knows only that part."""
    for head in _HEADS_LONGEST_FIRST:
        if token.startswith(head) and len(token) - len(head) >= COMPOUND_PART_MIN:
            return token[len(head) :]
    return None


def is_join_head(token: str) -> bool:
    """Whether normalisation joins this token with the next (Abd-, Abu, Srey...)."""
    return token in JOIN_HEADS or bool(_ABD_HEAD.match(token) or _ABD_SUN.match(token))


_HEADS_LONGEST_FIRST = sorted(JOIN_HEADS, key=len, reverse=True)


def _latin_tokens(text: str) -> list[str]:
    text = _APOSTROPHES.sub("", to_ascii(text))
    # keep hyphen information for assimilated articles (ad-Din, as-Sayed)
    raw = [p for p in _SPACES.split(text) if p]
    parts: list[tuple[str, bool]] = []  # (piece, followed_by_hyphen)
    for chunk in raw:
        if chunk.isalpha():  # lower-case ASCII letters only: one piece, no hyphen
            parts.append((chunk, False))
            continue
        pieces = _HYPHENS.split(chunk)
        for j, piece in enumerate(pieces):
            for k, sub in enumerate(p for p in _SPLIT.split(piece) if p):
                parts.append((sub, j < len(pieces) - 1 and k == 0))
    tokens: list[str] = []
    i = 0
    while i < len(parts):
        tok, hyphen = parts[i]
        has_next = i + 1 < len(parts)
        if tok in _PATRONYMIC and has_next:
            i += 1
            continue
        if tok in _FAMILY_FIRST and (skip := _family_particle(parts, i)):
            i += skip
            continue
        if tok in _ARTICLES and has_next:
            i += 1
            continue
        if tok in _ASSIMILATED and hyphen and has_next:
            i += 1
            continue
        sun = _ABD_SUN.match(tok) if has_next else None
        if (_ABD_HEAD.match(tok) or (sun and parts[i + 1][0][:1] == sun.group(1)[0])) and has_next:
            j = i + 1
            nxt = parts[j][0]
            if nxt in _ARTICLES | _ASSIMILATED and j + 1 < len(parts):
                j += 1
                nxt = parts[j][0]
            joined = _canon_abd(nxt) if nxt not in _ALLAH else "abdallah"
            if joined is None:
                joined = "abd" + nxt
            tokens.append(joined if nxt not in _ALLAH else "abdallah")
            i = j + 1
            continue
        if tok in JOIN_HEADS and has_next:
            nxt = parts[i + 1][0]
            if nxt in _ARTICLES and i + 2 < len(parts):
                nxt = parts[i + 2][0]
                i += 1
            tokens.append(tok + nxt)
            i += 2
            continue
        if tok in _DIN_TAIL and tokens:
            tokens[-1] = tokens[-1] + "din"
            i += 1
            continue
        tokens.append(_plain_token(tok))
        i += 1
    return [t for t in tokens if len(t) >= 2]


def _family_particle(parts: list[tuple[str, bool]], i: int) -> int:
    """How many pieces from ``i`` are a family name's particle (de la, dos) before a name."""
    for particle in _FAMILY_PARTICLES:
        n = len(particle)
        if i + n < len(parts) and all(parts[i + k][0] == w for k, w in enumerate(particle)):
            return n
    return 0


@lru_cache(maxsize=200_000)
def _plain_token(tok: str) -> str:
    """A name part standing on its own: joined Abd- and -din forms, a leading article."""
    m = _ABD_JOINED.match(tok)
    if m and tok not in _KNOWN:
        canon = _canon_abd((m.group(1) or "") + m.group(2))
        if canon:
            tok = canon
    elif len(tok) > 5 and tok not in _KNOWN:
        md = _DIN_JOINED.match(tok)
        if md:
            tok = md.group(1) + "din"
    if (
        len(tok) >= 6
        and tok[:2] in ("al", "el")
        and tok not in _KNOWN
        and (tok[2:] in _KNOWN or tok[3:] in _KNOWN)
    ):
        tok = tok[2:] if tok[2:] in _KNOWN else tok[3:]
    return tok


@lru_cache(maxsize=200_000)
def _normalize_cached(text: str) -> tuple[str, ...]:
    if not text.strip():
        return ()
    if text.isascii():  # most names: one Latin run
        return tuple(_latin_tokens(text))
    tokens: list[str] = []
    # split mixed-script text into runs: Arabic runs get skeletons, others ASCII
    runs: list[tuple[bool, str]] = []
    for ch in text:
        ar = _is_arabic(ch)
        if ch.isspace() and runs:
            runs[-1] = (runs[-1][0], runs[-1][1] + ch)
            continue
        if runs and runs[-1][0] == ar:
            runs[-1] = (ar, runs[-1][1] + ch)
        else:
            runs.append((ar, ch))
    for ar, run in runs:
        tokens.extend(_arabic_tokens(run) if ar else _latin_tokens(run))
    return tuple(tokens)


def normalize_name(text: object) -> list[str]:
    """Comparable ASCII tokens of a name in any script.

    >>> normalize_name("Abdel Rahman al-Hassan")
    ['abdrahman', 'hassan']
    >>> normalize_name("محمد")
    ['mhmd']
    """
    if text is None or not isinstance(text, str):
        if text is None or text != text:  # None or NaN
            return []
        text = str(text)
    return list(_normalize_cached(text))


# --- keys ----------------------------------------------------------------------------
_DIGRAPHS = (
    ("shch", "x"),
    ("sch", "x"),
    ("sh", "x"),
    ("tch", "x"),  # Nitch, Sreynitch: the t adds no sound (Khmer script writes none)
    ("ch", "x"),
    ("kh", "k"),
    ("gh", "g"),
    ("th", "t"),
    ("dh", "d"),
    ("ph", "f"),
    ("zh", "j"),
    ("ts", "s"),
    ("ck", "k"),
)
_SKEL_MAP = str.maketrans({"q": "g", "j": "g", "c": "k", "v": "f", "z": "s", "x": "x"})


@lru_cache(maxsize=200_000)
def skeleton(token: str) -> str:
    """Consonant skeleton: vowels (and w/y inside a word) dropped, digraphs folded.

    An initial vowel is kept as ``a``; a final ``h`` after a vowel is dropped.
    """
    if not token:
        return ""
    s = token
    for a, b in _DIGRAPHS:
        s = s.replace(a, b)
    s = s.translate(_SKEL_MAP)
    out: list[str] = []
    for i, ch in enumerate(s):
        if i == 0:
            out.append("a" if ch in _VOWELS else ch)
            continue
        if ch in _VOWELS or ch in "wy":
            continue
        out.append(ch)
    if len(out) > 1 and out[-1] == "h":
        out.pop()
    res: list[str] = []
    for ch in out:
        if not res or res[-1] != ch:
            res.append(ch)
    return "".join(res)


def is_vowelless(token: str) -> bool:
    """True for tokens that look like an unvocalised (Arabic-script) skeleton."""
    return len(token) >= 2 and not any(c in _VOWELS for c in token[1:])


@lru_cache(maxsize=200_000)
def fold(token: str) -> str:
    """Fold transliteration choices (Ukrainian h / Russian g, y/i/j, w/v, x/ks)."""
    s = token.replace("x", "ks").replace("kh", "h").replace("h", "g")
    s = s.replace("y", "i").replace("j", "i").replace("w", "v")
    res: list[str] = []
    for ch in s:
        if not res or res[-1] != ch:
            res.append(ch)
    return "".join(res)


@lru_cache(maxsize=200_000)
def phonetic_codes(token: str) -> tuple[str, str, str]:
    """(double-metaphone primary, secondary, primary of the folded spelling)."""
    p, s = doublemetaphone(token)
    f, _ = doublemetaphone(fold(token))
    return (p or token, s or p or token, f or token)


def token_keys(token: str) -> list[str]:
    """Blocking keys of one token (shared by the in-memory engine and the store)."""
    return list(_token_keys(token))


@lru_cache(maxsize=200_000)
def _token_keys(token: str) -> tuple[str, ...]:
    # cached: names follow a Zipf law, and imports, matching and search ask again and again
    table = _seed_table()
    keys: list[str] = []
    canon = table.canonical(token)
    sk = skeleton(token)
    if canon is None and is_vowelless(token):
        canon = _seed_skeleton_canon().get(sk)
    if canon is not None:
        keys.append("g:" + canon)
    p, s, f = phonetic_codes(token)
    keys.append("p:" + p)
    if s != p:
        keys.append("p:" + s)
    if f not in (p, s):
        keys.append("p:" + f)
    keys.append("s:" + sk)
    return tuple(dict.fromkeys(keys))


def name_keys(tokens: list[str]) -> list[str]:
    """Phonetic/blocking keys of a bag of tokens, for a GIN-indexed ``text[]`` column.

    Two records that share a key are candidates; the engine uses the same keys.
    """
    keys: list[str] = []
    for t in tokens:
        keys.extend(token_keys(t))
    return list(dict.fromkeys(keys))


@lru_cache(maxsize=1)
def _seed_table() -> VariantTable:
    return VariantTable()


@lru_cache(maxsize=1)
def _seed_skeleton_canon() -> dict[str, str]:
    table = _seed_table()
    out: dict[str, str] = {}
    for group in table.groups:
        for name in group:
            out.setdefault(skeleton(name), group[0])
    return out
