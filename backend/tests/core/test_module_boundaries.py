"""The module conventions, checked on the source: only `app.main` assembles routers, so no
module's HTTP layer depends on another's, and the business-access rule has one home."""

import ast
from pathlib import Path

import app

APP = Path(app.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_module_but_main_imports_a_router() -> None:
    offenders = {
        str(path.relative_to(APP)): sorted(
            name for name in _imports(path) if name.split(".")[-1] == "router"
        )
        for path in APP.rglob("*.py")
        if path != APP / "main.py"
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_business_access_is_resolved_only_by_the_users_service() -> None:
    """Routes (through `app.users.dependencies`) and agent tools both call
    `users.service.resolve_access`; nobody else re-implements "the only business, or a
    membership check" with the lower-level lookups."""
    callers = {
        str(path.relative_to(APP))
        for path in APP.rglob("*.py")
        if "get_only_access(" in path.read_text() and path != APP / "users" / "service.py"
    }
    assert callers == set()
