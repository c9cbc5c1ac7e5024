"""`ftr link`: the engine alone, in memory, on two contract files (DESIGN §3)."""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import click
import pandas as pd

from .. import contract


def load(kind: contract.Kind, path: Path) -> pd.DataFrame:
    """Validate a file as `ftr import` does; report bad rows and return the good ones."""
    try:
        validated = contract.validate_file(kind, path)
    except contract.ContractError as exc:
        raise click.ClickException(str(exc)) from exc
    for problem in validated.problems:
        click.echo(f"{path.name}: {problem}", err=True)
    rejected = len({p.line for p in validated.errors})
    click.echo(
        f"{path.name}: {validated.rows_read} rows read, {len(validated.records)} used, "
        f"{rejected} rows skipped",
        err=True,
    )
    frame = pd.DataFrame(
        [contract.record_to_row(kind, r) for r in validated.records],
        columns=list(contract.COLUMNS[kind]),
    )
    return frame.astype(object).where(frame.notna(), "")


def _spreadsheet_safe(values: list[object]) -> list[str]:
    """contract.neutralise_cell of each value, each distinct value computed once: the
    level columns hold a handful of values in 50,000 rows, and a call per cell took a
    tenth of a whole link. Keyed by type too (1, 1.0 and True are equal keys, not equal
    cells); a NaN, equal to nothing, is simply computed again."""
    safe: dict[tuple[type, object], str] = {}
    cells = []
    for value in values:
        key = (type(value), value)
        cell = safe.get(key)
        if cell is None:
            cell = safe[key] = contract.neutralise_cell(value)
        cells.append(cell)
    return cells


@click.command("link")
@click.argument("children_file", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("requests_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--top", "top_k", default=10, show_default=True, help="Candidates per sought child.")
@click.option("--out", required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--params",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Use these fitted parameters instead of fitting on the files.",
)
@click.option(
    "--save-params",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Save the fitted parameters (readable JSON).",
)
@click.option("--seed", default=0, show_default=True)
def link_command(
    children_file: Path,
    requests_file: Path,
    top_k: int,
    out: Path,
    params: Path | None,
    save_params: Path | None,
    seed: int,
) -> None:
    """Rank registered children for each sought child, in memory, without a database."""
    from matching import Linker
    from matching.parallel import keep_freed_memory

    started = time.perf_counter()
    keep_freed_memory()
    stages = ["reading", "fitting", "ranking", "writing"]
    with click.progressbar(
        length=len(stages), label="Linking", file=sys.stderr, item_show_func=lambda s: s
    ) as bar:
        bar.update(0, "reading")
        children = load("children", children_file)
        sought = load("requests", requests_file)
        bar.update(1, "fitting")
        linker = Linker.load(params) if params else Linker.fit(children, sought, seed=seed)
        if save_params:
            linker.save(save_params)
        bar.update(1, "ranking")
        ranked = linker.rank(children, sought, top_k=top_k)
        bar.update(1, "writing")
        ranked = ranked.sort_values(["request_ref", "rank"], kind="stable")
        confident = int((ranked.loc[ranked["rank"] == 1, "score"] >= 0.5).sum())
        for column in ranked.columns:
            if ranked[column].dtype == object:
                ranked[column] = _spreadsheet_safe(ranked[column].tolist())
            elif ranked[column].dtype.kind == "f":
                # as float_format="%.6f" would write them, in half the time
                ranked[column] = [
                    "" if math.isnan(x) else f"{x:.6f}" for x in ranked[column].tolist()
                ]
        ranked.to_csv(out, index=False)
        bar.update(1)
    click.echo(
        f"{len(sought)} sought children × {len(children)} registered children: "
        f"{len(ranked)} ranked rows to {out}; {confident} sought "
        f"children have a candidate at probability ≥ 0.5 "
        f"({time.perf_counter() - started:.1f} s)"
    )
