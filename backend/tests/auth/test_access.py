"""The business-id resolution matrix, and 403 on another business for every scoped route."""

import re
import uuid
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from app.auth.access import (
    CurrentBusiness,
    get_business_access,
    get_path_business_access,
)


class ProbeBody(BaseModel):
    business_id: str | None = None
    note: str = ""


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    """Adds probe routes that only echo the resolved business."""
    probe = APIRouter(prefix="/api/v1/probe")

    @probe.get("")
    async def probe_query(access: CurrentBusiness) -> dict[str, str]:
        return {"business_id": str(access.id), "role": access.role}

    @probe.post("")
    async def probe_body(access: CurrentBusiness, body: ProbeBody) -> dict[str, str]:
        return {"business_id": str(access.id), "role": access.role}

    app.include_router(probe)
    return app


async def test_resolution_matrix(make_account: Any, client: httpx.AsyncClient) -> None:
    nobody = await make_account()
    response = await client.get("/api/v1/probe", headers=nobody.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "no_business"

    single = await make_account()
    only = await single.create_business("Only")
    for request in (
        client.get("/api/v1/probe", headers=single.headers),
        client.post("/api/v1/probe", json={"note": "x"}, headers=single.headers),
    ):
        response = await request
        assert response.status_code == 200
        assert response.json()["business_id"] == only["id"]

    multi = await make_account()
    first = await multi.create_business("First")
    second = await multi.create_business("Second")
    response = await client.get("/api/v1/probe", headers=multi.headers)
    assert response.status_code == 400
    assert response.json()["code"] == "business_id_required"
    response = await client.post("/api/v1/probe", json={}, headers=multi.headers)
    assert response.json()["code"] == "business_id_required"

    by_query = await client.get(
        "/api/v1/probe", params={"business_id": second["id"]}, headers=multi.headers
    )
    assert by_query.json()["business_id"] == second["id"]
    by_body = await client.post(
        "/api/v1/probe", json={"business_id": first["id"]}, headers=multi.headers
    )
    assert by_body.json()["business_id"] == first["id"]
    by_path = await client.get(f"/api/v1/users/businesses/{second['id']}", headers=multi.headers)
    assert by_path.json()["id"] == second["id"]

    for bad in ("not-a-uuid", "123", "' OR 1=1 --"):
        response = await client.get(
            "/api/v1/probe", params={"business_id": bad}, headers=multi.headers
        )
        assert response.status_code == 400, bad
        assert response.json()["code"] == "invalid_business_id"
        response = await client.post(
            "/api/v1/probe", json={"business_id": bad}, headers=multi.headers
        )
        assert response.status_code == 400, bad
    response = await client.get("/api/v1/users/businesses/not-a-uuid", headers=multi.headers)
    assert response.json()["code"] == "invalid_business_id"

    # Someone else's business and a business that does not exist look the same.
    foreign = await client.get(
        "/api/v1/probe", params={"business_id": only["id"]}, headers=multi.headers
    )
    missing = await client.get(
        "/api/v1/probe", params={"business_id": str(uuid.uuid4())}, headers=multi.headers
    )
    assert foreign.status_code == missing.status_code == 403
    assert foreign.json() == missing.json()
    assert foreign.json()["code"] == "business_forbidden"


def _uses(dependant: Dependant, targets: set[Any]) -> bool:
    return any(d.call in targets or _uses(d, targets) for d in dependant.dependencies)


def business_scoped_routes(app: FastAPI) -> list[tuple[str, set[str]]]:
    """(path, methods) of every route whose dependencies resolve a business."""
    targets = {get_business_access, get_path_business_access}
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if (
            isinstance(route, APIRoute)
            and not context.path.startswith("/api/v1/probe")
            and _uses(route.dependant, targets)
        ):
            found.append((context.path, set(context.methods or ())))
    return found


async def test_every_scoped_route_refuses_another_business(
    app: FastAPI, make_account: Any, client: httpx.AsyncClient
) -> None:
    alice = await make_account()
    await alice.create_business("Alice Co")
    bob = await make_account()
    bobs = await bob.create_business("Bob Co")
    routes = business_scoped_routes(app)
    assert ("/api/v1/users/businesses/{business_id}", {"GET"}) in routes

    for template, methods in routes:
        path = template
        for name in re.findall(r"{(\w+)(?::\w+)?}", template):
            value = bobs["id"] if name == "business_id" else str(uuid.uuid4())
            path = re.sub(r"{" + name + r"(?::\w+)?}", value, path)
        for method in methods - {"HEAD", "OPTIONS"}:
            response = await client.request(
                method,
                path,
                params={"business_id": bobs["id"]},
                json={"business_id": bobs["id"]} if method in {"POST", "PATCH", "PUT"} else None,
                headers=alice.headers,
            )
            assert response.status_code == 403, (method, template, response.text)


async def test_routes_and_agent_tools_share_one_access_rule(make_account: Any, db: Any) -> None:
    """`users.service.resolve_access` is the rule behind both the HTTP dependency and the agent
    tools: the same inputs give the same business or the same refusal."""
    from app.agent.exceptions import ToolFailure
    from app.agent.tools import ToolContext, resolve_business
    from app.users import service as users_service
    from app.users.exceptions import BusinessAccessDenied, BusinessIdRequired, NoBusiness

    owner = await make_account()
    first = await owner.create_business("First")
    outsider = await make_account()
    async with db.session() as session:
        owner_id, outsider_id = uuid.UUID(owner.id), uuid.UUID(outsider.id)
        only = await users_service.resolve_access(session, owner_id, None)
        assert str(only.id) == first["id"]
        with pytest.raises(NoBusiness):
            await users_service.resolve_access(session, outsider_id, None)
        with pytest.raises(BusinessAccessDenied):
            await users_service.resolve_access(session, outsider_id, only.id)
        tools = ToolContext(session=session, user_id=outsider_id, retriever=None)
        with pytest.raises(ToolFailure, match="Access denied"):
            await resolve_business(tools, only.id)
    await owner.create_business("Second")
    async with db.session() as session:
        with pytest.raises(BusinessIdRequired):
            await users_service.resolve_access(session, owner_id, None)
        with pytest.raises(ToolFailure, match="business_id is required"):
            await resolve_business(ToolContext(session, owner_id, retriever=None), None)
