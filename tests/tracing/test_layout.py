"""The layout's rules, read from the code itself: views hold no business logic.

A view module (each feature's `views.py`, the administrators' views, the JSON API and the
case pages' shared transfer view) calls no method of a database session and builds no
query: it hands `get_session()` to a service, which owns the transaction.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TRACING = ROOT / "tracing"
VIEW_MODULES = sorted(
    [*TRACING.glob("*/views.py"), TRACING / "accounts" / "admin_views.py", TRACING / "api.py"]
)
SESSION_METHODS = frozenset(
    {
        "add",
        "add_all",
        "begin",
        "begin_nested",
        "commit",
        "connection",
        "delete",
        "execute",
        "expire",
        "expunge",
        "flush",
        "get",
        "get_bind",
        "merge",
        "query",
        "refresh",
        "rollback",
        "scalar",
        "scalars",
    }
)
QUERY_BUILDERS = frozenset({"select", "insert", "update", "delete", "text", "exists"})


def _is_get_session(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "get_session"
    )


def _session_names(tree: ast.AST) -> set[str]:
    """Names bound to `get_session()` anywhere in the module (also in tuple unpacking)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            pairs: list[tuple[ast.AST, ast.AST]] = [(target, node.value)]
            if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                pairs = list(zip(target.elts, node.value.elts, strict=False))
            for name, value in pairs:
                if isinstance(name, ast.Name) and _is_get_session(value):
                    names.add(name.id)
    return names


def violations(source: str) -> list[str]:
    """What a view module does that belongs in a service, one line each."""
    tree = ast.parse(source)
    sessions = _session_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            found.append(f"line {node.lineno}: imports {node.module}")
        elif isinstance(node, ast.Import) and any(
            alias.name.startswith("sqlalchemy") for alias in node.names
        ):
            found.append(f"line {node.lineno}: imports sqlalchemy")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in QUERY_BUILDERS:
                found.append(f"line {node.lineno}: builds a query with {func.id}()")
            elif isinstance(func, ast.Attribute) and func.attr in SESSION_METHODS:
                receiver = func.value
                if _is_get_session(receiver) or (
                    isinstance(receiver, ast.Name) and receiver.id in sessions
                ):
                    found.append(f"line {node.lineno}: calls the session's {func.attr}()")
    return sorted(found, key=lambda line: int(line.split()[1].rstrip(":")))


def test_the_view_modules_are_found() -> None:
    names = {str(path.relative_to(TRACING)) for path in VIEW_MODULES}
    assert {"registrations/views.py", "review/views.py", "api.py"} <= names
    assert len(names) >= 10


@pytest.mark.parametrize("path", VIEW_MODULES, ids=lambda p: str(p.relative_to(TRACING)))
def test_views_call_no_session_method_and_build_no_query(path: Path) -> None:
    assert violations(path.read_text(encoding="utf-8")) == []


def test_the_check_catches_what_it_forbids() -> None:
    offending = """
from sqlalchemy import select
def view():
    session, other = get_session(), 1
    session.commit()
    get_session().get(User, 1)
    rows = select(User)
    db = get_session()
    db.scalars(rows)
    flask_session.get("x")  # not a database session
"""
    assert violations(offending) == [
        "line 2: imports sqlalchemy",
        "line 5: calls the session's commit()",
        "line 6: calls the session's get()",
        "line 7: builds a query with select()",
        "line 9: calls the session's scalars()",
    ]
