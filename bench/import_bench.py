"""Import throughput: `ftr import children` on 100,000 generated children.

Prints rows/s and peak memory for a first import and a re-import through the same code
path as `ftr import` (read → validate → batched upsert), next to PostgreSQL COPY of
the same rows in the same run (the floor). Each measured step runs in a process of its
own, so that its peak RSS is its own. Run: `.venv/bin/python bench/import_bench.py`.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "data" / "samples"))

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step_ftr(url: str, path: Path) -> dict[str, Any]:
    """The `ftr import children` path, minus the console."""
    from models.db import make_engine, make_sessionmaker
    from tracing import contract
    from tracing.imports.services import import_records

    engine = make_engine(url)
    try:
        session = make_sessionmaker(engine)()
        started = time.perf_counter()
        validated = contract.validate_table("children", contract.read_table(path))
        validated_at = time.perf_counter()
        report = import_records(session, "children", validated, agency_name="Bench")
        finished = time.perf_counter()
        session.close()
    finally:
        engine.dispose()
    return {
        "rows": report.stored,
        "errors": len(report.errors),
        "inserted": report.inserted,
        "unchanged": report.unchanged,
        "seconds": finished - started,
        "validate_seconds": validated_at - started,
        "peak_rss_mb": peak_rss_mb(),
    }


COPY_COLUMNS = (
    "ref, given_name, family_name, other_names, sex, age, date_of_birth, separation_date, "
    "separation_place, separation_lat, separation_lon, current_lat, current_lon, mother_name, "
    "father_name, language, registration_date"
)


def step_copy(url: str, path: Path) -> dict[str, Any]:
    """COPY the CSV into a text staging table, then INSERT … SELECT into the real table."""
    import psycopg

    header = path.open(encoding="utf-8").readline().strip().split(",")
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo) as connection:
        agency = connection.execute(
            "INSERT INTO agency (name) VALUES ('Bench COPY') RETURNING id"
        ).fetchone()
        assert agency is not None
        columns = ", ".join(f"{c} text" for c in header)
        connection.execute(f"CREATE UNLOGGED TABLE staging ({columns})")
        connection.commit()
        started = time.perf_counter()
        with (
            connection.cursor() as cursor,
            cursor.copy(
                f"COPY staging ({', '.join(header)}) FROM STDIN WITH (FORMAT csv, HEADER true)"
            ) as copy,
            path.open("rb") as handle,
        ):
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        connection.commit()
        copied = time.perf_counter()
        rows = connection.execute(
            """
            INSERT INTO child_registration (
                ref, given_name, family_name, other_names, sex, age, date_of_birth,
                date_of_birth_precision, separation_date, separation_date_precision,
                separation_place, separation_point, current_point, mother_name, father_name,
                languages, registration_date, agency_id)
            SELECT ref, nullif(given_name, ''), nullif(family_name, ''),
                   coalesce(string_to_array(nullif(other_names, ''), ';'), '{}'),
                   CASE lower(coalesce(sex, '')) WHEN 'm' THEN 'male' WHEN 'f' THEN 'female'
                        WHEN '' THEN 'unknown' ELSE lower(sex) END,
                   nullif(age, '')::smallint,
                   to_date(rpad(nullif(date_of_birth, ''), 10, '-01-01'), 'YYYY-MM-DD'),
                   CASE length(date_of_birth) WHEN 4 THEN 'year' WHEN 7 THEN 'month'
                        WHEN 10 THEN 'day' END,
                   to_date(rpad(nullif(separation_date, ''), 10, '-01-01'), 'YYYY-MM-DD'),
                   CASE length(separation_date) WHEN 4 THEN 'year' WHEN 7 THEN 'month'
                        WHEN 10 THEN 'day' END,
                   nullif(separation_place, ''),
                   CASE WHEN separation_lat <> '' THEN ST_MakePoint(
                       separation_lon::float8, separation_lat::float8)::geography END,
                   CASE WHEN current_lat <> '' THEN ST_MakePoint(
                       current_lon::float8, current_lat::float8)::geography END,
                   nullif(mother_name, ''), nullif(father_name, ''), nullif(language, ''),
                   to_date(rpad(nullif(registration_date, ''), 10, '-01-01'), 'YYYY-MM-DD'),
                   %s
            FROM staging
            """,
            (agency[0],),
        ).rowcount
        connection.commit()
        finished = time.perf_counter()
    return {
        "rows": rows,
        "copy_seconds": copied - started,
        "seconds": finished - started,
        "peak_rss_mb": peak_rss_mb(),
    }


def run_step(step: str, url: str, path: Path) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, "--step", step, "--url", url, "--file", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def admin(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--step", choices=["ftr", "copy"])
    parser.add_argument("--url")
    parser.add_argument("--file", type=Path)
    args = parser.parse_args()
    if args.step:
        step = step_ftr if args.step == "ftr" else step_copy
        print(json.dumps(step(args.url, args.file)))
        return

    import generate  # data/samples/generate.py

    from tracing.cli import alembic_config

    with tempfile.TemporaryDirectory() as workdir:
        started = time.perf_counter()
        scenario = generate.generate("mixed", args.rows, max(1, args.rows // 4), seed=args.seed)
        path = Path(workdir) / "children.csv"
        scenario.children.to_csv(path, index=False)
        elapsed = time.perf_counter() - started
        print(f"generated {len(scenario.children):,} children in {elapsed:.1f} s")

        from alembic import command

        names = {s: f"ftr_bench_{s}_{uuid.uuid4().hex[:6]}" for s in ("ftr", "copy")}
        try:
            for name in names.values():
                admin(f"CREATE DATABASE {name}")
                command.upgrade(alembic_config(f"{SERVER}/{name}"), "head")
            results = {
                "ftr import, first": run_step("ftr", f"{SERVER}/{names['ftr']}", path),
                "ftr import, re-import": run_step("ftr", f"{SERVER}/{names['ftr']}", path),
                "COPY + INSERT…SELECT": run_step("copy", f"{SERVER}/{names['copy']}", path),
            }
        finally:
            for name in names.values():
                admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    floor = results["COPY + INSERT…SELECT"]
    print(f"\nImport of {args.rows:,} children (2 cores; each step in its own process)\n")
    print(f"{'path':<24} {'rows':>8} {'seconds':>8} {'rows/s':>9} {'peak RSS':>9}  notes")
    for label, r in results.items():
        if "validate_seconds" in r:
            notes = (
                f"read+validate {r['validate_seconds']:.1f} s;"
                f" {r['inserted']:,} new, {r['unchanged']:,} unchanged"
            )
        else:
            copy_rate = r["rows"] / r["copy_seconds"]
            notes = f"raw COPY alone {r['copy_seconds']:.1f} s ({copy_rate:,.0f} rows/s)"
        print(
            f"{label:<24} {r['rows']:>8,} {r['seconds']:>8.1f} {r['rows'] / r['seconds']:>9,.0f}"
            f" {r['peak_rss_mb']:>7.0f}MB  {notes}"
        )
    first = results["ftr import, first"]
    share = (first["rows"] / first["seconds"]) / (floor["rows"] / floor["seconds"])
    print(f"\nftr import reaches {share:.0%} of the COPY floor's throughput on a first import.")


if __name__ == "__main__":
    main()
