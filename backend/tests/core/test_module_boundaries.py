"""The module conventions, checked on the source: only `app.main` assembles routers, so no
module's HTTP layer depends on another's; the business-access rule has one home; metrics reads
Stripe data through the ledger."""

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
            name for name in _imports(path) if name.split(".")[-1].endswith("router")
        )
        for path in APP.rglob("*.py")
        if path != APP / "main.py"
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_business_access_is_resolved_only_by_the_users_service() -> None:
    """Routes (through `app.auth.access`) and agent tools both call
    `users.service.resolve_access`; nobody else re-implements "the only business, or a
    membership check" with the lower-level lookups."""
    callers = {
        str(path.relative_to(APP))
        for path in APP.rglob("*.py")
        if "get_only_access(" in path.read_text() and path != APP / "users" / "service.py"
    }
    assert callers == set()


def _package_imports() -> dict[str, set[str]]:
    """Which `app` packages each package imports (module level or not)."""
    graph: dict[str, set[str]] = {}
    for path in APP.rglob("*.py"):
        parts = path.relative_to(APP).parts
        if len(parts) < 2:  # app/main.py, app/cli.py, app/models.py assemble everything
            continue
        targets = {name.split(".")[1] for name in _imports(path) if name.startswith("app.")}
        graph.setdefault(parts[0], set()).update(targets - {parts[0]})
    return graph


def test_users_never_imports_auth() -> None:
    """`app.auth` (the caller, tokens, the routes that act on the caller) builds on
    `app.users` (the accounts); the reverse import would close a circle."""
    assert "users" in _package_imports()["auth"]
    assert "auth" not in _package_imports()["users"]


def test_no_two_packages_import_each_other() -> None:
    """Except `app.jobs`: it is both the queue every module enqueues on and the pipeline and
    schedule that run every module's jobs (app/jobs/pipeline.py, by design)."""
    graph = _package_imports()
    mutual = {
        tuple(sorted((a, b)))
        for a, targets in graph.items()
        for b in targets
        if a in graph.get(b, set()) and "jobs" not in (a, b)
    }
    assert mutual == set()


def test_metrics_reads_stripe_data_only_through_the_ledger() -> None:
    """`app.stripe.ledger` is the one read model of the Stripe tables for metrics: the
    currency rule, the indexes and the queries live there, so no metrics file imports the
    Stripe models."""
    offenders = {
        str(path.relative_to(APP)): sorted(
            name for name in _imports(path) if name.startswith("app.stripe.models")
        )
        for path in (APP / "metrics").rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


# The readiness package's layers, lowest first (app/metrics/readiness/__init__.py).
READINESS_LAYERS = (
    "model",
    "inputs",
    "results",
    "derived",
    "explanations",
    "funding",
    "scoring",
    "simulation",
)


def test_readiness_modules_import_only_lower_layers_and_at_the_top() -> None:
    """No import circle in the readiness package, not even one dodged inside a function (how
    `compute_readiness` used to reach funding, which imported scoring back)."""
    package = APP / "metrics" / "readiness"
    assert {p.stem for p in package.glob("*.py")} == {"__init__", *READINESS_LAYERS}
    problems = []
    for index, name in enumerate(READINESS_LAYERS):
        path = package / f"{name}.py"
        tree = ast.parse(path.read_text(), str(path))
        problems += [
            f"{name}.py:{node.lineno} imports inside a function"
            for function in ast.walk(tree)
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
            for node in ast.walk(function)
            if isinstance(node, ast.Import | ast.ImportFrom)
        ]
        prefix = "app.metrics.readiness."
        used = {
            n.removeprefix(prefix).split(".")[0] for n in _imports(path) if n.startswith(prefix)
        }
        problems += [f"{name}.py imports {other}" for other in used - {*READINESS_LAYERS[:index]}]
    assert problems == []
