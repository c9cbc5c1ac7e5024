"""Baseline (b): Splink 4 on DuckDB, configured as a skilled user would for this data.

What a careful Splink user does after reading the data and the Splink tutorials:

* cleans every name (transliterated to ASCII, lower case, letters only) and derives a
  bag of name tokens, the sorted-token full name and Double Metaphone codes;
* compares given and family names each with exact (term-frequency adjusted),
  Jaro-Winkler, phonetic and *order-swapped* levels (given against the other record's
  family name, and any token against the other record's bag of names), other names
  against the bag, mother's and father's names (term-frequency adjusted), the inquirer's
  name against the child's parents, age, date of birth, sex, distance between the
  separation points, separation date and language;
* blocks prediction on a union of keys (given name, its phonetic code with sex, family
  name, swapped names, either parent's name, separation area with age band);
* estimates the match prior from a deterministic rule, u by random sampling, and m by
  expectation maximisation on several blocking rules.

The settings are built in code (`settings()`); ``--dump-settings`` writes them as JSON
(bench/baselines/splink_settings.json is that file), ``--save-model`` the trained model.

    python bench/baselines/splink_baseline.py children.csv requests.csv --top 10 --out splink.csv
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from anyascii import anyascii
from baseline_io import (
    CHILD_COLUMNS,
    RANKED_COLUMNS,
    REQUEST_COLUMNS,
    Stopwatch,
    parse_args,
    read_records,
    write_ranked,
)
from doublemetaphone import doublemetaphone
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.exceptions import EMTrainingException

CHILDREN, REQUESTS = "children", "requests"
NAME_FIELDS = ("given", "family", "mother", "father", "inquirer")
_NON_LETTER = re.compile(r"[^a-z ]+")
_SPACES = re.compile(r"\s+")


# ---------------------------------------------------------------------- preparation


def clean_name(value: object) -> str | None:
    """ASCII, lower case, letters and single spaces; None when nothing is left."""
    if not isinstance(value, str):
        return None
    text = anyascii(value).lower().replace("-", " ").replace("'", "")
    text = _SPACES.sub(" ", _NON_LETTER.sub(" ", text)).strip()
    return text or None


def dmeta(text: str | None) -> str | None:
    if not text:
        return None
    code = doublemetaphone(text.replace(" ", ""))[0]
    return code or None


def tokens(*values: str | None) -> list[str]:
    out: list[str] = []
    for value in values:
        for tok in (value or "").split():
            if tok not in out:
                out.append(tok)
    return out


def _objects(series: pd.Series) -> np.ndarray:
    """Values as Python objects, None where missing (DuckDB reads None as NULL)."""
    return np.array([None if pd.isna(v) else v for v in series], dtype=object)


def prepare(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """One row per record with the derived columns every comparison uses."""
    n = len(frame)
    out = pd.DataFrame({"unique_id": frame["ref"].astype(str).to_numpy()})
    out["source_dataset"] = source

    def col(name: str) -> list[Any]:
        return list(frame[name].to_numpy()) if name in frame.columns else [None] * n

    names = {
        "given": [clean_name(v) for v in col("given_name")],
        "family": [clean_name(v) for v in col("family_name")],
        "mother": [clean_name(v) for v in col("mother_name")],
        "father": [clean_name(v) for v in col("father_name")],
        "inquirer": [clean_name(v) for v in col("inquirer_name")],
    }
    other = [
        [clean_name(x) for x in v.split(";")] if isinstance(v, str) else []
        for v in col("other_names")
    ]
    other_tokens = [tokens(*o) for o in other]
    for field in NAME_FIELDS:
        out[f"{field}_name"] = names[field]
    for field in ("given", "family", "mother", "father"):
        first = [v.split()[0] if v else None for v in names[field]]
        out[f"{field}_first"] = first
        out[f"{field}_dm"] = [dmeta(v) for v in first]
    bags = [
        tokens(g, f, *o) for g, f, o in zip(names["given"], names["family"], other, strict=True)
    ]
    out["name_tokens"] = pd.Series([b or None for b in bags], dtype=object)
    out["other_tokens"] = pd.Series([o or None for o in other_tokens], dtype=object)
    name_dm = [sorted({c for t in b if (c := dmeta(t))}) or None for b in bags]
    out["name_dm"] = pd.Series(name_dm, dtype=object)
    out["full_name_sorted"] = [" ".join(sorted(b)) if b else None for b in bags]

    sex = frame["sex"].str.lower().str[:1]
    out["sex"] = _objects(sex.where(sex.isin(["m", "f"])))
    age = pd.to_numeric(frame["age"], errors="coerce")
    out["age"] = age.to_numpy(dtype=float)
    out["age_band"] = _objects(age // 3)
    out["dob"] = _objects(frame["date_of_birth"])
    out["dob_year"] = pd.to_numeric(frame["date_of_birth"].str[:4], errors="coerce").to_numpy()
    sep = pd.to_datetime(frame["separation_date"], format="%Y-%m-%d", errors="coerce")
    out["separation_date"] = _objects(sep.dt.strftime("%Y-%m-%d"))
    lat = pd.to_numeric(frame["separation_lat"], errors="coerce")
    lon = pd.to_numeric(frame["separation_lon"], errors="coerce")
    out["lat"], out["lon"] = lat.to_numpy(dtype=float), lon.to_numpy(dtype=float)
    # ~55 km cells; a pair in neighbouring cells is still found through the name rules.
    cell = (lat // 0.5).astype("Int64").astype(str) + ":" + (lon // 0.5).astype("Int64").astype(str)
    out["area"] = _objects(cell.mask(lat.isna() | lon.isna()))
    out["language"] = _objects(frame["language"].str.lower())
    return out.replace({np.nan: None})


# ---------------------------------------------------------------------- settings


def _swapped(a: str, b: str) -> str:
    return f"({a}_l = {b}_r OR {b}_l = {a}_r)"


def _in_bag(col: str) -> str:
    """The record's name is one of the other record's name tokens (either direction)."""
    return (
        f"(list_contains(name_tokens_r, split_part({col}_l, ' ', 1)) OR "
        f"list_contains(name_tokens_l, split_part({col}_r, ' ', 1)))"
    )


def name_comparison(field: str, label: str, other: str | None) -> cl.CustomComparison:
    """Levels for one name field; with ``other``, also order-swap and bag-of-names levels."""
    col, first, dm = f"{field}_name", f"{field}_first", f"{field}_dm"
    levels: list[Any] = [
        cll.NullLevel(col),
        cll.ExactMatchLevel(col).configure(tf_adjustment_column=col),
        cll.ExactMatchLevel(first).configure(tf_adjustment_column=first),
        cll.JaroWinklerLevel(first, 0.92),
    ]
    if other is not None:
        levels.append(cll.CustomLevel(_swapped(col, f"{other}_name"), "swapped with " + other))
    levels.append(cll.CustomLevel(f"{dm}_l = {dm}_r", "Double Metaphone of first name"))
    if other is not None:
        levels.append(cll.CustomLevel(_in_bag(col), "among the other record's names"))
    levels += [cll.JaroWinklerLevel(first, 0.8), cll.ElseLevel()]
    return cl.CustomComparison(comparison_levels=levels, output_column_name=label)


def inquirer_comparison() -> cl.CustomComparison:
    """The inquirer (often a parent) against the registered child's parents."""
    pairs = [(s, o, p) for s, o in (("l", "r"), ("r", "l")) for p in ("mother", "father")]
    present = " OR ".join(
        f"(inquirer_name_{s} IS NOT NULL AND {p}_name_{o} IS NOT NULL)" for s, o, p in pairs
    )
    jw = " OR ".join(
        f"jaro_winkler_similarity(inquirer_name_{s}, {p}_name_{o}) >= {{t}}" for s, o, p in pairs
    )
    return cl.CustomComparison(
        output_column_name="inquirer_vs_parents",
        comparison_levels=[
            cll.CustomLevel(f"NOT ({present})").configure(is_null_level=True),
            cll.CustomLevel(jw.format(t=0.95), "inquirer ~ a parent (JW >= 0.95)"),
            cll.CustomLevel(jw.format(t=0.85), "inquirer ~ a parent (JW >= 0.85)"),
            cll.ElseLevel(),
        ],
    )


def settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        probability_two_random_records_match=1e-4,
        comparisons=[
            name_comparison("given", "given_name", "family"),
            name_comparison("family", "family_name", "given"),
            cl.CustomComparison(
                output_column_name="other_names",
                comparison_levels=[
                    cll.CustomLevel("other_tokens_l IS NULL AND other_tokens_r IS NULL").configure(
                        is_null_level=True
                    ),
                    cll.CustomLevel(
                        "len(list_intersect(coalesce(other_tokens_l, []), name_tokens_r)) > 0 "
                        "OR len(list_intersect(coalesce(other_tokens_r, []), name_tokens_l)) > 0",
                        "other name among the other record's names",
                    ),
                    cll.ElseLevel(),
                ],
            ),
            name_comparison("mother", "mother_name", None),
            name_comparison("father", "father_name", None),
            inquirer_comparison(),
            cl.CustomComparison(
                output_column_name="age",
                comparison_levels=[
                    cll.NullLevel("age"),
                    cll.AbsoluteDifferenceLevel("age", 0),
                    cll.AbsoluteDifferenceLevel("age", 1),
                    cll.AbsoluteDifferenceLevel("age", 3),
                    cll.ElseLevel(),
                ],
            ),
            cl.CustomComparison(
                output_column_name="date_of_birth",
                comparison_levels=[
                    cll.NullLevel("dob"),
                    cll.ExactMatchLevel("dob"),
                    cll.CustomLevel(
                        "substr(dob_l, 1, 7) = substr(dob_r, 1, 7)", "same year and month"
                    ),
                    cll.AbsoluteDifferenceLevel("dob_year", 0),
                    cll.AbsoluteDifferenceLevel("dob_year", 1),
                    cll.ElseLevel(),
                ],
            ),
            cl.ExactMatch("sex"),
            cl.DistanceInKMAtThresholds("lat", "lon", [5, 25, 75, 200]),
            cl.AbsoluteDateDifferenceAtThresholds(
                "separation_date",
                input_is_string=True,
                metrics=["day", "day", "day"],
                thresholds=[3, 14, 60],
                datetime_format="%Y-%m-%d",
            ),
            cl.ExactMatch("language"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_dm"),
            block_on("name_dm", "sex", arrays_to_explode=["name_dm"]),
            block_on("family_name"),
            block_on("mother_dm", "father_dm"),
            block_on("mother_name"),
            block_on("father_name"),
            block_on("area", "age_band"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def settings_dict() -> dict[str, Any]:
    creator: Any = settings().get_settings("duckdb")
    out: dict[str, Any] = creator.as_dict()
    return out


# ---------------------------------------------------------------------- run


def train(linker: Linker, clock: Stopwatch, seed: int) -> None:
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [
            block_on("given_name", "family_name", "sex"),
            block_on("given_name", "mother_name"),
        ],
        recall=0.6,
    )
    clock.lap("prior")
    training.estimate_u_using_random_sampling(max_pairs=5e6, seed=seed)
    clock.lap("u by random sampling")
    for rule in (
        block_on("given_name", "family_name", "age_band"),
        block_on("separation_date", "age", "sex", "mother_dm"),
        block_on("separation_date", "age", "sex", "father_dm"),
        block_on("dob", "sex"),
    ):
        sql = rule.get_blocking_rule("duckdb").blocking_rule_sql
        try:
            training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=False
            )
        except EMTrainingException as exc:  # a rule that finds no pairs in this data
            print(f"EM on {sql} skipped: {str(exc).splitlines()[0]}", file=sys.stderr)
        clock.lap(f"EM on {sql}")


M_FLOOR = 0.005


def floor_m(linker: Linker, tables: list[Any]) -> tuple[Linker, DuckDBAPI]:
    """Raise every m probability that EM left below M_FLOOR (or untrained) to M_FLOOR.

    EM sometimes drives a level's m to (nearly) zero when its training blocks hold few
    matches at that level, and a weight of -100 bits then vetoes every true pair that
    lands there (a nickname, a dropped family name). A careful user reading the match
    weights chart fixes those levels; this does it the same way for every level.
    """
    misc: Any = linker.misc
    model: dict[str, Any] = misc.save_model_to_json()
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            m = level.get("m_probability")
            if not level.get("is_null_level") and (m is None or m < M_FLOOR):
                level["m_probability"] = M_FLOOR
    db = DuckDBAPI()  # a fresh database: the trained one already holds the input tables
    return Linker(tables, model, db_api=db, input_table_aliases=[CHILDREN, REQUESTS]), db


def link(
    children: pd.DataFrame,
    requests: pd.DataFrame,
    top: int,
    clock: Stopwatch,
    *,
    seed: int = 42,
    candidates_out: Path | None = None,
    save_model: Path | None = None,
) -> pd.DataFrame:
    a = prepare(children, CHILDREN)
    b = prepare(requests, REQUESTS)
    clock.lap("prepare")
    db = DuckDBAPI()
    tables: list[Any] = [a, b]
    linker = Linker(tables, settings(), db_api=db, input_table_aliases=[CHILDREN, REQUESTS])
    train(linker, clock, seed)
    linker, db = floor_m(linker, tables)
    if save_model is not None:
        linker.misc.save_model_to_json(str(save_model), overwrite=True)
    pred = linker.inference.predict()
    clock.lap("predict")
    table = pred.physical_name
    pair = (
        f"CASE WHEN source_dataset_l = '{REQUESTS}' THEN unique_id_l ELSE unique_id_r END"
        " AS request_ref, "
        f"CASE WHEN source_dataset_l = '{REQUESTS}' THEN unique_id_r ELSE unique_id_l END"
        " AS child_ref"
    )
    if candidates_out is not None:
        path = str(candidates_out).replace("'", "''")
        db._execute_sql_against_backend(
            f"COPY (SELECT DISTINCT {pair} FROM {table}) TO '{path}' (HEADER, DELIMITER ',')"
        )
        clock.lap("write candidates")
    sql = f"""
        SELECT request_ref, child_ref,
               row_number() OVER (PARTITION BY request_ref
                                  ORDER BY match_probability DESC, child_ref) AS rank,
               match_probability AS score, match_weight
        FROM (SELECT {pair}, match_probability, match_weight FROM {table})
        QUALIFY rank <= {int(top)}
        ORDER BY request_ref, rank
    """
    misc: Any = linker.misc
    ranked: pd.DataFrame = misc.query_sql(sql, output_type="pandas")
    clock.lap(f"rank ({len(ranked):,} rows)")
    return ranked[[*RANKED_COLUMNS, "match_weight"]]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--dump-settings"]:
        path = Path(argv[1])
        path.write_text(json.dumps(settings_dict(), indent=2) + "\n", encoding="utf-8")
        return 0
    save_model: Path | None = None
    if "--save-model" in argv:
        i = argv.index("--save-model")
        save_model = Path(argv[i + 1])
        del argv[i : i + 2]
    args = parse_args(__doc__.split("\n\n")[0] if __doc__ else "", argv)
    clock = Stopwatch("splink")
    children = read_records(args.children, CHILD_COLUMNS)
    requests = read_records(args.requests, REQUEST_COLUMNS)
    clock.lap(f"read {len(children):,} children, {len(requests):,} sought")
    ranked = link(
        children,
        requests,
        args.top,
        clock,
        candidates_out=args.candidates_out,
        save_model=save_model,
    )
    write_ranked(ranked, args.out)
    clock.lap("write")
    return 0


if __name__ == "__main__":
    sys.exit(main())
