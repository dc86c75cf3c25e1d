"""deploy/Dockerfile and .dockerignore, read against what the image needs (no Docker engine
here: this is what a build would use)."""

import re

from pathspec import PathSpec

from tests.deploy.conftest import DEPLOY, REPO, run_tool

DOCKERFILE = DEPLOY / "Dockerfile"


def stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuations joined, comments dropped), by stage."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            result.append([])
        result[-1].append(line)
    return result


def ignored() -> PathSpec:
    return PathSpec.from_lines("gitignore", (REPO / ".dockerignore").read_text().splitlines())


def test_hadolint_has_nothing_to_say() -> None:
    result = run_tool("hadolint", "--no-color", str(DOCKERFILE))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_three_stages_from_digest_pinned_bases() -> None:
    froms = [stage[0] for stage in stages()]
    assert len(froms) == 3
    for line in froms:
        assert re.match(r"FROM \S+:\S+@sha256:[0-9a-f]{64}( AS \S+)?$", line), line
    assert froms[0].split()[1].startswith("node:")
    assert "python:" in froms[1]
    assert "python:" in froms[2]


def test_final_stage_runs_as_a_numeric_user_with_a_healthcheck() -> None:
    final = stages()[-1]
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users
    assert re.fullmatch(r"\d+:\d+", users[-1])
    assert int(users[-1].split(":")[0]) >= 10000
    assert any(line.startswith("HEALTHCHECK ") and "/health" in line for line in final)
    assert any(line.startswith("CMD ") and '"vaultra", "serve"' in line for line in final)


def test_final_stage_has_no_compiler_or_database_client_but_has_weasyprints_libraries() -> None:
    final = " ".join(stages()[-1])
    for unwanted in ("gcc", "build-essential", "postgresql-client", "libpq-dev", "nodejs", "npm"):
        assert unwanted not in final
    for needed in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "fonts-dejavu"):
        assert needed in final


def test_dependencies_come_from_the_lock() -> None:
    build = " ".join(stages()[1])
    assert "pip install --no-cache-dir --only-binary=:all: -r requirements.txt" in build
    assert "COPY backend/requirements.txt" in build


def test_only_the_data_folder_is_writable_and_only_development_uses_it() -> None:
    final = stages()[-1]
    owned = [line for line in final if "chown" in line]
    assert owned == ["RUN mkdir -p /app/data && chown 10001:10001 /app/data"]
    copies = [line for line in final if line.startswith("COPY ")]
    assert copies
    assert all("--chown" not in line for line in copies)  # code stays root's, read-only


def test_what_the_build_copies_is_in_the_context() -> None:
    spec = ignored()
    sources = []
    for stage in stages():
        for line in stage:
            if line.startswith("COPY ") and "--from=" not in line:
                sources.extend(line.split()[1:-1])
    assert sources
    for source in sources:
        path = REPO / source.rstrip("/")
        assert path.exists(), source
        if path.is_file():
            assert not spec.match_file(source), f"{source} is excluded by .dockerignore"
    for needed in (
        "backend/app/main.py",
        "backend/alembic/env.py",
        "backend/alembic.ini",
        "backend/docs/knowledge/readiness-score-explained.md",
        "backend/stripe_sandbox/__init__.py",
        "backend/pyproject.toml",
        "frontend/src/lib/api-types.ts",
        "frontend/astro.config.mjs",
    ):
        assert (REPO / needed).exists(), needed
        assert not spec.match_file(needed), needed


def test_dockerignore_keeps_secrets_and_bulk_out() -> None:
    spec = ignored()
    for path in (
        "backend/.venv/bin/python",
        "backend/data/.jwt_secret",
        "backend/data/vaultra.db",
        "backend/.env",
        ".env",
        "frontend/node_modules/astro/package.json",
        "frontend/dist/index.html",
        ".git/HEAD",
        "backend/app/__pycache__/main.cpython-311.pyc",
        "backend/tests/conftest.py",
        "bench/api_latency.py",
        "docs/dashboard.png",
    ):
        assert spec.match_file(path), path
    assert not spec.match_file("backend/.env.example")
