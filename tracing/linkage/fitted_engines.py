"""Fitted engines kept in the store (`LinkageModel`), loaded once per process."""

from __future__ import annotations

import gc
import json
import threading

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching import Linker
from matching.linker import ENGINE_VERSION
from models import ChildRegistration, LinkageModel, SoughtChild

_LINKERS: dict[int, Linker] = {}


_LINKERS_LOCK = threading.Lock()


def current_linker(session: Session) -> tuple[int, Linker] | None:
    """The newest engine fitted by this engine version (cached per process), or None.

    Parameters fitted by another version of the engine may not fit its comparison
    levels: they are never used; `ftr match` fits the engine again.
    """
    model_id = session.scalar(
        select(func.max(LinkageModel.id)).where(LinkageModel.engine_version == ENGINE_VERSION)
    )
    if model_id is None:
        return None
    linker = _LINKERS.get(model_id)
    if linker is None:
        parameters = session.scalar(
            select(LinkageModel.parameters).where(LinkageModel.id == model_id)
        )
        linker = Linker.from_dict(parameters or {}).prepare()
        with _LINKERS_LOCK:  # threads of one server may load it at once: keep one
            _LINKERS.clear()
            _LINKERS[model_id] = linker
        # The fitted model is millions of objects that live as long as the process: out
        # of the collector's way, a full collection no longer walks them (70-100 ms
        # pauses that landed in whichever request was running).
        gc.collect()
        gc.freeze()
    return model_id, linker


def save_linker(session: Session, linker: Linker, created_by_id: int | None) -> LinkageModel:
    parameters = linker.to_dict()
    model = LinkageModel(
        engine_version=ENGINE_VERSION,
        parameters=json.loads(json.dumps(parameters)),
        trained_on=dict(linker.info),
        created_by_id=created_by_id,
    )
    session.add(model)
    session.flush()
    _LINKERS.clear()
    _LINKERS[model.id] = linker
    return model


def decision_labels(session: Session) -> pd.DataFrame:
    """Caseworkers' decisions as training labels: confirmed → match, rejected → non-match."""
    from models import MatchStatus, PotentialMatch

    rows = session.execute(
        select(SoughtChild.ref, ChildRegistration.ref, PotentialMatch.status)
        .join(SoughtChild, PotentialMatch.sought_child_id == SoughtChild.id)
        .join(ChildRegistration, PotentialMatch.child_id == ChildRegistration.id)
        .where(
            PotentialMatch.status.in_(
                (
                    MatchStatus.CONFIRMED.value,
                    MatchStatus.REUNIFIED.value,
                    MatchStatus.REJECTED.value,
                )
            )
        )
    ).all()
    return pd.DataFrame(
        [
            (s, c, "nonmatch" if status == MatchStatus.REJECTED.value else "match")
            for s, c, status in rows
        ],
        columns=["request_ref", "child_ref", "label"],
    )
