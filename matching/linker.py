"""The public engine: fit, rank, score pairs, explain, save/load."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from matching.candidates import SeparationWeights, block_keys, candidate_pairs
from matching.compare import (
    FIELD_INDEX,
    FIELDS,
    T_PHONETIC,
    Comparison,
    TFArrays,
    TFTables,
    compare_chunked,
    token_levels,
)
from matching.rank import Ranked, best_per_group, pair_logodds, probabilities
from matching.records import (
    Compounds,
    Records,
    Spellings,
    Vocab,
    build_records,
    compound_joins,
    join_compounds,
    ref_ranks,
    reference_year,
    tokenize_frame,
)
from matching.score import Model, em, level_counts, monotone, normalise, pair_llr, pair_scores
from matching.variants import SEED_GROUPS, VariantTable

ENGINE_VERSION = "ftr-fs-0.8"
EM_SOUGHT = 2000  # sought children whose candidates EM learns from
# candidates kept per sought child, best pre-score first: on generated data of three
# cultures 300 kept within 0.0015 of the true pairs that 400 (or 5,000) keep
MAX_PER_SOUGHT = 300
NAME_ALIKE_LEVEL = 4  # name level "1 part agrees" or better: a name-alike pair
# Linker.rank_chunks: sought children ranked at a time (MAX_PER_SOUGHT candidates each).
# Measured with 400 candidates each against 200,000 registered children on 2 cores: 2,500
# a chunk 19 s / +0.7 GB of working memory, 5,000 35 s / +1.0 GB, 10,000 64 s / +2.1 GB
RANK_CHUNK_SIZE = 5000
# Linker.fit_sample: a store larger than this is fitted on a sample of this size
FIT_MAX_CHILDREN = 20_000
FIT_MAX_SOUGHT = 5_000
IntArr = npt.NDArray[np.int32]


@dataclass
class _Session:
    vocab: Vocab
    s: Records
    c: Records
    tfa: TFArrays
    s_index: dict[str, int]
    c_index: dict[str, int]
    _c_ref_rank: IntArr | None = dataclasses.field(default=None, repr=False, compare=False)
    compounds: Compounds = dataclasses.field(default_factory=dict, repr=False, compare=False)
    # records of these frames holding each name token (Spellings)
    token_counts: dict[str, int] = dataclasses.field(
        default_factory=dict, repr=False, compare=False
    )

    def c_ref_rank(self) -> IntArr:
        """Each registered child's place in the order of refs (ties are broken by ref)."""
        if self._c_ref_rank is None:
            self._c_ref_rank = ref_ranks(self.c.ref)  # whole, never half filled
        return self._c_ref_rank


# The columns of a pair's own evidence, as a scored frame carries them (Linker._score):
# each field's level and weight, the prior and the sibling alternative. With the
# competition term they sum to the logit of the pair's probability.
TERM_COLUMNS = [
    *(f"{spec.name}_{part}" for spec in FIELDS for part in ("level", "weight")),
    "prior_weight",
    "sibling_weight",
]


def _rounded_weights(
    field_w: npt.NDArray[np.float64],
    prior: float,
    sibling: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Pairs' weights as a scored frame shows them and a store keeps them (`stored_terms`'
    order: the fields', the prior, the sibling term), rounded to 6 decimals, once, so
    that both sum to the same log-odds."""
    n = len(sibling)
    return np.column_stack(
        [np.round(field_w, 6), np.full(n, round(prior, 6)), np.round(sibling, 6)]
    ).reshape(n, len(FIELDS) + 2)


def _term_columns(
    levels: npt.NDArray[np.integer[Any]], weights: npt.NDArray[np.float64]
) -> dict[str, Any]:
    """A pair's own evidence as columns: ``levels`` are each field's level index (-1:
    not compared), ``weights`` as `_rounded_weights` gives them."""
    out: dict[str, Any] = {}
    n = len(FIELDS)
    for f, spec in enumerate(FIELDS):
        names = np.array([*spec.levels, ""], dtype=object)
        lv = levels[:, f].astype(np.int64)
        out[f"{spec.name}_level"] = names[np.where(lv >= 0, lv, len(spec.levels))]
        out[f"{spec.name}_weight"] = weights[:, f]
    out["prior_weight"] = weights[:, n]
    out["sibling_weight"] = weights[:, n + 1]
    return out


def _logodds_of(weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Log-odds of pairs from their weights (the fields', the prior, the sibling term;
    `stored_terms`' order), summed always in one order, so that a frame's pairs and
    the same pairs kept in a store agree to the last bit."""
    n = len(FIELDS)
    total = weights[:, n] + weights[:, n + 1]
    for f in range(n):
        total = total + weights[:, f]
    return np.asarray(total, dtype=np.float64)


def _weights_of(frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    columns = [f"{spec.name}_weight" for spec in FIELDS] + ["prior_weight", "sibling_weight"]
    return frame[columns].to_numpy(dtype=np.float64).reshape(len(frame), len(columns))


def own_logodds(frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    """Each pair's log-odds on its own, before the one-to-one rule: the sum of its
    evidence's weights as the frame carries them (rounded), so that the competition
    term, logit(score) minus this, makes the weights sum to the logit exactly."""
    return _logodds_of(_weights_of(frame))


def stored_terms(frame: pd.DataFrame) -> tuple[list[list[int]], list[list[float]]]:
    """A scored frame's evidence, compact, for a store to keep beside each ranked pair:
    per row the level indexes (-1: not compared) and the weights (the fields', then the
    prior and the sibling term). `terms_row` reads a row back."""
    levels = np.full((len(frame), len(FIELDS)), -1, dtype=np.int64)
    for f, spec in enumerate(FIELDS):
        # a level name's index; "" (not compared) is none of them: -1
        levels[:, f] = pd.Categorical(frame[f"{spec.name}_level"], categories=spec.levels).codes
    return levels.tolist(), _weights_of(frame).tolist()


def terms_row(
    levels: Sequence[int], weights: Sequence[float], competition: float
) -> dict[str, Any]:
    """A pair's evidence from stored terms (`stored_terms`) and its competition term, as
    a scored frame's row carries it (for Linker.explain)."""
    n = len(FIELDS)
    row: dict[str, Any] = {
        "prior_weight": weights[n],
        "sibling_weight": weights[n + 1],
        "competition_weight": competition,
    }
    for f, spec in enumerate(FIELDS):
        row[f"{spec.name}_level"] = spec.levels[levels[f]] if levels[f] >= 0 else ""
        row[f"{spec.name}_weight"] = weights[f]
    return row


@dataclass(frozen=True)
class PairTerms:
    """Pairs' own evidence before the one-to-one rule (Linker.pair_terms), in the
    stored form (`stored_terms`): one row per pair."""

    request_ref: list[str]
    child_ref: list[str]
    logodds: npt.NDArray[np.float64]
    levels: list[list[int]]
    weights: list[list[float]]


@dataclass(frozen=True)
class BlockingView:
    """Records as blocking sees them (Linker.blocking_view): ``keys`` holds one row per
    (record, key value) with its slot and discount (candidates.block_keys)."""

    records: Records
    keys: tuple[
        npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]
    ]


def _fingerprint(df: pd.DataFrame) -> str:
    """A digest of a frame's columns and values (repr is exact for floats, NaN and None)."""
    text = repr((list(df.columns), df.to_numpy().tolist()))
    return hashlib.blake2b(text.encode()).hexdigest()


def _make_session(
    children: pd.DataFrame,
    sought: pd.DataFrame,
    variants: VariantTable,
    tf: TFTables | None,
    compounds: Compounds | None = None,
    spellings: Spellings | None = None,
) -> tuple[_Session, TFTables]:
    """Records of both frames coded on one vocabulary. A compound written apart is joined
    where these frames hold it joined (``compounds=None``, when fitting), or where a fitted
    model's table says (its ``compounds``): the service's few retrieved records and a bulk
    run then join alike. With a fitted model's ``spellings``, misspelt tokens are read as
    among the caseload it was fitted on (its counts added to these records')."""
    ct = tokenize_frame(children, sought=False)
    st = tokenize_frame(sought, sought=True)
    table = compound_joins([ct, st]) if compounds is None else compounds
    joined = {**join_compounds(ct, table), **join_compounds(st, table)}
    vocab = Vocab(variants)
    bags = (ct.name, ct.mother, ct.father, st.name, st.mother, st.father)
    vocab.add_all(chain.from_iterable(chain.from_iterable((*bags, ct.kin, st.kin))))
    # record counts: each token once per bag
    counts: Counter[str] = Counter(chain.from_iterable(map(set, chain.from_iterable(bags))))
    # every token of these records (an inquirer's name part is a compound's part, or a
    # representative, as any other), with the records holding it in a name bag
    own_counts = {token: counts.get(token, 0) for token in vocab.tokens}
    if spellings is not None:
        # a token the caseload holds counts as often as the caseload wrote it (these
        # records are mostly among those counted); a new one, as often as written here
        vocab.add_all(spellings.offered(vocab.tokens))
        caseload = spellings.counts
        counts = Counter({t: caseload.get(t, counts.get(t, 0)) for t in vocab.tokens})
    vocab.finalise(counts)
    ref_year = reference_year(children, sought)
    places: dict[str, int] = {}
    langs: dict[str, int] = {}
    c = build_records(children, ct, vocab, places, langs, sought=False, default_ref_year=ref_year)
    s = build_records(sought, st, vocab, places, langs, sought=True, default_ref_year=ref_year)
    if tf is None:
        tf = TFTables.count(vocab, [c, s])
    tfa = TFArrays.build(vocab, tf)
    sess = _Session(
        vocab,
        s,
        c,
        tfa,
        {str(r): i for i, r in enumerate(s.ref)},
        {str(r): i for i, r in enumerate(c.ref)},
        compounds=joined,
        token_counts=own_counts,
    )
    return sess, tf


def _arr(x: list[float] | npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.asarray(x, dtype=np.float64)


class Linker:
    """A fitted Fellegi-Sunter linkage model for registered and sought children."""

    def __init__(
        self,
        model: Model,
        tf: TFTables,
        variant_pairs: list[tuple[str, str]] | None = None,
        info: dict[str, Any] | None = None,
        compounds: Compounds | None = None,
        separation: SeparationWeights | None = None,
        spellings: Spellings | None = None,
    ) -> None:
        self.model = model
        # how often the caseload wrote each name token: a record is read alone as among all
        self.spellings = spellings
        # blocking's separation terms, fixed when the model is fitted: the candidates that
        # fit cached and any later blocking must be the same (u is counted again after EM)
        self.separation = separation or _separation_weights(model.u)
        self.tf = tf
        self.variant_pairs: list[tuple[str, str]] = list(variant_pairs or [])
        # compounds that the data the model was fitted on wrote both ways (see _make_session)
        self.compounds: Compounds = dict(compounds or {})
        self.info: dict[str, Any] = dict(info or {})
        self._local = threading.local()
        self._variant_cache: tuple[tuple[tuple[str, str], ...], VariantTable] | None = None
        self.max_per_sought = MAX_PER_SOUGHT

    # ------------------------------------------------------------------ fitting
    @classmethod
    def fit(
        cls,
        children: pd.DataFrame,
        sought: pd.DataFrame,
        *,
        seed: int = 0,
        labels: pd.DataFrame | None = None,
        tf: TFTables | None = None,
        n_children: int | None = None,
        compounds: Compounds | None = None,
        spellings: Spellings | None = None,
    ) -> Linker:
        """Learn u, m, the sibling model and term frequencies from the data given.

        ``tf`` (term frequencies counted elsewhere), ``spellings`` (token counts, likewise)
        and ``n_children`` (how many registered children the model will rank against) are
        for fitting on a sample of a larger store: see :meth:`fit_sample`. By default all
        come from the data given.
        """
        rng = np.random.default_rng(seed)
        variant_pairs = _variant_pairs_from_labels(children, sought, labels)
        variants = _variant_table(variant_pairs)
        sess, tf = _make_session(children, sought, variants, tf, compounds)
        s, c = sess.s, sess.c
        ns, nc = len(s), len(c)
        n_prior = nc if n_children is None else max(int(n_children), nc)
        # u from random pairs
        n_rand = int(min(200_000, max(ns * nc, 1)))
        rs = rng.integers(0, max(ns, 1), n_rand).astype(np.int32)
        rc = rng.integers(0, max(nc, 1), n_rand).astype(np.int32)
        comp_r = compare_chunked(sess.vocab, sess.tfa, s, c, rs, rc)
        u = _random_u(comp_r)
        # sibling personal-field distribution from children sought together
        sib = _sibling_pairs(s.inquiry)
        s_model: list[npt.NDArray[np.float64]] | None = None
        if len(sib[0]) >= 20:
            comp_s = compare_chunked(sess.vocab, sess.tfa, s, s, sib[0], sib[1])
            s_model = normalise(level_counts(comp_s.levels), 1.0)
        # candidates
        separation = _separation_weights(u)
        si, ci, _pre = candidate_pairs(
            sess.vocab,
            s,
            c,
            max_per_sought=MAX_PER_SOUGHT,
            c_ref_rank=sess.c_ref_rank(),
            separation=separation,
        )
        fixed = None
        if labels is not None and len(labels):
            si, ci, fixed = _add_labels(sess, si, ci, labels)
        comp = compare_chunked(sess.vocab, sess.tfa, s, c, si, ci)
        # name parts left over are only telling given how many parts agree: their u comes
        # from the candidates (nearly all non-matches that share a name part), not random pairs
        u = _conditional_u(u, comp)
        # siblings sought in the same inquiry, per sought child (registered ones scale by rho)
        sib_per_sought = 2.0 * len(sib[0]) / max(ns, 1)
        # EM on the candidates of a random sample of inquiries (siblings stay together):
        # a few thousand sought children pin the parameters down, and EM is the costly part
        keep = _em_sample(s.inquiry, rng, EM_SOUGHT)
        if fixed is not None:
            keep[si[~np.isnan(fixed)]] = True
        pm = keep[si]
        remap = np.cumsum(keep) - 1
        model = em(
            Comparison(comp.levels[pm], comp.tf_logu[pm]),
            remap[si[pm]].astype(np.int32),
            ci[pm],
            int(keep.sum()),
            n_prior,
            u,
            s_model,
            fixed=None if fixed is None else fixed[pm],
            sib_per_sought=sib_per_sought,
        )
        # A random pair is now and then the same child, and such pairs crowd among the
        # name-alikes: in FEBRL4 (5,000 x 5,000, every record matched) about 40 of the
        # 200,000 random pairs, most sharing a name, which made a shared identifier look
        # common (weight 4.3; counted again, 7.6). u is counted again with each pair
        # weighted by its chance of being two children under the fitted model, the
        # candidates' conditional u too; m keeps what EM learned, ordered against the new
        # u (a second EM moved nothing on either generator and cost 2 s)
        w_cand = _non_match_weights(model, comp, si, ci, s.inquiry, nc)
        if fixed is not None:  # caseworkers' decisions count as they were made
            w_cand = np.where(np.isnan(fixed), w_cand, 1.0 - fixed)
        u = _conditional_u(
            _random_u(comp_r, _non_match_weights(model, comp_r, rs, rc, s.inquiry, nc)),
            comp,
            w_cand,
        )
        model.u = u
        # as EM leaves them: a sibling-only field's m is its u (no weight for the match),
        # m ordered against u, and a family field's sibling distribution is its m
        m = [u[f].copy() if spec.sibling_only else model.m[f] for f, spec in enumerate(FIELDS)]
        model.m = monotone(m, u)
        if model.has_sibling_model:
            model.s = [model.m[f] if spec.family else model.s[f] for f, spec in enumerate(FIELDS)]
        info = {
            "engine": ENGINE_VERSION,
            "seed": seed,
            "n_children": nc,
            "n_sought": ns,
            "n_candidates": len(si),
            "n_labels": 0 if labels is None else len(labels),
        }
        kept = sess.compounds if compounds is None else compounds
        read_as = Spellings(sess.token_counts) if spellings is None else spellings
        linker = cls(model, tf, variant_pairs, info, kept, separation, read_as)
        linker._cache = {
            "shape": (children.shape, sought.shape),
            "key": (_fingerprint(children), _fingerprint(sought)),
            "sess": sess,
            "si": si,
            "ci": ci,
            "comp": comp,
            "labels": fixed is not None,
        }
        return linker

    @classmethod
    def fit_sample(
        cls,
        children: pd.DataFrame,
        sought: pd.DataFrame,
        *,
        seed: int = 0,
        labels: pd.DataFrame | None = None,
        max_children: int | None = None,
        max_sought: int | None = None,
    ) -> Linker:
        """:meth:`fit` for a store of any size: on a sample when it is large.

        Up to ``max_children`` x ``max_sought`` (by default ``FIT_MAX_CHILDREN`` x
        ``FIT_MAX_SOUGHT``) this is :meth:`fit` on everything.  Beyond:

        * sought children: whole inquiries drawn at random (siblings stay together), about
          ``max_sought`` of them, plus every inquiry with a caseworker's decision;
        * registered children: those in a decision, then the sought children's best
          candidates in the *whole* store (each sought child's first by blocking
          pre-score, then every one's second, ...) up to 3/4 of ``max_children``, then
          others at random up to ``max_children``.  A random sample alone would hold
          the child of about one sought child in ten (fewer matches to learn m and the
          share of registered sought children from); the random rest keeps unrelated
          children in the sample.

        Term frequencies are counted over the whole store (the sample's would make rare
        names look rarer than they are) and the prior is for the number of registered
        children in the store, which is what the model ranks against.

        On the service bench's store (200,116 x 50,180, generated with known truth) this
        takes 65 s; ranked against the whole store, 10,000 of its sought children got
        recall@1 70.7% and false alarms 14.8%, where :meth:`fit` on 20,000 x 5,000 records
        drawn at random got 68.9% and 23.6%.
        """
        max_children = FIT_MAX_CHILDREN if max_children is None else max_children
        max_sought = FIT_MAX_SOUGHT if max_sought is None else max_sought
        if len(children) <= max_children and len(sought) <= max_sought:
            return cls.fit(children, sought, seed=seed, labels=labels)
        rng = np.random.default_rng(seed)
        variant_pairs = _variant_pairs_from_labels(children, sought, labels)
        sess, tf = _make_session(children, sought, _variant_table(variant_pairs), None)
        s_keep = _em_sample(sess.s.inquiry, rng, max_sought)
        c_keep = np.zeros(len(sess.c), dtype=bool)
        if labels is not None and len(labels):
            ls = [sess.s_index.get(str(r), -1) for r in labels["request_ref"]]
            lc = [sess.c_index.get(str(r), -1) for r in labels["child_ref"]]
            inq = sess.s.inquiry[[i for i in ls if i >= 0]]
            s_keep |= np.isin(sess.s.inquiry, inq)
            c_keep[[i for i in lc if i >= 0]] = True
        s_pos = np.nonzero(s_keep)[0].astype(np.int32)
        sub = _take_records(sess.s, s_pos)
        si, ci, _ = candidate_pairs(sess.vocab, sub, sess.c, max_per_sought=MAX_PER_SOUGHT)
        # candidate_pairs sorts by sought child, then best pre-score first
        start = np.searchsorted(si, si, side="left")
        nth = np.arange(len(si)) - start
        by_nth = ci[np.lexsort((si, nth))]
        _, first = np.unique(by_nth, return_index=True)
        best = by_nth[np.sort(first)]  # each child once, at its best place
        best = best[~c_keep[best]]
        budget = max(0, (3 * max_children) // 4 - int(c_keep.sum()))
        c_keep[best[:budget]] = True
        rest = np.nonzero(~c_keep)[0]
        fill = max(0, max_children - int(c_keep.sum()))
        c_keep[rng.choice(rest, size=min(fill, len(rest)), replace=False)] = True
        c_pos = np.nonzero(c_keep)[0]
        store_compounds = sess.compounds  # those of the whole store, not of the sample
        store_spellings = Spellings(sess.token_counts)
        del sess, sub, si, ci
        linker = cls.fit(
            children.iloc[c_pos].reset_index(drop=True),
            sought.iloc[s_pos].reset_index(drop=True),
            seed=seed,
            labels=labels,
            tf=tf,
            n_children=len(children),
            compounds=store_compounds,
            spellings=store_spellings,
        )
        linker._cache = {}  # the sample's session: never ranked, only memory
        linker.info.update(
            {"sample": True, "store_children": len(children), "store_sought": len(sought)}
        )
        return linker

    # ------------------------------------------------------------------ sessions
    @property
    def _cache(self) -> dict[str, Any]:
        """The last session and its candidates, one per thread: a threaded server shares
        one Linker between requests, and two requests must never mix their sessions."""
        cache: dict[str, Any] = self._local.__dict__.setdefault("cache", {})
        return cache

    @_cache.setter
    def _cache(self, value: dict[str, Any]) -> None:
        self._local.cache = value

    def prepare(self) -> Linker:
        """Build now what scoring would build at its first call (the variant table, the
        name-pair frequencies by first name): a server's first request does not wait."""
        self._variants()
        self.tf.pairs_by_first()
        if self.spellings is not None:
            self.spellings.tops()
        return self

    def _variants(self) -> VariantTable:
        pairs = tuple(self.variant_pairs)
        if self._variant_cache is None or self._variant_cache[0] != pairs:
            self._variant_cache = (pairs, _variant_table(self.variant_pairs))
        return self._variant_cache[1]

    def _session(self, children: pd.DataFrame, sought: pd.DataFrame) -> _Session:
        # Fingerprints are only worth computing when the frames may be the cached ones
        # (fit, then rank the same data); the service's small calls never are.
        shape = (children.shape, sought.shape)
        key = None
        if self._cache.get("shape") == shape:
            key = (_fingerprint(children), _fingerprint(sought))
            if self._cache.get("key") == key:
                sess: _Session = self._cache["sess"]
                return sess
        sess, _ = _make_session(
            children, sought, self._variants(), self.tf, self.compounds, self.spellings
        )
        self._cache = {"shape": shape, "key": key, "sess": sess}
        return sess

    @property
    def key_signature(self) -> str:
        """What a record's blocking keys depend on besides the record: the engine version,
        the variant pairs learned from decisions, the compound names and the caseload's
        spellings (a misspelling's key is its representative's). A store keys again the
        records it keyed under another signature. Computed once: a fitted model does not
        change."""
        cached: str | None = getattr(self, "_key_signature", None)
        if cached is None:
            spellings = None if self.spellings is None else sorted(self.spellings.counts.items())
            text = json.dumps(
                [
                    ENGINE_VERSION,
                    sorted(self.variant_pairs),
                    sorted(self.compounds.items()),
                    spellings,
                ]
            )
            cached = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
            self._key_signature = cached
        return cached

    def blocking_view(self, frame: pd.DataFrame, *, sought: bool) -> BlockingView:
        """A frame's records as blocking sees them, for the store to keep: their numbers
        (birth year, sex, separation, record date and point) and their keys, each a
        stable value (`candidates.stable_key`), so that real-time matching meets the
        blocks `ftr link` meets."""
        empty = frame.iloc[0:0]
        sess, _ = _make_session(
            empty if sought else frame,
            frame if sought else empty,
            self._variants(),
            self.tf,
            self.compounds,
            self.spellings,
        )
        records = sess.s if sought else sess.c
        return BlockingView(records, block_keys(sess.vocab, records, sought))

    def _candidates_idx(self, sess: _Session) -> tuple[IntArr, IntArr]:
        if "si" in self._cache and not self._cache.get("labels") and self._cache["sess"] is sess:
            return self._cache["si"], self._cache["ci"]
        si, ci, _ = candidate_pairs(
            sess.vocab,
            sess.s,
            sess.c,
            max_per_sought=self.max_per_sought,
            c_ref_rank=sess.c_ref_rank(),
            separation=self.separation,
        )
        self._cache["si"], self._cache["ci"] = si, ci
        self._cache.pop("comp", None)
        return si, ci

    def candidates(self, children: pd.DataFrame, sought: pd.DataFrame) -> pd.DataFrame:
        """Blocking output: the pairs the engine would score."""
        sess = self._session(children, sought)
        si, ci = self._candidates_idx(sess)
        return pd.DataFrame(
            {"request_ref": sess.s.ref[si].astype(str), "child_ref": sess.c.ref[ci].astype(str)}
        )

    # ------------------------------------------------------------------ scoring
    def _score(
        self,
        sess: _Session,
        si: IntArr,
        ci: IntArr,
        comp: Comparison | None = None,
        top_k: int | None = None,
        outside_claims: npt.NDArray[np.float64] | None = None,
    ) -> pd.DataFrame:
        if comp is None:
            comp = compare_chunked(sess.vocab, sess.tfa, sess.s, sess.c, si, ci)
        llr_m, llr_s = pair_llr(self.model, comp)
        rk = probabilities(
            self.model,
            llr_m,
            llr_s,
            si,
            ci,
            sess.s.inquiry,
            len(sess.s),
            len(sess.c),
            None if outside_claims is None else outside_claims[ci],
        )
        if top_k is not None and len(si):
            # keep the best top_k per sought child before building the (large) frame;
            # ties are broken by the child's ref so that row order does not matter
            # binned by the bits of each probability: their order, exactly, spread like
            # a logarithm (probabilities crowd near 0)
            keep = best_per_group(
                si, rk.prob, sess.c_ref_rank()[ci], top_k, bin_by=_order_preserving(rk.prob)
            )
            keep = np.sort(keep)
            si, ci = si[keep], ci[keep]
            comp = Comparison(comp.levels[keep], comp.tf_logu[keep])
            rk = Ranked(rk.prob[keep], rk.prior, rk.sibling[keep], rk.competition[keep])
        ps = pair_scores(self.model, comp)  # the per-field weights of the rows shown
        out: dict[str, Any] = {
            "request_ref": sess.s.ref[si].astype(str),
            "child_ref": sess.c.ref[ci].astype(str),
            "score": rk.prob,
            **_term_columns(comp.levels, _rounded_weights(ps.field_w, rk.prior, rk.sibling)),
        }
        frame = pd.DataFrame(out)
        # the last term absorbs rounding so that the weights sum to logit(score)
        logit = np.log(rk.prob) - np.log1p(-rk.prob)
        frame["competition_weight"] = logit - own_logodds(frame)
        return frame

    def rank(
        self, children: pd.DataFrame, sought: pd.DataFrame, *, top_k: int = 10
    ) -> pd.DataFrame:
        """Top ``top_k`` registered children per sought child, best first."""
        sess = self._session(children, sought)
        si, ci = self._candidates_idx(sess)
        comp = self._cache.get("comp") if self._cache.get("si") is si else None
        return _ranked_frame(self._score(sess, si, ci, comp, top_k=top_k), top_k)

    def rank_chunks(
        self,
        children: pd.DataFrame,
        sought: pd.DataFrame,
        *,
        top_k: int = 10,
        chunk_size: int = RANK_CHUNK_SIZE,
    ) -> ChunkedRanking:
        """:meth:`rank` for a large store, ``chunk_size`` sought children at a time.

        The registered children are tokenised and encoded once, here, with one vocabulary
        built from both frames (the very session :meth:`rank` builds); then iterating the
        result ranks one chunk of sought children at a time against all of them, and
        yields one frame per chunk, shaped and ordered as :meth:`rank`'s output.  Memory
        grows with the chunk, not with the number of sought children.

        Sought children of one inquiry (same ``inquiry_ref``) are always in the same
        chunk: siblings are ranked together, as the engine expects.  A chunk size of at
        least ``len(sought)`` gives one chunk, identical to :meth:`rank`.

        What chunking loses: the one-to-one rule's competition *between inquiries* (a
        registered child claimed by sought children of other inquiries counts
        ``OTHER_INQUIRY_COMPETITION`` of their claims against a pair; see
        :mod:`matching.rank`) only sees the sought children of the same chunk.  Within an
        inquiry nothing changes, and with that competition off the output is identical
        to :meth:`rank`'s (tests/matching/test_matching_chunks.py).  Measured on a
        generated 20,000 x 5,000 scenario (mixed cultures, seed 1) with chunks of 500
        sought children (a tenth of them, as 5,000 of 50,000): the first candidate
        changed for 4.7% of the sought children, each time a first candidate below 0.5
        (median 0.07) or within 0.05 of the second; recall@1 81.26% -> 81.17%, confident hits
        73.45% -> 73.37%, false alarms (an unregistered sought child's first candidate at
        >= 0.5) 10.3% -> 11.1%; pair scores moved by 0.0014 on average.  Larger chunks
        lose less (a chunk of half the sought children: false alarms 10.5%).
        """
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        sess, _ = _make_session(
            children, sought, self._variants(), self.tf, self.compounds, self.spellings
        )
        plan = sought_chunks(sess.s.inquiry, chunk_size)
        return ChunkedRanking(self, sess, plan, top_k)

    def pair_terms(
        self, children: pd.DataFrame, sought: pd.DataFrame, pairs: pd.DataFrame
    ) -> PairTerms:
        """Given (request_ref, child_ref) pairs each on its own, before the one-to-one
        rule: their evidence and log-odds, in the order of ``pairs``; pairs whose records
        are not in the frames are left out. `matching.rank.compete` ranks them."""
        sess = self._session(children, sought)
        si = np.array([sess.s_index.get(str(r), -1) for r in pairs["request_ref"]], dtype=np.int32)
        ci = np.array([sess.c_index.get(str(r), -1) for r in pairs["child_ref"]], dtype=np.int32)
        ok = (si >= 0) & (ci >= 0)
        si, ci = si[ok], ci[ok]
        comp = compare_chunked(sess.vocab, sess.tfa, sess.s, sess.c, si, ci)
        llr_m, llr_s = pair_llr(self.model, comp)
        prior, sibling, _ = pair_logodds(self.model, llr_m, llr_s)
        ps = pair_scores(self.model, comp)
        weights = _rounded_weights(ps.field_w, prior, sibling)
        return PairTerms(
            request_ref=[str(r) for r in sess.s.ref[si]],
            child_ref=[str(r) for r in sess.c.ref[ci]],
            logodds=_logodds_of(weights),
            levels=comp.levels.astype(np.int64).tolist(),
            weights=weights.tolist(),
        )

    def score_pairs(
        self,
        children: pd.DataFrame,
        sought: pd.DataFrame,
        pairs: pd.DataFrame,
        outside_claims: dict[str, float] | None = None,
    ) -> pd.DataFrame:
        """Score given (request_ref, child_ref) pairs, e.g. candidates from the store.

        ``outside_claims``: by child ref, what sought children not in ``sought`` (of
        other inquiries) claim of that registered child (rank.probabilities)."""
        sess = self._session(children, sought)
        si = np.array([sess.s_index.get(str(r), -1) for r in pairs["request_ref"]], dtype=np.int32)
        ci = np.array([sess.c_index.get(str(r), -1) for r in pairs["child_ref"]], dtype=np.int32)
        ok = (si >= 0) & (ci >= 0)
        claims = None
        if outside_claims:
            claims = np.array(
                [outside_claims.get(str(r), 0.0) for r in sess.c.ref], dtype=np.float64
            )
        df = self._score(sess, si[ok], ci[ok], outside_claims=claims)
        return df.sort_values(
            ["request_ref", "score"], ascending=[True, False], kind="stable"
        ).reset_index(drop=True)

    # ------------------------------------------------------------------ explanation
    @staticmethod
    def explain(row: pd.Series | dict[str, Any]) -> list[dict[str, Any]]:
        """Per-field (field, level, weight) records; the weights sum to logit(score)."""
        get = row.get
        recs: list[dict[str, Any]] = [
            {"field": "prior", "level": "", "weight": float(get("prior_weight", 0.0))}
        ]
        for spec in FIELDS:
            recs.append(
                {
                    "field": spec.name,
                    "level": str(get(f"{spec.name}_level", "") or ""),
                    "weight": float(get(f"{spec.name}_weight", 0.0)),
                }
            )
        recs.append({"field": "sibling", "level": "", "weight": float(get("sibling_weight", 0.0))})
        recs.append(
            {
                "field": "competition",
                "level": "",
                "weight": float(get("competition_weight", 0.0)),
            }
        )
        return recs

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        m = self.model
        return {
            "engine": ENGINE_VERSION,
            "info": self.info,
            "fields": [
                {
                    "name": spec.name,
                    "levels": list(spec.levels),
                    "m": [round(float(x), 8) for x in m.m[f]],
                    "u": [round(float(x), 8) for x in m.u[f]],
                    "s": [round(float(x), 8) for x in m.s[f]],
                    "weight": [
                        round(float(np.log(m.m[f][i] / m.u[f][i])), 4)
                        for i in range(len(spec.levels))
                    ],
                }
                for f, spec in enumerate(FIELDS)
            ],
            "rho": m.rho,
            "sib_rate": m.sib_rate,
            "n_children": m.n_children,
            "has_sibling_model": m.has_sibling_model,
            "blocking_separation": {
                name: [float(x) for x in getattr(self.separation, name)]
                for name in ("sep_date", "place", "record_dates")
            },
            "variant_pairs": [list(p) for p in self.variant_pairs],
            "compounds": [[joined, *parts] for joined, parts in sorted(self.compounds.items())],
            "spellings": None
            if self.spellings is None
            else dict(sorted(self.spellings.counts.items())),
            "term_frequencies": {
                "n": self.tf.n,
                "name": self.tf.name,
                "mother": self.tf.mother,
                "father": self.tf.father,
                "name_pairs": self.tf.name_pairs,
            },
        }

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Linker:
        by_name = {f["name"]: f for f in d["fields"]}
        m, u, s = [], [], []
        for spec in FIELDS:
            f = by_name[spec.name]
            m.append(_arr(f["m"]))
            u.append(_arr(f["u"]))
            s.append(_arr(f["s"]))
        model = Model(
            m=m,
            u=u,
            s=s,
            rho=float(d["rho"]),
            sib_rate=float(d["sib_rate"]),
            n_children=int(d["n_children"]),
            has_sibling_model=bool(d["has_sibling_model"]),
        )
        t = d["term_frequencies"]
        tf = TFTables(
            n=int(t["n"]),
            name=dict(t["name"]),
            mother=dict(t["mother"]),
            father=dict(t["father"]),
            name_pairs=dict(t["name_pairs"]),
        )
        pairs = [(str(a), str(b)) for a, b in d.get("variant_pairs", [])]
        compounds = {str(j): (str(a), str(b)) for j, a, b in d.get("compounds", [])}
        # absent from models saved before ftr-fs-0.8 (then derived from u, as they were)
        separation = _saved_separation(d.get("blocking_separation"), u)
        # absent from models saved before issue 18 (then each session's own counts)
        saved = d.get("spellings")
        spellings = (
            Spellings({str(k): int(v) for k, v in saved.items()})
            if isinstance(saved, dict)
            else None
        )
        return cls(model, tf, pairs, dict(d.get("info", {})), compounds, separation, spellings)

    @classmethod
    def load(cls, path: str | Path) -> Linker:
        return cls.from_dict(json.loads(Path(path).read_text()))


class ChunkedRanking:
    """The result of :meth:`Linker.rank_chunks`: iterate it for one ranked frame per chunk.

    ``sought_refs[i]`` lists every sought child of chunk ``i`` (ranked or not: one with no
    candidate has no row), ``candidates`` counts the candidate pairs scored so far.
    """

    def __init__(self, linker: Linker, sess: _Session, plan: list[IntArr], top_k: int) -> None:
        self._linker = linker
        self._sess = sess
        self._plan = plan
        self.top_k = top_k
        self.n_children = len(sess.c)
        self.n_sought = len(sess.s)
        self.sought_refs: list[list[str]] = [[str(r) for r in sess.s.ref[p]] for p in plan]
        self.candidates = 0

    def __len__(self) -> int:
        return len(self._plan)

    def __iter__(self) -> Iterator[pd.DataFrame]:
        for number in range(len(self._plan)):
            yield self.rank_chunk(number)

    def rank_chunk(self, number: int) -> pd.DataFrame:
        """Rank chunk ``number``'s sought children against all the registered children."""
        full = self._sess
        s = _take_records(full.s, self._plan[number])
        sess = _Session(
            full.vocab,
            s,
            full.c,
            full.tfa,
            {str(r): i for i, r in enumerate(s.ref)},
            full.c_index,
            full.c_ref_rank(),
        )
        lk = self._linker
        si, ci, _ = candidate_pairs(
            sess.vocab,
            s,
            sess.c,
            max_per_sought=lk.max_per_sought,
            c_ref_rank=sess.c_ref_rank(),
            separation=lk.separation,
        )
        self.candidates += len(si)
        return _ranked_frame(lk._score(sess, si, ci, top_k=self.top_k), self.top_k)


def sought_chunks(inquiry: npt.NDArray[np.int64], chunk_size: int) -> list[IntArr]:
    """Positions of sought children per chunk: whole inquiries, about ``chunk_size`` each.

    Inquiries are taken in order of first appearance and packed greedily; one larger than
    ``chunk_size`` is a chunk of its own. Positions within a chunk keep the frame's order.
    """
    n = len(inquiry)
    if n == 0:
        return []
    uniq, first, inv = np.unique(inquiry, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # inquiries by first appearance
    sizes = np.bincount(inv, minlength=len(uniq))[order]
    chunk_of = np.empty(len(uniq), dtype=np.int64)
    current, filled = 0, 0
    for k, size in enumerate(sizes.tolist()):
        if filled and filled + size > chunk_size:
            current, filled = current + 1, 0
        chunk_of[order[k]] = current
        filled += size
    of_row = chunk_of[inv.reshape(-1)]
    rows = np.argsort(of_row, kind="stable").astype(np.int32)
    bounds = np.searchsorted(of_row[rows], np.arange(current + 2))
    return [rows[bounds[i] : bounds[i + 1]] for i in range(current + 1)]


def _order_preserving(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """A float of each positive value's bit pattern: in the values' order, exactly (the
    bits of positive doubles order them as their values do; converting to float rounds,
    which may merge neighbours and never swaps them), spread over the exponents like log."""
    return np.asarray(x, dtype=np.float64).view(np.int64).astype(np.float64)


def _take_records(r: Records, positions: IntArr) -> Records:
    """The records at these positions (every per-record array sliced)."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(r):
        v = getattr(r, f.name)
        values[f.name] = v[positions] if isinstance(v, np.ndarray) else v
    return Records(**values)


def _ranked_frame(df: pd.DataFrame, top_k: int) -> pd.DataFrame:
    """Scored pairs as ranked output: per sought child best first, ranks 1..top_k."""
    df = df.sort_values(
        ["request_ref", "score", "child_ref"], ascending=[True, False, True], kind="stable"
    )
    df["rank"] = df.groupby("request_ref", sort=False).cumcount() + 1
    df = df[df["rank"] <= top_k]
    cols = ["request_ref", "child_ref", "rank", "score"]
    return df[cols + [c for c in df.columns if c not in cols]].reset_index(drop=True)


# ---------------------------------------------------------------------- helpers
def _saved_separation(saved: Any, u: list[npt.NDArray[np.float64]]) -> SeparationWeights | None:
    """Blocking's separation terms as a model saved them, or None (derive them from
    u) where they are absent or not one finite number per level of their field."""
    if not isinstance(saved, dict):
        return None
    arrays = []
    for name in ("sep_date", "place", "record_dates"):
        try:
            values = _arr(saved[name])
        except (KeyError, TypeError, ValueError):
            return None
        if values.shape != u[FIELD_INDEX[name]].shape or not np.isfinite(values).all():
            return None
        arrays.append(values)
    return SeparationWeights(*arrays)


def _separation_weights(u: list[npt.NDArray[np.float64]]) -> SeparationWeights:
    """Blocking's separation terms from a model's u: the service's few retrieved records
    would give a poor u of their own."""
    return SeparationWeights.from_u(
        u[FIELD_INDEX["sep_date"]], u[FIELD_INDEX["place"]], u[FIELD_INDEX["record_dates"]]
    )


def _variant_table(pairs: list[tuple[str, str]]) -> VariantTable:
    table = VariantTable(SEED_GROUPS)
    for a, b in pairs:
        table.add_pair(a, b)
    return table


def _non_match_weights(
    model: Model,
    comp: Comparison,
    si: IntArr,
    ci: IntArr,
    inquiry: npt.NDArray[np.int64],
    n_children: int,
) -> npt.NDArray[np.float64]:
    """Each pair's chance of being two different children under ``model``, the
    one-to-one rule over the pairs' own sought children applied (rank.probabilities)."""
    if not len(si):
        return np.zeros(0)
    groups, local = np.unique(si, return_inverse=True)
    llr_m, llr_s = pair_llr(model, comp)
    ranked = probabilities(
        model, llr_m, llr_s, local.astype(np.int32), ci, inquiry[groups], len(groups), n_children
    )
    return np.asarray(1.0 - ranked.prob, dtype=np.float64)


def _random_u(
    comp_r: Comparison, weights: npt.NDArray[np.float64] | None = None
) -> list[npt.NDArray[np.float64]]:
    """u from random pairs (``weights``: each pair's chance of being two children)."""
    u = normalise(level_counts(comp_r.levels, weights), 1.0)
    # the other fields' u among random pairs that share a name part: name-alikes
    # (the pairs the engine must tell apart) come from the same regions and events
    # more often than random pairs do
    alike = comp_r.levels[:, FIELD_INDEX["name"]] <= NAME_ALIKE_LEVEL
    alike &= comp_r.levels[:, FIELD_INDEX["name"]] >= 0
    if alike.sum() >= 2000:
        w = None if weights is None else weights[alike]
        u_alike = normalise(level_counts(comp_r.levels[alike], w), 1.0)
        skip = {FIELD_INDEX[n] for n in ("name", "name_conflict", "own_name")}
        u = [u[f] if f in skip else u_alike[f] for f in range(len(FIELDS))]
    return u


def _conditional_u(
    u: list[npt.NDArray[np.float64]],
    comp: Comparison,
    weights: npt.NDArray[np.float64] | None = None,
) -> list[npt.NDArray[np.float64]]:
    out = [x.copy() for x in u]
    if len(comp.levels) >= 100:
        counted = normalise(level_counts(comp.levels, weights), 1.0)
        for name in ("name_conflict", "own_name"):
            out[FIELD_INDEX[name]] = counted[FIELD_INDEX[name]]
    return out


def _em_sample(
    inquiry: npt.NDArray[np.int64], rng: np.random.Generator, target: int
) -> npt.NDArray[np.bool_]:
    """Sought children of randomly chosen inquiries, about ``target`` of them."""
    n = len(inquiry)
    if n <= target:
        return np.ones(n, dtype=bool)
    uniq = np.unique(inquiry)
    order = rng.permutation(len(uniq))
    pos = np.empty(len(uniq), dtype=np.int64)
    pos[order] = np.arange(len(uniq))
    rank_of = pos[np.searchsorted(uniq, inquiry)]
    k = int(np.ceil(len(uniq) * target / n))
    return np.asarray(rank_of < k, dtype=bool)


def _sibling_pairs(inquiry: npt.NDArray[np.int64]) -> tuple[IntArr, IntArr]:
    order = np.argsort(inquiry, kind="stable")
    inq = inquiry[order]
    a_list: list[int] = []
    b_list: list[int] = []
    start = 0
    n = len(inq)
    while start < n:
        end = start
        while end < n and inq[end] == inq[start]:
            end += 1
        members = order[start:end]
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                a_list.append(int(members[i]))
                b_list.append(int(members[j]))
        start = end
    return np.array(a_list, dtype=np.int32), np.array(b_list, dtype=np.int32)


def _add_labels(
    sess: _Session, si: IntArr, ci: IntArr, labels: pd.DataFrame
) -> tuple[IntArr, IntArr, npt.NDArray[np.float64]]:
    ls = np.array([sess.s_index.get(str(r), -1) for r in labels["request_ref"]], dtype=np.int64)
    lc = np.array([sess.c_index.get(str(r), -1) for r in labels["child_ref"]], dtype=np.int64)
    lab = np.array([1.0 if str(x).strip().lower() == "match" else 0.0 for x in labels["label"]])
    ok = (ls >= 0) & (lc >= 0)
    ls, lc, lab = ls[ok], lc[ok], lab[ok]
    nc = max(len(sess.c), 1)
    code = si.astype(np.int64) * nc + ci
    lcode = ls * nc + lc
    extra = ~np.isin(lcode, code)
    si2 = np.concatenate([si, ls[extra].astype(np.int32)])
    ci2 = np.concatenate([ci, lc[extra].astype(np.int32)])
    code2 = si2.astype(np.int64) * nc + ci2
    fixed = np.full(len(si2), np.nan)
    pos = {int(k): i for i, k in enumerate(code2.tolist())}
    for k, v in zip(lcode.tolist(), lab.tolist(), strict=True):
        fixed[pos[int(k)]] = v
    order = np.argsort(si2, kind="stable")
    return si2[order], ci2[order], fixed[order]


def _variant_pairs_from_labels(
    children: pd.DataFrame, sought: pd.DataFrame, labels: pd.DataFrame | None
) -> list[tuple[str, str]]:
    """Grow the variant table: in a confirmed match, the one name part left unmatched on
    each side is taken as a spelling variant of the other."""
    if labels is None or not len(labels):
        return []
    conf = labels[labels["label"].astype(str).str.lower() == "match"]
    if not len(conf):
        return []
    cref = children.set_index(children["ref"].astype(str))
    sref = sought.set_index(sought["ref"].astype(str))
    sub_c = cref.loc[[r for r in conf["child_ref"].astype(str) if r in cref.index]]
    sub_s = sref.loc[[r for r in conf["request_ref"].astype(str) if r in sref.index]]
    if not len(sub_c) or not len(sub_s):
        return []
    ct = tokenize_frame(sub_c.reset_index(drop=True), sought=False)
    st = tokenize_frame(sub_s.reset_index(drop=True), sought=True)
    cpos = {r: i for i, r in enumerate(sub_c.index)}
    spos = {r: i for i, r in enumerate(sub_s.index)}
    vocab = Vocab(_variant_table([]))
    counts: Counter[str] = Counter()
    for lists in (ct.name, st.name):
        for toks in lists:
            for t in toks:
                vocab.add(t)
            counts.update(toks)
    vocab.finalise(counts)
    out: list[tuple[str, str]] = []
    for rq, ch in zip(conf["request_ref"].astype(str), conf["child_ref"].astype(str), strict=True):
        if rq not in spos or ch not in cpos:
            continue
        a = vocab.encode([st.name[spos[rq]]], 5)
        b = vocab.encode([ct.name[cpos[ch]]], 5)
        lv = token_levels(vocab, a, b)[0]
        ua = [int(a[0, i]) for i in range(5) if a[0, i] >= 0 and lv[i].max() < T_PHONETIC]
        ub = [int(b[0, j]) for j in range(5) if b[0, j] >= 0 and lv[:, j].max() < T_PHONETIC]
        if len(ua) == 1 and len(ub) == 1:
            ta, tb = vocab.tokens[ua[0]], vocab.tokens[ub[0]]
            if len(ta) >= 3 and len(tb) >= 3:
                out.append((ta, tb))
    return sorted(set(out))
