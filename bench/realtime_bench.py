"""Real-time matching against `ftr link`, on the same two files.

Into a fresh database, fits the engine on CHILDREN.csv and REQUESTS.csv exactly as
`ftr link` does and stores that model; then registers every child and files every
inquiry one at a time, through the service calls the pages and the API use
(`register_child`, `file_inquiry`: each record stored, then matched in real time), in
the order asked:

- ``children-first``: every registration, then every inquiry;
- ``requests-first``: every inquiry, then every registration;
- ``interleaved``: as they would arrive, by registration and request date, ties by ref.

Right after the last record, with no bulk or catch-up pass, it writes each sought
child's ranking as real-time matching left it (`RankedCandidate`: the top 10, below the
proposal floor too) in `ftr link`'s format (file refs, not the store's), prints the time
per record, then runs `ftr link` on the same files and prints both systems' figures side
by side (bench/evaluate.py; ../shared/eval/score.py too for the shared generator's sets).
The truth files are looked for beside CHILDREN.csv (either generator's).

Run: `.venv/bin/python bench/realtime_bench.py DIR/children.csv DIR/requests.csv
--out /tmp/realtime.csv --order interleaved`.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tracing import contract  # noqa: E402

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
EMAIL = "realtime@bench.example"
PASSWORD = "bench password 123"  # a throwaway database's only user
ORDERS = ("children-first", "requests-first", "interleaved")

# The cells a registration form or an API call carries: the contract's columns but the
# ref, which the store gives; a sought child's, its person columns (the inquirer's and the
# request date are the inquiry's).
CHILD_CELLS = tuple(c for c in contract.CHILD_COLUMNS if c != "ref")
SOUGHT_CELLS = contract.PERSON_VALUE_COLUMNS


@dataclass(order=True)
class Arrival:
    """A registration or an inquiry (all its sought children), as it reaches the service."""

    date: str
    ref: str
    kind: str = field(compare=False)
    rows: list[dict[str, str]] = field(compare=False)


def read_rows(path: Path) -> list[dict[str, str]]:
    """The file's cells as a form would give them: text, empty when unknown."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "") for k, v in row.items()} for row in csv.DictReader(handle)]


def arrivals(
    children: list[dict[str, str]], requests: list[dict[str, str]], order: str
) -> list[Arrival]:
    registered = [Arrival(r.get("registration_date", ""), r["ref"], "child", [r]) for r in children]
    inquiries: dict[str, list[dict[str, str]]] = {}
    for row in requests:
        inquiries.setdefault(row.get("inquiry_ref") or row["ref"], []).append(row)
    filed = [
        Arrival(rows[0].get("request_date", ""), ref, "inquiry", rows)
        for ref, rows in inquiries.items()
    ]
    if order == "children-first":
        return registered + filed
    if order == "requests-first":
        return filed + registered
    return sorted(registered + filed)


@dataclass
class Timings:
    seconds: dict[str, list[float]] = field(default_factory=lambda: {"child": [], "inquiry": []})
    refused: list[str] = field(default_factory=list)

    def report(self) -> Iterator[str]:
        for kind, values in self.seconds.items():
            if not values:
                continue
            ms = sorted(v * 1000 for v in values)
            p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
            name = "registration" if kind == "child" else "inquiry"
            yield (
                f"  {name:<13} {len(ms):>7,} records  mean {statistics.mean(ms):6.1f} ms"
                f"  p50 {statistics.median(ms):6.1f} ms  p95 {p95:6.1f} ms"
                f"  total {sum(ms) / 1000:7.1f} s"
            )


def fresh_database(name: str) -> str:
    from alembic import command

    from tracing.cli import alembic_config

    for sql in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)
    url = f"{SERVER}/{name}"
    command.upgrade(alembic_config(url), "head")
    return url


def run_realtime(url: str, children_file: Path, requests_file: Path, order: str, out: Path) -> None:
    from sqlalchemy import select

    from matching import Linker
    from models import ChildRegistration, RankedCandidate, SoughtChild
    from models.db import make_engine, make_sessionmaker, transaction
    from tracing.accounts.services import create_user
    from tracing.errors import ServiceError, ValidationFailed
    from tracing.inquiries.services import file_inquiry
    from tracing.linkage import fitted_engines
    from tracing.linkage.link_command import load
    from tracing.registrations.services import register_child

    engine = make_engine(url)
    session = make_sessionmaker(engine)()
    try:
        actor = create_user(session, EMAIL, "caseworker", "Realtime Bench Agency", PASSWORD)
        t = time.perf_counter()
        # fitted exactly as `ftr link` fits it (tracing/linkage/link_command.py)
        linker = Linker.fit(load("children", children_file), load("requests", requests_file))
        with transaction(session):
            fitted_engines.save_linker(session, linker, None)
        print(f"engine fitted on the two files in {time.perf_counter() - t:.1f} s", flush=True)

        plan = arrivals(read_rows(children_file), read_rows(requests_file), order)
        file_ref: dict[str, str] = {}  # the store's ref -> the file's
        timings = Timings()
        started = time.perf_counter()
        for number, arrival in enumerate(plan, start=1):
            t = time.perf_counter()
            try:
                if arrival.kind == "child":
                    row = arrival.rows[0]
                    child, _ = register_child(
                        session, actor, {c: row.get(c, "") for c in CHILD_CELLS}, {}
                    )
                    file_ref[child.ref] = row["ref"]
                else:
                    first = arrival.rows[0]
                    inquirer = {
                        "inquirer_name": first.get("inquirer_name", ""),
                        "inquirer_relationship": first.get("inquirer_relationship", ""),
                        "request_date": first.get("request_date", ""),
                    }
                    sought: list[tuple[dict[str, str], dict[str, Any]]] = [
                        ({c: r.get(c, "") for c in SOUGHT_CELLS}, {}) for r in arrival.rows
                    ]
                    inquiry, _ = file_inquiry(session, actor, inquirer, sought)
                    for index, row in enumerate(arrival.rows, start=1):
                        file_ref[f"{inquiry.ref}-{index}"] = row["ref"]
            except (ValidationFailed, ServiceError) as exc:
                session.rollback()
                timings.refused.append(f"{arrival.kind} {arrival.ref}: {exc}")
                continue
            timings.seconds[arrival.kind].append(time.perf_counter() - t)
            if number % 1000 == 0 or number == len(plan):
                elapsed = time.perf_counter() - started
                print(
                    f"\r  {number:,} / {len(plan):,} records, {elapsed:.0f} s",
                    end="",
                    flush=True,
                )
            session.expunge_all()  # one record at a time, as a web request sees the store
        print()
        for line in timings.report():
            print(line)
        for refusal in timings.refused[:10]:
            print(f"  refused: {refusal}")
        if timings.refused:
            print(f"  {len(timings.refused)} records refused in all")

        rows = session.execute(
            select(
                SoughtChild.ref, ChildRegistration.ref, RankedCandidate.rank, RankedCandidate.score
            )
            .join(SoughtChild, SoughtChild.id == RankedCandidate.sought_child_id)
            .join(ChildRegistration, ChildRegistration.id == RankedCandidate.child_id)
            .order_by(SoughtChild.ref, RankedCandidate.rank)
        ).all()
        with out.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["request_ref", "child_ref", "rank", "score"])
            for sought_ref, child_ref, rank, score in rows:
                writer.writerow([file_ref[sought_ref], file_ref[child_ref], rank, f"{score:.6f}"])
        print(f"real-time ranking: {len(rows):,} rows to {out}")
    finally:
        session.close()
        engine.dispose()


def compare_with_link(
    children_file: Path, requests_file: Path, realtime_out: Path, link_out: Path
) -> None:
    """`ftr link` on the same files, then both outputs' figures side by side."""
    import pandas as pd
    from evaluate import evaluate, format_comparison, load_truth

    t = time.perf_counter()
    subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "ftr"),
            "link",
            str(children_file),
            str(requests_file),
            "--out",
            str(link_out),
        ],
        check=True,
        capture_output=True,
    )
    print(f"ftr link on the same files: {time.perf_counter() - t:.1f} s")
    folder = children_file.parent
    try:
        truth_c, truth_r = load_truth(folder)
    except ValueError as exc:
        print(f"no truth beside the files ({exc}): no figures")
        return
    metrics = {
        name: evaluate(
            pd.read_csv(path, dtype={"request_ref": str, "child_ref": str}), truth_c, truth_r
        )
        for name, path in (("ftr link", link_out), ("real-time", realtime_out))
    }
    print(format_comparison(metrics))
    shared_score = ROOT.parent / "shared" / "eval" / "score.py"
    if (folder / "truth.csv").exists() and shared_score.exists():
        for name, path in (("ftr link", link_out), ("real-time", realtime_out)):
            line = subprocess.run(
                [sys.executable, str(shared_score), str(path), str(folder / "truth.csv")],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            print(f"  score.py, {name}: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("children", type=Path)
    parser.add_argument("requests", type=Path)
    parser.add_argument("--out", type=Path, required=True, help="the real-time ranking (CSV)")
    parser.add_argument("--order", choices=ORDERS, default="interleaved")
    parser.add_argument("--database", default="ftr_bench_realtime")
    parser.add_argument(
        "--no-link", action="store_true", help="skip `ftr link` and the figures beside it"
    )
    args = parser.parse_args()
    print(f"real-time bench: {args.children.parent}, order {args.order}", flush=True)
    url = fresh_database(args.database)
    run_realtime(url, args.children, args.requests, args.order, args.out)
    if not args.no_link:
        compare_with_link(
            args.children, args.requests, args.out, args.out.with_name(args.out.stem + "_link.csv")
        )


if __name__ == "__main__":
    main()
