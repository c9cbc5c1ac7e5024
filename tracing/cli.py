"""The `ftr` command line: a Flask group over the same service functions as the pages."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import current_app
from flask.cli import FlaskGroup, ScriptInfo
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app import create_app
from matching.linker import FIT_MAX_CHILDREN, FIT_MAX_SOUGHT
from matching.parallel import keep_freed_memory
from models import Role

from . import contract, serving
from .accounts import services as accounts
from .db import get_session
from .errors import ServiceError
from .imports.services import import_records
from .linkage import fitted_engines, jobs
from .linkage.link_command import link_command
from .linkage.store_upkeep import refresh_keys

ROOT = Path(__file__).resolve().parent.parent
UNREACHABLE_HELP = (
    "Cannot reach PostgreSQL at {where}.\n"
    "  Start it and create the database with `make postgres`,\n"
    "  or point DATABASE_URL at a PostgreSQL 15 server with PostGIS 3."
)


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def cli() -> None:
    """FTR: family tracing and reunification."""


def main() -> None:
    """Console entry point: a database that cannot be reached is one clear message."""
    try:
        cli.main(prog_name="ftr")
    except OperationalError as exc:
        url = make_url(current_database_url())
        where = f"{url.host or 'localhost'}:{url.port or 5432}/{url.database}"
        click.echo(UNREACHABLE_HELP.format(where=where), err=True)
        click.echo(f"  ({str(exc.orig).strip().splitlines()[0]})", err=True)
        sys.exit(2)


def current_database_url() -> str:
    from models.db import database_url

    return database_url()


# --------------------------------------------------------------------------- ftr db


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = url
    return config


def migration_problem(url: str) -> str | None:
    """Why the database at `url` is not at this FTR's newest migration, or None."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.pool import NullPool

    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()
    if not current:
        return "the database has no FTR tables yet: run `ftr db upgrade` first"
    if current != heads:
        return (
            f"the database is at migration {', '.join(sorted(current))} and this FTR needs "
            f"{', '.join(sorted(heads))}: run `ftr db upgrade` first"
        )
    return None


def create_database(url: str) -> bool:
    """Create the database named in `url` when missing; True when it was created."""
    target = make_url(url)
    maintenance = create_engine(
        target.set(database="postgres"), isolation_level="AUTOCOMMIT", pool_pre_ping=True
    )
    try:
        with maintenance.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            )
            if exists:
                return False
            quoted = connection.dialect.identifier_preparer.quote(str(target.database))
            connection.execute(text(f"CREATE DATABASE {quoted}"))
            return True
    finally:
        maintenance.dispose()


@cli.group()
def db() -> None:
    """Create and migrate the database."""


@db.command("create")
def db_create() -> None:
    """Create the database named in DATABASE_URL when it does not exist."""
    url = current_app.config["DATABASE_URL"]
    created = create_database(url)
    name = make_url(url).database
    click.echo(f"database {name} {'created' if created else 'exists already'}")


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    from alembic import command

    command.upgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)
    click.echo(f"database at {revision}")


@db.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (default: one step; `base` removes all)."""
    from alembic import command

    command.downgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)
    click.echo(f"database at {revision}")


# --------------------------------------------------------------------------- ftr import


def _echo_problems(problems: list[contract.Problem]) -> int:
    """Print every problem except the routine 'updated' notes; return how many were hidden."""
    hidden = 0
    for problem in problems:
        if (
            problem.severity == "warning"
            and problem.column == "ref"
            and "exists" in problem.message
        ):
            hidden += 1
            continue
        click.echo(str(problem), err=True)
    return hidden


def run_import(
    kind: contract.Kind, path: Path, agency: str, report: Path | None, match: bool = True
) -> None:
    try:
        table = contract.read_table(path)
    except contract.ContractError as exc:
        raise click.ClickException(str(exc)) from exc
    validated = contract.validate_table(kind, table)
    session = get_session()
    with click.progressbar(
        length=len(validated.records), label=f"Importing {kind}", file=sys.stderr
    ) as bar:
        outcome = import_records(
            session, kind, validated, agency_name=agency, on_progress=bar.update, source=path.name
        )
    hidden = _echo_problems(outcome.problems)
    if report:
        contract.write_problems_csv(outcome.problems, report)
    rejected = len({p.line for p in outcome.errors})
    click.echo(
        f"{path.name}: {outcome.rows_read} rows read, {outcome.stored} stored "
        f"({outcome.inserted} new, {outcome.updated} updated, {outcome.unchanged} unchanged), "
        f"{rejected} rows rejected ({len(outcome.errors)} errors), "
        f"{len(outcome.warnings) - hidden} warnings"
        + (f"; every problem in {report}" if report else "")
    )
    if match and outcome.changed_ids:
        # One bulk pass after the import, with the same engine, never row by row.
        _run_match(refit=False)
    if outcome.errors:
        sys.exit(1)


@cli.group("import")
def import_group() -> None:
    """Import children or tracing requests from CSV or XLSX (DESIGN §3)."""


F = TypeVar("F", bound=Callable[..., None])


def _import_options(func: F) -> F:
    func = click.argument("file", type=click.Path(path_type=Path, dir_okay=False))(func)
    func = click.option(
        "--match/--no-match",
        default=True,
        help="Match the imported records in one bulk pass afterwards (default: yes).",
    )(func)
    func = click.option(
        "--agency", default=None, help="Agency owning new records (default: DEFAULT_AGENCY)."
    )(func)
    return click.option(
        "--report",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Also write every error and warning to this CSV.",
    )(func)


@import_group.command("children")
@_import_options
def import_children(file: Path, agency: str | None, report: Path | None, match: bool) -> None:
    """Import registered children; rows with errors are reported and skipped."""
    run_import("children", file, agency or current_app.config["DEFAULT_AGENCY"], report, match)


@import_group.command("requests")
@_import_options
def import_requests(file: Path, agency: str | None, report: Path | None, match: bool) -> None:
    """Import tracing requests (a sought child a row; a shared inquiry_ref: one inquiry)."""
    run_import("requests", file, agency or current_app.config["DEFAULT_AGENCY"], report, match)


# --------------------------------------------------------------------------- matching


def _run_match(refit: bool, chunk_size: int = jobs.MATCH_CHUNK_SIZE) -> jobs.MatchSummary:
    """`jobs.match_all` with its stages on stderr, a progress bar over the chunks of
    sought children, and a summary."""
    keep_freed_memory()  # a bulk pass: the engine's large temporaries are reused
    with contextlib.ExitStack() as stack:
        bar: Any = None

        def on_stage(name: str) -> None:
            click.echo(f"Matching: {name}", err=True)

        def on_progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = stack.enter_context(
                    click.progressbar(
                        length=total,
                        label=f"Ranking {chunk_size:,} sought children a chunk",
                        file=sys.stderr,
                        show_pos=True,
                    )
                )
            bar.update(done - bar.pos)

        summary = jobs.match_all(
            get_session(),
            refit=refit,
            chunk_size=chunk_size,
            on_stage=on_stage,
            on_progress=on_progress,
        )
    seconds = summary.seconds
    timing = ", ".join(f"{k} {v:.1f}" for k, v in seconds.items())
    fitted = ""
    if summary.fitted:
        sample = " on a sample" if summary.fitted_on_sample else ""
        fitted = f"\n  engine refitted{sample} (model {summary.model_id})"
    click.echo(
        f"matched {summary.sought:,} open sought children against {summary.children:,} "
        f"registered children in {summary.chunks:,} chunk{'' if summary.chunks == 1 else 's'}"
        f"\n  {summary.candidates_scored:,} candidate pairs scored"
        f"\n  {summary.proposed:,} new proposals, {summary.updated:,} updated, "
        f"{summary.withdrawn:,} withdrawn"
        + fitted
        + (f"\n  index keys written again: {summary.rekeyed:,} records" if summary.rekeyed else "")
        + (f"\n  seconds: {timing} (total {sum(seconds.values()):.1f})" if timing else "")
    )
    return summary


@cli.command("match")
@click.option(
    "--refit",
    is_flag=True,
    help=(
        "Fit the engine again on the store and the caseworkers' decisions (done anyway "
        "when no engine of this version is stored). Beyond "
        f"{FIT_MAX_CHILDREN:,} registered or {FIT_MAX_SOUGHT:,} sought "
        "children it is fitted on a sample: whole inquiries, their best candidates and "
        "other children at random, with the whole store's name frequencies."
    ),
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    default=jobs.MATCH_CHUNK_SIZE,
    show_default=True,
    help="Sought children ranked and written at a time (whole inquiries); memory grows with it.",
)
@click.option(
    "--save-params",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the engine's parameters (readable JSON), e.g. for `ftr link --params`.",
)
def match_command(refit: bool, chunk_size: int, save_params: Path | None) -> None:
    """Re-run matching over every open record in one bulk pass.

    Sought children are ranked against all registered children a chunk at a time, and
    each chunk's proposals are committed before the next: an interrupted run loses one
    chunk at most, and running again is safe.
    """
    _run_match(refit, chunk_size)
    if save_params:
        current = fitted_engines.current_linker(get_session())
        if current is not None:
            current[1].save(save_params)
            click.echo(f"engine parameters (model {current[0]}) written to {save_params}")


@cli.command("rekey")
def rekey_command() -> None:
    """Write every record's index keys again with this engine's normalisation.

    Needed after an upgrade that changes how names are normalised or which variants are
    known (`ftr match` does it by itself when it finds no engine of its version). Rows
    whose keys are current are left alone; running it again is safe.
    """
    with contextlib.ExitStack() as stack:
        bar: Any = None

        def on_progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = stack.enter_context(
                    click.progressbar(length=total, label="Checking index keys", file=sys.stderr)
                )
            bar.update(done - bar.pos)

        summary = refresh_keys(get_session(), on_progress=on_progress)
    click.echo(f"checked {summary.checked:,} records; keys written again: {summary.updated:,}")


@cli.group("export")
def export_group() -> None:
    """Export from the store."""


@export_group.command("matches")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def export_matches(file: Path) -> None:
    """Write the store's open and confirmed matches as ranked output (DESIGN §3)."""
    written = jobs.export_matches(get_session(), file)
    click.echo(f"{written} matches written to {file}")


cli.add_command(link_command)


# --------------------------------------------------------------------------- ftr users


@cli.group()
def users() -> None:
    """Manage user accounts."""


@users.command("demo")
@click.option("--agency", default="Demo Agency", show_default=True)
@click.option("--domain", default="demo.ftr.example", show_default=True)
def users_demo(agency: str, domain: str) -> None:
    """Create (or reset) one demo user per role, sharing one new password printed once."""
    password = accounts.generate_password()
    session = get_session()
    click.echo(f"Demo logins for {agency} (password for all, shown once: {password})")
    for role in Role:
        email = f"{role.value}@{domain}"
        accounts.create_user(session, email, role.value, agency, password, reset_if_exists=True)
        click.echo(f"  {role.value:<11} {email}")


@users.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--agency", required=True, help="The user's agency (created when missing).")
@click.option("--generate-password", is_flag=True, help="Generate a password and print it once.")
@click.option("--reset-if-exists", is_flag=True, help="Reset the password of an existing user.")
def users_create(
    email: str, role: str, agency: str, generate_password: bool, reset_if_exists: bool
) -> None:
    """Create a user; the password is prompted for unless --generate-password."""
    if generate_password:
        password = accounts.generate_password()
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(
            get_session(), email, role, agency, password, reset_if_exists=reset_if_exists
        )
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"user {user.email} ({user.role}, {agency}) ready")
    if generate_password:
        click.echo(f"password (shown once): {password}")


# --------------------------------------------------------------------------- ftr serve


@cli.command("serve", with_appcontext=False)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=serving.default_workers,
    show_default="FTR_WORKERS, else one per core",
    help="Worker processes.",
)
@click.option(
    "--threads", type=click.IntRange(min=1), default=4, show_default=True, help="Per worker."
)
@click.option(
    "--timeout",
    type=click.IntRange(min=10),
    default=120,
    show_default=True,
    help="Seconds before a silent worker is restarted.",
)
@click.option("--certfile", type=click.Path(exists=True, dir_okay=False), help="TLS certificate.")
@click.option("--keyfile", type=click.Path(exists=True, dir_okay=False), help="TLS private key.")
def serve_command(
    host: str,
    port: int,
    workers: int,
    threads: int,
    timeout: int,
    certfile: str | None,
    keyfile: str | None,
) -> None:
    """Serve FTR under gunicorn, as in production.

    Needs FTR_SECRET_KEY (at least 32 random characters, the same for every restart).
    Behind a reverse proxy that terminates HTTPS, set FTR_PUBLIC_URL=https://... (Secure
    cookies) and FTR_PROXY_HOPS=1 (trust that proxy's X-Forwarded-* headers only); with
    --certfile/--keyfile gunicorn serves HTTPS itself. Sign-in limits and lockouts are
    counted in the database, so they hold across the workers.
    """
    import os

    try:
        serving.check_secret_key(os.environ)
    except serving.ServeRefused as exc:
        raise click.ClickException(str(exc)) from exc
    if bool(certfile) != bool(keyfile):
        raise click.UsageError("give both --certfile and --keyfile, or neither")
    app = click.get_current_context().ensure_object(ScriptInfo).load_app()
    problem = migration_problem(app.config["DATABASE_URL"])
    if problem:
        raise click.ClickException(problem)
    if certfile:
        app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"
    model_id = serving.preload_engine(app)
    scheme = "https" if certfile else "http"
    click.echo(
        f"FTR on {scheme}://{host}:{port}: {workers} worker(s) x {threads} thread(s), "
        + (f"engine model {model_id} loaded once for all" if model_id else "no engine fitted yet")
        + (", Secure cookies" if app.config["SESSION_COOKIE_SECURE"] else "")
        + (
            f", trusting {app.config['PROXY_HOPS']} proxy hop(s)"
            if app.config["PROXY_HOPS"]
            else ""
        ),
        err=True,
    )
    settings = serving.settings(
        host=host,
        port=port,
        workers=workers,
        threads=threads,
        timeout=timeout,
        certfile=certfile,
        keyfile=keyfile,
    )
    serving.Server(app, settings).run()


if __name__ == "__main__":
    main()
