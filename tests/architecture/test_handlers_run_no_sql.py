"""HTTP handlers and page modules run no SQL themselves: they receive a session and pass it on
to an engine's services, which own the queries. A handler that calls ``execute``, ``scalars``,
``scalar``, ``get``, ``add``, ``delete`` or ``query`` on its session, or builds a statement with
SQLAlchemy (``select``, ``insert``, ``update``, ``delete``, ``text``), fails here with its line.

The handlers that did so before the rule was enforced are listed in ``KNOWN``; the list only
shrinks (a listed handler that no longer runs SQL is reported, so it comes off the list)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "yiwang"
SESSION_METHODS = {"execute", "scalars", "scalar", "get", "add", "add_all", "delete", "query"}
STATEMENTS = {"select", "insert", "update", "delete", "text"}

# (module, function) pairs that ran SQL when this test was written, to be moved into services.
KNOWN: set[tuple[str, str]] = set()


def _handler_modules() -> list[Path]:
    """Modules that define routes: their handlers and the helpers beside them."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if "APIRouter(" in text:
            found.append(path)
    return found


def _sqlalchemy_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Statement builders imported by name, and the aliases of the sqlalchemy module."""
    names: set[str] = set()
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            names |= {a.asname or a.name for a in node.names if a.name in STATEMENTS}
        elif isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name == "sqlalchemy"}
    return names, modules


def _violations(path: Path) -> list[tuple[str, str, int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    builders, aliases = _sqlalchemy_names(tree)
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        arguments = function.args.args + function.args.kwonlyargs
        sessions = {
            a.arg
            for a in arguments
            if a.annotation is not None and "Session" in ast.unparse(a.annotation)
        }
        for node in ast.walk(function):
            if not isinstance(node, ast.Call):
                continue
            target = node.func
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id in sessions
                and target.attr in SESSION_METHODS
            ):
                found.append((module, function.name, node.lineno, f"session.{target.attr}()"))
            elif isinstance(target, ast.Name) and target.id in builders:
                found.append((module, function.name, node.lineno, f"{target.id}()"))
            elif (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id in aliases
                and target.attr in STATEMENTS
            ):
                found.append((module, function.name, node.lineno, f"sqlalchemy.{target.attr}()"))
    return found


def test_the_rule_finds_what_it_looks_for(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from sqlalchemy import select\n"
        "def page(session: SessionDep):\n"
        "    return session.scalars(select(Thing)).all()\n",
        encoding="utf-8",
    )
    global PACKAGE  # noqa: PLW0603  (the sample stands where a module of the package would)
    saved, PACKAGE = PACKAGE, tmp_path
    try:
        found = {what for *_, what in _violations(sample)}
    finally:
        PACKAGE = saved
    assert found == {"session.scalars()", "select()"}


def test_handlers_pass_their_session_to_services() -> None:
    modules = _handler_modules()
    assert len(modules) > 10  # the rule looks where the routes are
    found = [v for path in modules for v in _violations(path)]
    new = [v for v in found if (v[0], v[1]) not in KNOWN]
    assert not new, "handlers that run SQL themselves (move it into a service):\n" + "\n".join(
        f"  {m}.{f} line {line}: {what}" for m, f, line, what in new
    )
    fixed = KNOWN - {(m, f) for m, f, *_ in found}
    assert not fixed, f"no longer run SQL, take them off KNOWN: {sorted(fixed)}"
