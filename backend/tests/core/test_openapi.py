"""The OpenAPI document the web app's typed client is generated from."""

import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app.core.config import BACKEND_DIR

FRONTEND = BACKEND_DIR.parent / "frontend"
GENERATOR = FRONTEND / "node_modules" / "openapi-typescript" / "bin" / "cli.js"


async def test_every_operation_has_a_short_unique_id(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/api/v1/openapi.json")).json()
    ids = [op["operationId"] for path in schema["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids)), sorted(ids)
    assert {"read_me", "read_readiness", "connect_stripe", "auth_providers"} <= set(ids)
    for operation_id in ids:
        assert "api_v1" not in operation_id, operation_id
        assert len(operation_id) <= 32, operation_id


async def test_metric_values_are_typed(client: httpx.AsyncClient) -> None:
    """A metric's value is a number, a date, counts by reason or null, never "anything"."""
    schema = (await client.get("/api/v1/openapi.json")).json()
    value = schema["components"]["schemas"]["MetricValue"]["properties"]["value"]
    assert [option.get("type") for option in value["anyOf"]] == [
        "integer",
        "number",
        "string",
        "object",
        "null",
    ]


def test_committed_api_types_match_the_backend(tmp_path: Path) -> None:
    """frontend/src/lib/api-types.ts is what `npm run gen:api` makes from today's backend."""
    node = shutil.which("node")
    if node is None or not GENERATOR.exists():
        pytest.skip("node and frontend/node_modules are needed (make test installs them)")
    document = tmp_path / "openapi.json"
    generated = tmp_path / "api-types.ts"
    vaultra = [sys.executable, "-c", "from app.cli import main; main()"]
    subprocess.run([*vaultra, "openapi", "-o", str(document)], check=True, cwd=BACKEND_DIR)
    subprocess.run(
        [node, str(GENERATOR), str(document), "-o", str(generated)],
        check=True,
        capture_output=True,
        cwd=FRONTEND,
    )
    committed = (FRONTEND / "src" / "lib" / "api-types.ts").read_text()
    assert generated.read_text() == committed, (
        "frontend/src/lib/api-types.ts is stale: run `cd frontend && npm run gen:api`"
    )
