"""The agent's tools over MCP (official SDK, `MCPServer`): streamable HTTP at /mcp, or stdio.

Over HTTP every request carries `Authorization: Bearer <JWT or personal access token>`,
checked by the SDK's bearer middleware through `VaultraTokenVerifier`; a tool then acts as
that user. Over stdio (`vaultra mcp`) the token comes from the environment and is checked
on every call, so revoking it takes effect at once. Either way each call is scoped by the
user's memberships (see tools.py).
"""

import asyncio
import inspect
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from app.agent.exceptions import ToolFailure
from app.agent.runtime import AgentRuntime
from app.agent.tools import TOOLS, AgentTool, ToolContext
from app.auth import service as auth_service
from app.core.config import Settings
from app.core.errors import Unauthorized

INSTRUCTIONS = (
    "Vaultra's funding-readiness data for the businesses you belong to: readiness score "
    "breakdown, metrics from Stripe, recommendations, business profile, and a knowledge base "
    "to cite. Pass business_id when you belong to several businesses."
)

RuntimeProvider = Callable[[], AgentRuntime]


class VaultraTokenVerifier:
    """Accepts a Vaultra login JWT or personal access token; a revoked token fails at once."""

    def __init__(self, runtime: RuntimeProvider) -> None:
        self._runtime = runtime

    async def verify_token(self, token: str) -> AccessToken | None:
        runtime = self._runtime()
        try:
            async with runtime.database.session() as session:
                user = await auth_service.authenticate(session, runtime.settings, token)
        except Unauthorized:
            return None
        return AccessToken(token=token, client_id=str(user.id), scopes=[], subject=str(user.id))


def build_mcp_server(
    runtime: RuntimeProvider, settings: Settings, *, stdio_token: str | None = None
) -> MCPServer:
    """With `stdio_token` the server acts as that token's user; without, as each request's."""
    http_auth: dict[str, Any] = {}
    if stdio_token is None:
        http_auth = {
            "token_verifier": VaultraTokenVerifier(runtime),
            "auth": AuthSettings(issuer_url=settings.app_base_url, resource_server_url=None),
        }
    server: MCPServer = MCPServer(
        "vaultra", title="Vaultra", instructions=INSTRUCTIONS, version="0.1.0", **http_auth
    )
    for tool in TOOLS.values():
        server.add_tool(
            _handler(tool, runtime, stdio_token),
            name=tool.name,
            title=tool.title,
            description=tool.description,
            annotations=tool.annotations,
            structured_output=True,
        )
    return server


def streamable_http_app(server: MCPServer, settings: Settings) -> Starlette:
    """The ASGI app serving `/mcp`; its session manager must run in the host app's lifespan."""
    return server.streamable_http_app(
        streamable_http_path="/mcp",
        # No per-session state: any replica can serve any request.
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=settings.mcp_allowed_hosts,
            allowed_origins=settings.mcp_allowed_origins,
        ),
    )


@asynccontextmanager
async def run_session_manager(server: MCPServer) -> AsyncIterator[None]:
    """Run the HTTP session manager for as long as the block lasts.

    It runs in a task of its own: its task group must be entered and exited by one task,
    and an app's lifespan may start and stop in different ones (as under pytest).
    """
    started = asyncio.Event()
    stop = asyncio.Event()

    async def run() -> None:
        async with server.session_manager.run():
            started.set()
            await stop.wait()

    task = asyncio.create_task(run())
    ready = asyncio.create_task(started.wait())
    await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        ready.cancel()
        task.result()  # raises why it could not start
    try:
        yield
    finally:
        stop.set()
        await task


def _handler(
    tool: AgentTool[Any, Any], runtime: RuntimeProvider, stdio_token: str | None
) -> Callable[..., Any]:
    """A function whose signature is the tool's input model, as the SDK derives schemas from it."""

    async def call(**arguments: Any) -> Any:
        current = runtime()
        async with current.database.session() as session:
            user_id = await _caller(session, current.settings, stdio_token)
            ctx = ToolContext(session=session, user_id=user_id, retriever=current.retriever)
            try:
                return await tool.run(ctx, arguments)
            except ToolFailure as exc:
                raise ToolError(str(exc)) from exc

    parameters = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=inspect.Parameter.empty if field.is_required() else field.default,
            annotation=Annotated[
                (field.annotation, *field.metadata, Field(description=field.description))
            ],
        )
        for name, field in tool.input_model.model_fields.items()
    ]
    call.__name__ = tool.name
    call.__doc__ = tool.description
    call.__signature__ = inspect.Signature(parameters, return_annotation=tool.output_model)  # type: ignore[attr-defined]
    call.__annotations__ = {
        **{p.name: p.annotation for p in parameters},
        "return": tool.output_model,
    }
    return call


async def _caller(session: AsyncSession, settings: Settings, stdio_token: str | None) -> uuid.UUID:
    if stdio_token is not None:
        try:
            user = await auth_service.authenticate(session, settings, stdio_token)
        except Unauthorized as exc:
            raise ToolError("VAULTRA_TOKEN is invalid, expired or revoked.") from exc
        return user.id
    token = get_access_token()
    if token is None or token.subject is None:
        # Unreachable behind the bearer middleware; refuse rather than guess.
        raise ToolError("Not authenticated.")
    return uuid.UUID(token.subject)
