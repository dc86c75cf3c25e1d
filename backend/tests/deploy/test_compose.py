"""deploy/docker-compose.yml (and the root compose.yaml that includes it): valid against the
compose-spec schema that check-jsonschema vendors, and wired as deploy/README.md says."""

import re
from typing import Any

import pytest
import yaml

from tests.deploy.conftest import DEPLOY, REPO, run_tool

COMPOSE = DEPLOY / "docker-compose.yml"
LONG_RUNNING = {"postgres", "redis", "sandbox", "api", "worker"}


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
    return loaded


def test_compose_files_match_the_compose_spec() -> None:
    result = run_tool(
        "check-jsonschema",
        "--builtin-schema",
        "vendor.compose-spec",
        str(COMPOSE),
        str(REPO / "compose.yaml"),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_service_has_a_health_check_and_waits_for_what_it_needs(
    services: dict[str, Any],
) -> None:
    assert set(services) == LONG_RUNNING | {"migrate"}
    for name, service in services.items():
        assert service["healthcheck"]["test"], name
    for name in ("migrate", "sandbox", "api", "worker"):
        conditions = services[name].get("depends_on", {})
        if name == "sandbox":
            continue  # depends on nothing: its own SQLite file
        assert conditions, name
        for condition in conditions.values():
            assert condition["condition"] in ("service_healthy", "service_completed_successfully")
    for name in ("api", "worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}
        assert depends["sandbox"] == {"condition": "service_healthy"}
    assert services["worker"]["healthcheck"]["test"] == ["CMD", "vaultra", "worker", "--check"]


def test_api_and_worker_reach_the_sandbox_by_service_name(services: dict[str, Any]) -> None:
    command = services["sandbox"]["command"]
    assert command[:3] == ["vaultra", "sandbox", "serve"]
    port = next(int(arg.split("=")[1]) for arg in command if arg.startswith("--port="))
    assert "--host=0.0.0.0" in command
    for name in ("api", "worker"):
        env = services[name]["environment"]
        assert env["STRIPE_API_BASE"] == f"http://sandbox:{port}"
        assert env["STRIPE_CONNECT_BASE"] == f"http://sandbox:{port}"
        # The browser cannot resolve `sandbox`: it opens the Connect page on the published port.
        assert env["STRIPE_CONNECT_AUTHORIZE_BASE"] == f"http://localhost:{port}"
        assert env["REDIS_URL"].startswith("redis://redis:")
        assert "@postgres:5432/" in env["DATABASE_URL"]
    assert f"127.0.0.1:{port}:{port}" in services["sandbox"]["ports"]
    assert "kb ingest" in " ".join(services["migrate"]["command"])


def test_images_are_versioned(services: dict[str, Any]) -> None:
    for name, service in services.items():
        image = service.get("image", "")
        assert re.search(r":[\w.-]+$", image), name
        assert not image.endswith(":latest"), name
