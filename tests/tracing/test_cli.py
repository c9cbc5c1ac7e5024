"""`ftr` commands through Click's runner against a database of the test's own."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select, update

from models import ChildRegistration, Inquiry, LinkageModel, SoughtChild, User
from tracing.cli import cli
from tracing.db import get_session

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(model)) or 0


def data_rows(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def test_sample_import_twice_leaves_the_same_counts(app: Flask, runner: FlaskCliRunner) -> None:
    children = SAMPLES / "children.csv"
    first = runner.invoke(cli, ["import", "children", str(children)])
    assert first.exit_code == 0, first.output
    stored = count(app, ChildRegistration)
    assert stored == data_rows(children) >= 1000
    second = runner.invoke(cli, ["import", "children", str(children)])
    assert second.exit_code == 0, second.output
    assert f"{stored} unchanged" in second.output
    assert count(app, ChildRegistration) == stored

    requests = SAMPLES / "requests.csv"
    result = runner.invoke(cli, ["import", "requests", str(requests)])
    assert result.exit_code == 0, result.output
    assert count(app, SoughtChild) == data_rows(requests) >= 300
    assert count(app, Inquiry) < count(app, SoughtChild)  # siblings share inquiries


def test_bad_rows_are_reported_and_written_to_the_report(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    source = tmp_path / "children.csv"
    source.write_text(
        "ref,given_name,age\nC1,Amina,7\nC2,,7\nC3,Idris,99\nC4,Dara,4\n", encoding="utf-8"
    )
    report = tmp_path / "report.csv"
    result = runner.invoke(cli, ["import", "children", str(source), "--report", str(report)])
    assert result.exit_code == 1
    assert "line 3, column given_name [C2]: no name" in result.output
    assert "line 4, column age [C3]: age 99 is outside 0–25" in result.output
    assert "4 rows read, 2 stored" in result.output
    assert "2 rows rejected" in result.output
    with report.open(encoding="utf-8") as handle:
        assert [(r["line"], r["column"]) for r in csv.DictReader(handle)] == [
            ("3", "given_name"),
            ("4", "age"),
        ]
    assert count(app, ChildRegistration) == 2


def test_an_unreadable_file_is_one_clear_message(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["import", "children", str(tmp_path / "missing.csv")])
    assert result.exit_code == 1
    assert "no such file" in result.output


def test_users_create_with_generated_password(app: Flask, runner: FlaskCliRunner) -> None:
    args = ["users", "create", "Admin@Example.org", "--role", "admin", "--agency", "UNICEF"]
    result = runner.invoke(cli, [*args, "--generate-password"])
    assert result.exit_code == 0, result.output
    password = result.output.split("password (shown once): ")[1].strip()
    with app.app_context():
        user = get_session().scalars(select(User)).one()
        assert user.email == "admin@example.org"
        assert user.agency.name == "UNICEF"
        assert user.check_password(password)
        assert password not in user.password_hash
    again = runner.invoke(cli, [*args, "--generate-password"])
    assert again.exit_code == 1 and "exists already" in again.output
    reset = runner.invoke(cli, [*args, "--generate-password", "--reset-if-exists"])
    assert reset.exit_code == 0


def test_users_create_prompts_for_the_password(app: Flask, runner: FlaskCliRunner) -> None:
    args = ["users", "create", "cw@example.org", "--role", "caseworker", "--agency", "IRC"]
    result = runner.invoke(cli, args, input="correct horse battery\ncorrect horse battery\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert get_session().scalars(select(User)).one().check_password("correct horse battery")


def test_unreachable_database_is_one_clear_message(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/ftr",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-m", "tracing.cli", "db", "upgrade"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "Cannot reach PostgreSQL at 127.0.0.1:1/ftr" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_users_one_per_role(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(cli, ["users", "demo"])
    assert result.exit_code == 0, result.output
    password = result.output.split("shown once: ")[1].split(")")[0]
    with app.app_context():
        users = get_session().scalars(select(User)).all()
        assert sorted(u.role for u in users) == sorted(
            ["registrar", "helpdesk", "caseworker", "supervisor", "admin", "platform_admin"]
        )
        assert all(u.check_password(password) for u in users)


def _child_c1() -> ChildRegistration:
    return (
        get_session().scalars(select(ChildRegistration).where(ChildRegistration.ref == "C-1")).one()
    )


def test_rekey_writes_stale_index_keys_again_and_nothing_else(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    children = tmp_path / "children.csv"
    children.write_text(
        "ref,given_name,family_name,sex,age\n"
        "C-1,Abder Rahmane,Adoum,male,7\n"
        "C-2,Amina,Ishak,female,5\n",
        encoding="utf-8",
    )
    assert runner.invoke(cli, ["import", "children", str(children)]).exit_code == 0
    with app.app_context():
        child = _child_c1()
        current = (list(child.name_keys), list(child.block_keys), child.search_text)
        assert "s:abdrhmn" in child.name_keys and "g:adam" in child.name_keys
        # keys as an older normalisation wrote them: two names, no variant group for Adoum
        child.name_keys, child.block_keys, child.search_text = ["p:APTR", "s:abdr"], [], "abder"
        get_session().commit()
        child = _child_c1()
        before = (child.revision, child.updated_at)

    result = runner.invoke(cli, ["rekey"])
    assert result.exit_code == 0, result.output
    assert "checked 2 records; keys written again: 1" in result.output
    with app.app_context():
        child = _child_c1()
        assert (list(child.name_keys), list(child.block_keys), child.search_text) == current
        assert (child.revision, child.updated_at) == before  # the record itself is unchanged
    again = runner.invoke(cli, ["rekey"])
    assert "keys written again: 0" in again.output

    # an engine upgrade: `ftr match` finds no engine of its version and rekeys by itself
    requests = tmp_path / "requests.csv"
    requests.write_text("ref,given_name,sex,age\nR-1,Abdel Rahman,male,7\n", encoding="utf-8")
    assert runner.invoke(cli, ["import", "requests", str(requests)]).exit_code == 0
    with app.app_context():
        _child_c1().name_keys = ["p:APTR", "s:abdr"]
        get_session().execute(update(LinkageModel).values(engine_version="ftr-fs-0.1"))
        get_session().commit()
    matched = runner.invoke(cli, ["match"])
    assert matched.exit_code == 0, matched.output
    assert "index keys written again: 1 records" in matched.output
    with app.app_context():
        assert list(_child_c1().name_keys) == current[0]
    refit = runner.invoke(cli, ["match", "--refit"])  # an engine of this version now exists
    assert "index keys written again" not in refit.output
