"""Service benchmark: the store at scale, request latencies, and a concurrent soak.

1. Builds a store of generated records (default 200,000 registered children and
   50,000 sought children) through the import path, then runs `ftr match --refit` over
   it (the engine fitted on a sample, every sought child ranked, a chunk at a time).
   With `--quality N`, checks real-time matching against the generator's truth for N
   sought children whose child is registered.
2. Prints p50/p95 for registering a child with its matching, filing an inquiry for two
   children with its matching, opening the review queue and a name search, each next
   to the same request with matching switched off (the baseline), and the mean number
   of candidates scored per new record.
3. Runs 20 concurrent clients for 60 s against `ftr serve` (gunicorn, `--workers`, 2 by
   default) on loopback (registering, deciding, searching through the JSON API), then
   checks that every acknowledged write is in the store and that the sign-in limit
   answers 429 at its threshold across the workers.

Building the store takes minutes: `--reuse` keeps and reuses the database
(ftr_bench_service by default). Run: `.venv/bin/python bench/service_bench.py`.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "data" / "samples"))

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
# a traceback's last line, as the server logs it ("psycopg.errors.DeadlockDetected: ...")
_EXCEPTION_LINE = re.compile(r"^[\w.]+(Error|Exception|Detected|Failure)\b.*")
PASSWORD = "bench password 123"
EMAIL = "bench@bench.example"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def admin_sql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)


def database_exists(name: str) -> bool:
    out = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-Atc",
            f"SELECT 1 FROM pg_database WHERE datname = '{name}'",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.strip() == "1"


# --------------------------------------------------------------------------- building


def fit_and_match(session: Any) -> None:
    """Fit the engine and match the whole store, as `ftr match --refit` does (the engine
    is fitted on a sample, then every open sought child is ranked, a chunk at a time)."""
    from tracing.linkage import jobs

    t = time.perf_counter()
    summary = jobs.match_all(session, refit=True)
    print(
        f"ftr match --refit: {summary.sought:,} sought × {summary.children:,} registered "
        f"children, {summary.proposed:,} proposals, in {time.perf_counter() - t:.0f} s ("
        + ", ".join(f"{stage} {seconds:.0f} s" for stage, seconds in summary.seconds.items())
        + ")",
        flush=True,
    )


def ensure_current_model(url: str) -> None:
    """A reused store fitted by an older engine version is fitted again."""
    from models.db import make_engine, make_sessionmaker
    from tracing.linkage import fitted_engines
    from tracing.linkage.store_upkeep import refresh_statistics

    engine = make_engine(url)
    session = make_sessionmaker(engine)()
    try:
        if fitted_engines.current_linker(session) is None:
            fit_and_match(session)
        else:
            # earlier runs' writes since: the statistics as `ftr match` leaves them, so
            # that a reused store is measured as a freshly built one is
            for kind in ("children", "requests"):
                refresh_statistics(session, kind)
            session.commit()
    finally:
        session.close()
        engine.dispose()


SHARED_GENERATOR = ROOT.parent / "shared" / "eval" / "ftrgen.py"


def generated_files(folder: Path, children: int, sought: int, seed: int, source: str) -> None:
    """children.csv and requests.csv (and the truth) of the store, in ``folder``: from
    this repository's generator ("ours", every culture mixed) or from the shared
    evaluation's (``shared:REGION``), which the engine was not shaped on."""
    started = time.perf_counter()
    if source == "ours":
        import generate

        generate.write(generate.generate("mixed", children, sought, seed=seed), folder)
    else:
        region = source.split(":", 1)[1]
        subprocess.run(
            [
                sys.executable,
                str(SHARED_GENERATOR),
                str(folder),
                "--region",
                region,
                "--children",
                str(children),
                "--requests",
                str(sought),
                "--seed",
                str(seed),
            ],
            check=True,
            capture_output=True,
        )
    print(
        f"generated {children:,} children and {sought:,} sought children ({source}) "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )


def truth_pairs(folder: Path, source: str) -> list[tuple[str, str]]:
    """(sought ref, registered child ref) of every sought child whose child is registered."""
    import pandas as pd

    if source == "ours":
        children = pd.read_csv(folder / "truth_children.csv", dtype=str)
        requests = pd.read_csv(folder / "truth_requests.csv", dtype=str)
        child_of = dict(zip(children["person_id"], children["ref"], strict=True))
        return [
            (ref, child_of[person])
            for ref, person in zip(requests["ref"], requests["person_id"], strict=True)
            if person in child_of
        ]
    truth = pd.read_csv(folder / "truth.csv", dtype=str).dropna(subset=["child_ref"])
    return list(zip(truth["request_ref"], truth["child_ref"], strict=True))


def build_store(url: str, children: int, sought: int, seed: int, source: str) -> None:
    from models.db import make_engine, make_sessionmaker
    from tracing import contract
    from tracing.accounts.services import create_user
    from tracing.imports.services import import_records

    engine = make_engine(url)
    session = make_sessionmaker(engine)()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            generated_files(Path(tmp), children, sought, seed, source)
            kinds: tuple[contract.Kind, ...] = ("children", "requests")
            for kind in kinds:
                path = Path(tmp) / f"{kind}.csv"
                t = time.perf_counter()
                validated = contract.validate_file(kind, path)
                report = import_records(
                    session,
                    kind,
                    validated,
                    agency_name="Bench Agency",
                )
                print(
                    f"imported {report.stored:,} {kind} in {time.perf_counter() - t:.0f} s",
                    flush=True,
                )
        fit_and_match(session)
        create_user(session, EMAIL, "caseworker", "Bench Agency", PASSWORD, reset_if_exists=True)
    finally:
        session.close()
        engine.dispose()


# --------------------------------------------------------------------------- quality


# Sought children of the quality sample that are also matched and ranked (the rest are
# checked for retrieval only: matching each in a 200,000-child store takes a second)
RANKED_SAMPLE = 300


def store_quality(
    url: str, children: int, sought: int, seed: int, samples: int, source: str
) -> None:
    """How well real-time matching finds the true child in the full store.

    The generators are seeded, so generating the store's files again gives the truth.
    For ``samples`` sought children whose child is registered, the bench checks that the
    store's retrieval (`block_index.family_candidates`, as an inquiry is filed) keeps the
    true child among the candidates scored; for the first RANKED_SAMPLE of them,
    matching runs as it does when an inquiry is filed (`jobs.match_sought_children`)
    inside a transaction that is rolled back, and the bench reports how often the true
    child was proposed first or in the top 10.
    """
    from sqlalchemy import select

    from models import ChildRegistration, PotentialMatch, SoughtChild
    from models.db import make_engine, make_sessionmaker
    from tracing.linkage import jobs

    with tempfile.TemporaryDirectory() as tmp:
        generated_files(Path(tmp), children, sought, seed, source)
        registered = truth_pairs(Path(tmp), source)
    chosen = random.Random(seed).sample(registered, min(samples, len(registered)))
    engine = make_engine(url)
    session = make_sessionmaker(engine)()
    retrieved = first = top10 = ranked_n = 0
    pools: list[int] = []
    t = time.perf_counter()
    try:
        for number, (sought_ref, child_ref) in enumerate(chosen):
            sought_id = session.scalar(select(SoughtChild.id).where(SoughtChild.ref == sought_ref))
            child_id = session.scalar(
                select(ChildRegistration.id).where(ChildRegistration.ref == child_ref)
            )
            if sought_id is None or child_id is None:
                continue
            in_pool, pool = _in_pool(session, sought_id, child_id)
            retrieved += in_pool
            pools.append(pool)
            if number < RANKED_SAMPLE:
                jobs.match_sought_children(session, [sought_id])
                ranked = list(
                    session.scalars(
                        select(PotentialMatch.child_id)
                        .where(PotentialMatch.sought_child_id == sought_id)
                        .order_by(PotentialMatch.score.desc(), PotentialMatch.id)
                    )
                )
                session.rollback()
                ranked_n += 1
                first += bool(ranked) and ranked[0] == child_id
                top10 += child_id in ranked[:10]
            session.rollback()
            if (number + 1) % 250 == 0:
                print(
                    f"\r  quality: {number + 1:,} / {len(chosen):,} sought children, "
                    f"{time.perf_counter() - t:.0f} s",
                    end="",
                    flush=True,
                )
    finally:
        session.rollback()
        session.close()
        engine.dispose()
    n = len(pools)
    print(f"\nReal-time matching in the full store ({source})")
    print(f"  true child among the retrieved candidates: {retrieved / n:.3f} of {n:,} sought")
    print(f"  true child proposed first:                 {first / ranked_n:.3f} of {ranked_n:,}")
    print(f"  true child among the top 10 proposals:     {top10 / ranked_n:.3f} of {ranked_n:,}")
    print(f"  mean candidates retrieved:                 {statistics.mean(pools):,.0f}")


def _in_pool(session: Any, sought_id: int, child_id: int) -> tuple[bool, int]:
    """Whether real-time matching's blocking (block_index) keeps the child among the
    sought child's candidates, ranked with the rest of its inquiry; and how many
    candidates the inquiry has."""
    from sqlalchemy import select

    from models import SoughtChild
    from tracing.linkage import block_index, fitted_engines, store_frames

    current = fitted_engines.current_linker(session)
    if current is None:
        return False, 0
    inquiry = select(SoughtChild.inquiry_id).where(SoughtChild.id == sought_id)
    family = store_frames.load_frame(
        session, store_frames.sought_query().where(SoughtChild.inquiry_id.in_(inquiry))
    )
    _pairs, pool = block_index.family_candidates(session, current[1], family)
    return child_id in pool, len(pool)


# --------------------------------------------------------------------------- latency


def synthetic_child(rng: random.Random, names: list[tuple[str, str]]) -> dict[str, Any]:
    given, family = rng.choice(names)
    return {
        "given_name": given,
        "family_name": family,
        "sex": rng.choice(["male", "female"]),
        "age": str(rng.randint(2, 16)),
        "separation_lat": f"{13.0 + rng.random():.4f}",
        "separation_lon": f"{22.0 + rng.random():.4f}",
        "mother_name": rng.choice(names)[0],
    }


def latencies(url: str, samples: int, seed: int, warmup: int) -> None:
    from sqlalchemy import select

    from app import create_app
    from models import ChildRegistration, User
    from tracing.db import get_session
    from tracing.inquiries.services import file_inquiry
    from tracing.registrations.services import register_child

    rng = random.Random(seed)
    results: dict[str, dict[bool, list[float]]] = {}
    candidates: dict[str, list[int]] = {"registration": [], "inquiry": []}

    first: dict[str, dict[bool, float]] = {}

    def record(name: str, matching: bool, started: float) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        first.setdefault(name, {}).setdefault(matching, elapsed)
        results.setdefault(name, {}).setdefault(matching, []).append(elapsed)

    for matching in (True, False):
        app = create_app(
            {
                "DATABASE_URL": url,
                "REALTIME_MATCHING": matching,
                "LOGIN_RATE_LIMIT": "10000 per minute",
            }
        )
        client = app.test_client()
        token = client.get("/login").get_data(as_text=True)
        token = token.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
        with app.app_context():
            session = get_session()
            names = [
                (g or "", f or "")
                for g, f in session.execute(
                    select(ChildRegistration.given_name, ChildRegistration.family_name).limit(5000)
                )
            ]
        for sample in range(-warmup, samples):
            if sample == 0:  # the warm-up ends: count from here
                for by_mode in results.values():
                    by_mode[matching] = []
                if matching:
                    for values in candidates.values():
                        values.clear()
            with app.app_context():
                session = get_session()
                actor = session.scalars(select(User).where(User.email == EMAIL)).one()
                stats: dict[str, int] = {}
                started = time.perf_counter()
                register_child(
                    session, actor, synthetic_child(rng, names), {}, match=matching, stats=stats
                )
                record("register a child", matching, started)
                if matching:
                    candidates["registration"].append(stats.get("candidates", 0))
                stats = {}
                pair: list[tuple[dict[str, str], dict[str, Any]]] = [
                    (synthetic_child(rng, names), {}),
                    (synthetic_child(rng, names), {}),
                ]
                started = time.perf_counter()
                file_inquiry(
                    session,
                    actor,
                    {"inquirer_name": rng.choice(names)[0]},
                    pair,
                    match=matching,
                    stats=stats,
                )
                record("file an inquiry (2 children)", matching, started)
                if matching:
                    candidates["inquiry"].append(stats.get("candidates", 0))
            started = time.perf_counter()
            client.get("/review/").close()
            record("open the review queue", matching, started)
            query = " ".join(rng.choice(names)).strip() or "Mohammed"
            started = time.perf_counter()
            client.get(f"/search/?q={query}").close()
            record("name search", matching, started)
        app.extensions["ftr.engine"].dispose()

    print(
        f"\nLatency over {samples} requests each, after {warmup} of each to warm the "
        "process (ms; in-process, 2 cores)\n"
    )
    print(
        f"{'request':<30} {'p50':>8} {'p95':>8}   {'baseline p50':>12} {'p95':>8}"
        f"   {'first':>6} {'baseline':>8}"
    )
    for name, by in results.items():
        on, off = by[True], by[False]
        print(
            f"{name:<30} {percentile(on, 0.5):>8.0f} {percentile(on, 0.95):>8.0f}   "
            f"{percentile(off, 0.5):>12.0f} {percentile(off, 0.95):>8.0f}"
            f"   {first[name][True]:>6.0f} {first[name][False]:>8.0f}"
        )
    print("(first: the first such request of a new process, before any warming)")
    print(
        "(baseline: the same request with REALTIME_MATCHING off; the queue and search never match)"
    )
    for kind, values in candidates.items():
        if values:
            print(
                f"mean registered children retrieved and scored per new {kind}: "
                f"{statistics.mean(values):,.0f}"
            )


# --------------------------------------------------------------------------- soak


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.token = ""

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
            request.add_header("X-CSRFToken", self.token)
        try:
            with self.opener.open(request, timeout=60) as response:
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            raw, status = exc.read(), exc.code
        try:
            return status, json.loads(raw) if raw else None
        except json.JSONDecodeError:
            return status, None

    def login(self) -> None:
        page = self.opener.open(self.base + "/login", timeout=30).read().decode()
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        form = urllib.parse.urlencode(
            {"email": EMAIL, "password": PASSWORD, "csrf_token": token}
        ).encode()
        self.opener.open(self.base + "/login", data=form, timeout=30)
        self.token = self.call("GET", "/api/csrf")[1]["csrf_token"]


SOAK_LOGIN_LIMIT = 40


def probe_login_limit(base: str, attempts: int) -> list[int]:
    """Sign-in attempts with a wrong password from new connections (any worker may take
    each), each claiming another address in X-Forwarded-For; their status codes."""
    codes = []
    for attempt in range(attempts):
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        page = opener.open(base + "/login", timeout=30).read().decode()
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        form = urllib.parse.urlencode(
            {"email": f"probe{attempt}@example.org", "password": "wrong!", "csrf_token": token}
        ).encode()
        request = urllib.request.Request(
            base + "/login", data=form, headers={"X-Forwarded-For": f"198.51.100.{attempt}"}
        )
        try:
            with opener.open(request, timeout=30) as response:
                codes.append(response.status)
        except urllib.error.HTTPError as exc:
            codes.append(exc.code)
            exc.close()
    return codes


def soak(url: str, clients: int, seconds: int, seed: int, workers: int) -> None:
    """`clients` concurrent API clients for `seconds` against `ftr serve` with `workers`
    gunicorn workers; then every acknowledged write is looked for in the store, and the
    sign-in limit is probed: it must answer 429 at its threshold, counted once for all
    workers (a spoofed X-Forwarded-For changes nothing)."""
    import secrets
    import socket

    from sqlalchemy import create_engine, text

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        "DATABASE_URL": url,
        "FTR_SECRET_KEY": secrets.token_hex(32),
        "FTR_LOGIN_RATE_LIMIT": f"{SOAK_LOGIN_LIMIT} per minute",
        "PATH": "/usr/bin:/bin",
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "ftr"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/login", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        lock = threading.Lock()
        counts: dict[str, int] = {}
        errors: list[str] = []
        acknowledged_refs: list[str] = []
        decisions: list[tuple[int, str]] = []
        deadline = time.monotonic() + seconds

        def note(kind: str) -> None:
            with lock:
                counts[kind] = counts.get(kind, 0) + 1

        def worker(index: int) -> None:
            rng = random.Random(seed + index)
            client = Client(base)
            try:
                client.login()
            except Exception as exc:
                with lock:
                    errors.append(f"login: {exc!r}")
                return
            while time.monotonic() < deadline:
                op = rng.choice(["register", "inquiry", "decide", "search", "search"])
                try:
                    if op == "register":
                        status, body = client.call(
                            "POST",
                            "/api/children",
                            {
                                "given_name": rng.choice(["Amina", "Idris", "Dara", "Olena"]),
                                "family_name": f"Soak{rng.randint(1, 10**6)}",
                                "age": rng.randint(1, 16),
                            },
                        )
                        if status == 201:
                            with lock:
                                acknowledged_refs.append(body["ref"])
                    elif op == "inquiry":
                        status, body = client.call(
                            "POST",
                            "/api/inquiries",
                            {
                                "inquirer_name": "Soak parent",
                                "children": [
                                    {
                                        "given_name": "Amina",
                                        "family_name": f"Soak{rng.randint(1, 10**6)}",
                                    }
                                ],
                            },
                        )
                        if status == 201:
                            with lock:
                                acknowledged_refs.extend(s["ref"] for s in body["sought"])
                    elif op == "decide":
                        status, body = client.call("GET", "/api/matches?limit=50")
                        if status == 200 and body:
                            pick = rng.choice(body)
                            verdict = rng.choice(["confirm", "reject"])
                            status, result = client.call(
                                "POST",
                                f"/api/matches/{pick['id']}/decision",
                                {
                                    "decision": verdict,
                                    "reason": "soak test",
                                    "version": pick["version"],
                                },
                            )
                            if status == 200:
                                with lock:
                                    decisions.append((pick["id"], result["status"]))
                            elif status in (409, 422):
                                status = 200  # someone else decided first: a clear refusal
                    else:
                        status, _ = client.call(
                            "GET",
                            "/api/search?q="
                            + rng.choice(["Mohammed", "Oleksandr", "Sreymom", "Fatima"]),
                        )
                    note(op)
                    if status >= 500 or status in (400, 401, 403):
                        with lock:
                            errors.append(f"{op}: HTTP {status}")
                except Exception as exc:
                    with lock:
                        errors.append(f"{op}: {exc!r}")

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        # The clients signed in within the limit's first window, which began as they
        # started; the probe waits for it to end and starts a window of its own.
        time.sleep(max(0.0, started + 61 - time.perf_counter()))
        probe = probe_login_limit(base, SOAK_LOGIN_LIMIT + 1)
    finally:
        server.terminate()
        _out, server_log = server.communicate(timeout=30)

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            stored = set(
                connection.scalars(
                    text(
                        "SELECT ref FROM child_registration WHERE ref = ANY(:r) UNION "
                        "SELECT ref FROM sought_child WHERE ref = ANY(:r)"
                    ),
                    {"r": acknowledged_refs},
                )
            )
            kept: dict[int, str] = dict(
                connection.execute(
                    text("SELECT id, status FROM potential_match WHERE id = ANY(:ids)"),
                    {"ids": [d[0] for d in decisions]},
                ).all()
            )
    finally:
        engine.dispose()
    missing = [r for r in acknowledged_refs if r not in stored]
    lost = [d for d in decisions if kept.get(d[0]) not in (d[1], "superseded")]
    total = sum(counts.values())
    print(
        f"\nSoak: {clients} clients for {elapsed:.0f} s on loopback: {total:,} requests "
        f"({total / elapsed:.1f}/s): " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )
    print(f"errors: {len(errors)}" + (f" (first: {errors[:3]})" if errors else ""))
    if errors:  # the server's own account of them: each exception's last line, and the log
        raised = sorted({line for line in server_log.splitlines() if _EXCEPTION_LINE.match(line)})
        with tempfile.NamedTemporaryFile(
            "w", prefix="ftr-soak-", suffix=".log", delete=False
        ) as log_file:
            log_file.write(server_log)
        print("server exceptions: " + ("; ".join(raised[:5]) or "(none logged)"))
        print(f"server log: {log_file.name}")
    preload = [line for line in server_log.splitlines() if line.startswith("FTR on ")]
    print(f"server: {preload[0] if preload else '(no start line)'}")
    first_429 = probe.index(429) + 1 if 429 in probe else None
    print(
        f"sign-in limit {SOAK_LOGIN_LIMIT} a minute across {workers} workers: answers "
        + ", ".join(f"{code} x{probe.count(code)}" for code in sorted(set(probe)))
        + f"; first 429 at attempt {first_429} (expected {SOAK_LOGIN_LIMIT + 1})"
    )
    print(
        f"acknowledged writes: {len(acknowledged_refs)} records, {len(decisions)} decisions; "
        f"missing from the store afterwards: {len(missing)} records, {len(lost)} decisions"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--children", type=int, default=200_000)
    parser.add_argument("--sought", type=int, default=50_000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument(
        "--warmup",
        type=int,
        default=10,
        help="requests of each kind run first and not counted (caches, prepared statements)",
    )
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of the soak")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--generator",
        default="ours",
        help="the store's records: 'ours' (data/samples/generate.py, cultures mixed) or"
        " 'shared:REGION' (../shared/eval/ftrgen.py: sudan, cambodia, ukraine)",
    )
    parser.add_argument(
        "--no-soak", action="store_true", help="skip the latencies and the concurrent soak"
    )
    parser.add_argument("--database", default="ftr_bench_service")
    parser.add_argument("--reuse", action="store_true", help="reuse the database if it exists")
    parser.add_argument(
        "--quality",
        type=int,
        default=300,
        metavar="N",
        help="sought children to check real-time matching's quality on (0: skip)",
    )
    args = parser.parse_args()

    from alembic import command

    from tracing.cli import alembic_config

    url = f"{SERVER}/{args.database}"
    if not (args.reuse and database_exists(args.database)):
        admin_sql(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
        admin_sql(f"CREATE DATABASE {args.database}")
        command.upgrade(alembic_config(url), "head")
        build_store(url, args.children, args.sought, args.seed, args.generator)
    else:
        ensure_current_model(url)
    counts = (
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                args.database,
                "-Atc",
                "SELECT (SELECT count(*) FROM child_registration),"
                " (SELECT count(*) FROM sought_child),"
                " (SELECT count(*) FROM inquiry), (SELECT count(*) FROM potential_match)",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .split("|")
    )
    print(
        f"store: {int(counts[0]):,} registered children, {int(counts[1]):,} sought children "
        f"in {int(counts[2]):,} inquiries, {int(counts[3]):,} potential matches"
    )
    if args.quality:
        store_quality(url, args.children, args.sought, args.seed, args.quality, args.generator)
    if not args.no_soak:
        latencies(url, args.samples, args.seed, args.warmup)
        soak(url, args.clients, args.seconds, args.seed, args.workers)


if __name__ == "__main__":
    main()
