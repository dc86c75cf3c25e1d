"""MCP through the SDK's own client: in-process (as `vaultra mcp` serves) and over HTTP."""

import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from fastapi import FastAPI
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from app.agent.mcp_server import build_mcp_server
from app.agent.runtime import AgentRuntime
from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from tests.agent.conftest import BusinessData
from tests.conftest import TEST_PASSWORD, _clean
from tests.servers import serve_in_thread

TOOL_NAMES = {
    "get_readiness_breakdown",
    "get_top_recommendations",
    "get_metric_summary",
    "get_business_context",
    "search_knowledge",
}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


async def create_token(
    client: Any, headers: dict[str, str], name: str = "Claude"
) -> dict[str, Any]:
    response = await client.post("/api/v1/auth/tokens", json={"name": name}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_in_process_tools_are_listed_and_scoped(
    app: FastAPI,
    client: httpx.AsyncClient,
    business_data: BusinessData,
    knowledge: AgentRuntime,
    make_account: Any,
) -> None:
    pat = await create_token(client, business_data.account.headers)
    other = await make_account()
    other_business = await other.create_business("Other Co")
    server = build_mcp_server(lambda: app.state.agent, app.state.settings, stdio_token=pat["token"])

    async with Client(server) as mcp:
        listed = await mcp.list_tools()
        tools = {tool.name: tool for tool in listed.tools}
        assert set(tools) == TOOL_NAMES
        for tool in tools.values():
            assert tool.description
            assert tool.input_schema["type"] == "object"
            assert tool.output_schema is not None
            assert tool.output_schema["type"] == "object"
            assert tool.annotations is not None
            assert tool.annotations.read_only_hint is True
            assert tool.annotations.destructive_hint is False
        assert "business_id" in tools["get_metric_summary"].input_schema["properties"]
        assert tools["search_knowledge"].input_schema["required"] == ["query"]
        assert "score" in tools["get_readiness_breakdown"].output_schema["properties"]

        # The caller's only business is used when business_id is left out.
        result = await mcp.call_tool("get_readiness_breakdown", {})
        assert not result.is_error
        assert result.structured_content is not None
        assert result.structured_content["score"] == business_data.readiness.score
        assert result.structured_content["business_id"] == business_data.business_id

        found = await mcp.call_tool("search_knowledge", {"query": "reduce chargebacks", "k": 2})
        assert found.structured_content is not None
        assert len(found.structured_content["results"]) == 2

        refused = await mcp.call_tool("get_metric_summary", {"business_id": other_business["id"]})
        assert refused.is_error
        assert "Access denied" in refused.content[0].text  # type: ignore[union-attr]

        # Revoking the token ends access on the next call.
        revoked = await client.delete(
            f"/api/v1/auth/tokens/{pat['id']}", headers=business_data.account.headers
        )
        assert revoked.status_code == 204
        after = await mcp.call_tool("get_business_context", {})
        assert after.is_error
        assert "revoked" in after.content[0].text  # type: ignore[union-attr]


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[str]:
    """The whole app on a real port (its lifespan runs the MCP session manager)."""
    application = create_app(settings)
    with serve_in_thread(application) as url:
        yield url
    database = Database(settings.database_url)
    try:
        await _clean(database)
    finally:
        await database.dispose()


async def signup(http: httpx.AsyncClient) -> tuple[dict[str, str], str]:
    response = await http.post(
        "/api/v1/auth/signup",
        json={
            "email": f"mcp-{uuid.uuid4().hex[:8]}@example.com",
            "password": TEST_PASSWORD,
            "name": "Ada",
        },
    )
    assert response.status_code == 201, response.text
    headers = {"Authorization": f"Bearer {response.json()['token']}"}
    business = await http.post("/api/v1/users/businesses", json={"name": "Acme"}, headers=headers)
    return headers, business.json()["id"]


def mcp_client(url: str, token: str) -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    return Client(streamable_http_client(f"{url}/mcp", http_client=http))


async def test_http_authentication(served: str) -> None:
    async with httpx.AsyncClient(base_url=served) as http:
        headers, business_id = await signup(http)
        pat = await create_token(http, headers)

        missing = await http.post("/mcp", json=INITIALIZE, headers=MCP_HEADERS)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"].startswith("Bearer")
        for bad in ("not-a-token", "vtr_pat_forged", headers["Authorization"][7:] + "x"):
            invalid = await http.post(
                "/mcp", json=INITIALIZE, headers={**MCP_HEADERS, "Authorization": f"Bearer {bad}"}
            )
            assert invalid.status_code == 401, bad

        # A personal access token and the login JWT both work, through the SDK's client.
        for token in (pat["token"], headers["Authorization"][7:]):
            async with mcp_client(served, token) as mcp:
                tools = await mcp.list_tools()
                assert {tool.name for tool in tools.tools} == TOOL_NAMES
                result = await mcp.call_tool("get_business_context", {"business_id": business_id})
                assert not result.is_error
                assert result.structured_content is not None
                assert result.structured_content["name"] == "Acme"

        revoke = await http.delete(f"/api/v1/auth/tokens/{pat['id']}", headers=headers)
        assert revoke.status_code == 204
        revoked = await http.post(
            "/mcp",
            json=INITIALIZE,
            headers={**MCP_HEADERS, "Authorization": f"Bearer {pat['token']}"},
        )
        assert revoked.status_code == 401


async def test_http_tools_refuse_another_business(served: str) -> None:
    async with httpx.AsyncClient(base_url=served) as http:
        headers, _ = await signup(http)
        _, stranger_business = await signup(http)
        pat = await create_token(http, headers)
    async with mcp_client(served, pat["token"]) as mcp:
        for name in ("get_readiness_breakdown", "get_metric_summary", "get_business_context"):
            result = await mcp.call_tool(name, {"business_id": stranger_business})
            assert result.is_error, name
            assert "Access denied" in result.content[0].text  # type: ignore[union-attr]
        result = await mcp.call_tool("get_top_recommendations", {"business_id": stranger_business})
        assert result.is_error


async def test_http_rejects_foreign_hosts_and_origins(served: str) -> None:
    async with httpx.AsyncClient(base_url=served) as http:
        headers, _ = await signup(http)
        auth = {**MCP_HEADERS, **headers}
        rebinding = await http.post("/mcp", json=INITIALIZE, headers={**auth, "Host": "evil.test"})
        assert rebinding.status_code == 421
        origin = await http.post(
            "/mcp", json=INITIALIZE, headers={**auth, "Origin": "https://evil.test"}
        )
        assert origin.status_code == 403
        allowed = await http.post(
            "/mcp", json=INITIALIZE, headers={**auth, "Origin": "http://frontend.test"}
        )
        assert allowed.status_code == 200


async def test_stdio_server_as_a_subprocess(
    client: httpx.AsyncClient,
    business_data: BusinessData,
    knowledge: AgentRuntime,
    settings: Settings,
) -> None:
    """`vaultra mcp` exactly as Claude Desktop runs it: VAULTRA_TOKEN in the environment."""
    pat = await create_token(client, business_data.account.headers)
    command = Path(sys.executable).parent / "vaultra"
    env = {
        **os.environ,
        "VAULTRA_TOKEN": pat["token"],
        "DATABASE_URL": settings.database_url,
        "APP_ENV": "test",
    }
    params = StdioServerParameters(command=str(command), args=["mcp"], env=env)
    async with Client(params) as mcp:
        assert {tool.name for tool in (await mcp.list_tools()).tools} == TOOL_NAMES
        result = await mcp.call_tool("get_readiness_breakdown", {})
        assert not result.is_error
        assert result.structured_content is not None
        assert result.structured_content["score"] == business_data.readiness.score
