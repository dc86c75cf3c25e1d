"""Error shape, operations endpoints, headers and the OpenAPI document."""

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import REDIS_URL

BACKEND_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    @app.get("/api/v1/boom")
    async def boom() -> None:
        raise RuntimeError("secret internal detail")

    return app


async def test_unhandled_error_hides_details_and_gives_request_id(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = await client.get("/api/v1/boom")
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "internal_error"
    assert "secret internal detail" not in response.text
    assert body["request_id"] == response.headers["x-request-id"]
    assert any("secret internal detail" in (r.exc_text or "") for r in caplog.records)


async def test_unknown_route_and_method_are_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found", "code": "not_found"}
    response = await client.delete("/api/v1/auth/me")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    generated = await client.get("/health", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["x-request-id"] not in ("", "bad id with spaces")


async def test_security_headers_and_cors(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in response.headers["content-security-policy"]

    preflight = {"Access-Control-Request-Method": "GET", "Origin": "http://frontend.test"}
    allowed = await client.options("/api/v1/users/me", headers=preflight)
    assert allowed.headers["access-control-allow-origin"] == "http://frontend.test"
    refused = await client.options(
        "/api/v1/users/me", headers={**preflight, "Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in refused.headers


async def test_health(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok"}


@pytest.fixture
def redis_app_settings(settings: Any) -> Any:
    return settings


async def test_readiness_checks_redis_when_configured(app: FastAPI) -> None:
    from app.core.redis import create_redis

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        app.state.redis = create_redis(REDIS_URL)
        try:
            ready = await client.get("/health/ready")
            assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}
        finally:
            await app.state.redis.aclose()
        app.state.redis = create_redis("redis://127.0.0.1:1/0")
        try:
            down = await client.get("/health/ready")
            # Reported, but the API works without Redis: still ready.
            assert down.status_code == 200
            assert down.json()["status"] == "degraded"
            assert down.json()["checks"]["redis"].startswith("error")
        finally:
            await app.state.redis.aclose()
            app.state.redis = None


async def test_openapi_documents_errors_as_400_not_422(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/api/v1/openapi.json")).json()
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert operations
    for operation in operations:
        assert "422" not in operation["responses"]
    signup = schema["paths"]["/api/v1/auth/signup"]["post"]["responses"]
    assert {"400", "409"} <= set(signup)
    assert "ErrorResponse" in schema["components"]["schemas"]
    scoped = schema["paths"]["/api/v1/users/businesses/{business_id}"]["patch"]["responses"]
    assert {"400", "401", "403"} <= set(scoped)
    assert (await client.get("/api/v1/docs")).status_code == 200


async def test_openapi_documents_the_errors_of_each_dependency(client: httpx.AsyncClient) -> None:
    """Sign-in, business scoping and the request checks document their errors on every route
    that uses them, so none is forgotten (GET /metrics/history lacked the 404 of a founder with
    no business; nothing documented 413 or the health check's 503)."""
    schema = (await client.get("/api/v1/openapi.json")).json()
    error = {"$ref": "#/components/schemas/ErrorResponse"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            where = f"{method.upper()} {path}"
            names = {(p["in"], p["name"]) for p in operation.get("parameters", [])}
            expected = set()
            if operation.get("security"):
                expected.add("401")
            if names or "requestBody" in operation:
                expected.add("400")
            if "requestBody" in operation:
                expected.add("413")
            if ("query", "business_id") in names:
                expected |= {"403", "404"}
            if ("path", "business_id") in names:
                expected.add("403")
            assert expected <= set(responses), where
            for code in expected:
                assert responses[code]["content"]["application/json"]["schema"] == error, where
    users_me = schema["paths"]["/api/v1/users/me"]["get"]["responses"]
    assert set(users_me) == {"200", "401"}
    ready = schema["paths"]["/health/ready"]["get"]["responses"]
    assert ready["503"]["content"]["application/json"]["schema"]["$ref"].endswith("/HealthStatus")


def test_importing_the_app_module_builds_nothing(tmp_path: Path) -> None:
    """Servers call the factory (`app.main:serve_app`); an import alone (a test collecting, a
    tool reading the module) writes no sandbox file or database and builds no app."""
    data = tmp_path / "data"
    code = "import app.main as m; assert not hasattr(m, 'app'); print(callable(m.serve_app))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(BACKEND_DIR), "DATA_DIR": str(data)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
    assert not data.exists()
