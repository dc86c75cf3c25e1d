"""Schemathesis over the whole OpenAPI: no 5xx, and every response as documented.

Vaultra is served on a loopback port, as it runs. Its founder has one business, connected to the
sandbox's healthy SaaS merchant and synced, with its score, recommendations, a conversation and
personal access tokens. The Stripe sandbox and a stand-in Google are served on loopback too, the
model and Pinecone are off: nothing leaves the machine.

Each operation runs VAULTRA_FUZZ_EXAMPLES examples (30 in `make test`, 500 in `make fuzz`) in each
of schemathesis' phases (examples, coverage, fuzzing), with a fixed seed (VAULTRA_FUZZ_SEED). To
reach the real code rather than stop at 400/403:
- well-formed generated ids become real ones (`_bind`), except one in 16 kept foreign;
- every eighth call of an operation runs as a founder with no business yet, and creating a
  business runs as a third founder, so that the first keeps exactly one and `business_id` stays
  optional;
- a webhook delivery with a signature header is signed for real (`_sign_webhook`);
- the destructive team routes (DELETE /users/me, DELETE a business) run as a throwaway founder
  with a throwaway business, made for the call (`_disposable`), so that they delete for real
  without taking the founder's data from the operations that follow; one business deletion in
  four is sent the right confirmation.
"""

import asyncio
import json
import os
import re
import time
import uuid
import zlib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from pydantic import SecretStr
from schemathesis import Case
from schemathesis.config import SchemathesisConfig

from app.agent.knowledge.documents import DOC_ID_PATTERN
from app.core.config import Settings
from app.main import create_app
from app.stripe.config import CALLBACK_PATH
from stripe_sandbox import create_app as create_sandbox_app
from tests.auth.oidc_provider import CLIENT_ID, CLIENT_SECRET, LocalOpenIDProvider
from tests.conftest import TEST_PASSWORD, Account, make_settings
from tests.servers import free_port, serve_in_thread
from tests.stripe.conftest import (
    connect_merchant,
    make_sandbox_config,
    serve_vaultra,
    sign,
    signup,
    stripe_settings,
    wait_for_sync,
)

MAX_EXAMPLES = int(os.environ.get("VAULTRA_FUZZ_EXAMPLES", "30"))
SEED = int(os.environ.get("VAULTRA_FUZZ_SEED", "14"))
MERCHANT = "healthy_saas"
WEBHOOK_PATH = "/api/v1/webhooks/stripe"
# Schemathesis applies auth while it builds the coverage cases, at collection, before any founder
# exists: cases carry this token until the test swaps in a real one.
TOKEN_PLACEHOLDER = "fuzz-token-placeholder"
# Run as another founder, so that the founder keeps one business.
OTHER_FOUNDER_OPERATIONS = {"POST /api/v1/users/businesses"}
# Run as a throwaway founder with a throwaway business, made for the call.
DISPOSABLE_OPERATIONS = {
    "DELETE /api/v1/users/me",
    "DELETE /api/v1/users/businesses/{business_id}",
}
DISPOSABLE_BUSINESS = "Throwaway Co"

# The document the served app answers at /api/v1/openapi.json (`target` checks they are equal).
DOCUMENT = create_app(
    Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url="sqlite+aiosqlite://",
        jwt_secret=SecretStr("schema-only-" + "0" * 32),
    )
).openapi()
# Mixed into one generated value in ten, in parameters and body fields alike: what broke Vaultra
# before (a NUL, control characters, text longer than its column, integers past 32 or 64 bits)
# and their relatives. Each is used where it fits the mode: valid in positive cases, invalid in
# negative ones.
NASTY_VALUES: dict[str, list[str | int | float]] = {
    "string": [
        "\x00",
        "nul\x00inside",
        "\x07\x08\x1b[2J",
        "line\r\nbreak",
        "\u202eright-to-left",
        "e\u0301",
        "\U0001f600",
        " ",
        "a" * 101,
        "a" * 201,
        "https://example.com/" + "a" * 2040,
    ],
    "integer": [-1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**400],
    "number": [1e308, -1e308, 5e-324, 2**53 + 1],
}


def _body_fields(document: dict[str, Any]) -> dict[str, str]:
    """Each top-level field of a JSON request body, and the kind of value it takes."""
    components = document["components"]["schemas"]
    fields: dict[str, str] = {}
    for operations in document["paths"].values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema", {})
            if "$ref" in body:
                body = components[body["$ref"].rsplit("/", 1)[-1]]
            for name, field_schema in body.get("properties", {}).items():
                options = field_schema.get("anyOf", [field_schema])
                kinds = {option.get("type") for option in options} & set(NASTY_VALUES)
                for kind in ("string", "integer", "number"):
                    if kind in kinds:
                        fields.setdefault(name, kind)
                        break
    return fields


CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "max-redirects": 0,
        "generation": {
            "max-examples": MAX_EXAMPLES,
            # No .hypothesis folder, and no replay of another run's examples.
            "database": "none",
            "dictionaries": {
                kind: {"dictionary": kind, "probability": 0.1} for kind in NASTY_VALUES
            },
        },
        "dictionaries": {kind: {"values": values} for kind, values in NASTY_VALUES.items()},
        "parameters": {
            f"body.{name}": {"dictionary": kind, "probability": 0.1}
            for name, kind in _body_fields(DOCUMENT).items()
        },
        # The box is shared: slow generation is not a failure.
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
        "checks": {
            "enabled": False,
            "not_a_server_error": {"enabled": True},
            "status_code_conformance": {"enabled": True},
            "content_type_conformance": {"enabled": True},
            "response_schema_conformance": {"enabled": True},
        },
    }
)
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


@schema.auth(refresh_interval=None, retry_on=[])
class FounderToken:
    def get(self, case: Case, context: Any) -> str | None:
        secured = case.operation.definition.raw.get("security")
        return TOKEN_PLACEHOLDER if secured else None

    def set(self, case: Case, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@dataclass
class Target:
    """The served app, who calls it, and the real ids that generated ones become."""

    url: str
    webhook_secret: str
    # The founder with the synced business; one with no business; one who creates businesses.
    founder: str
    newcomer: str
    other_founder: str
    ids: dict[str, list[str]]
    session: requests.Session = field(default_factory=requests.Session)
    calls: Counter[str] = field(default_factory=Counter)


@pytest.fixture(scope="module")
async def target(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Target]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    port = free_port()
    callback = f"http://127.0.0.1:{port}{CALLBACK_PATH}"
    sandbox = make_sandbox_config(tmp / "stripe_sandbox.db", redirect_uris=(callback,))
    google = LocalOpenIDProvider()
    with (
        serve_in_thread(google.asgi()) as google_url,
        serve_in_thread(create_sandbox_app(sandbox)) as sandbox_url,
    ):
        google.issuer = google_url
        settings = stripe_settings(
            make_settings(database_url, tmp / "data"),
            sandbox,
            sandbox_url,
            google_client_id=CLIENT_ID,
            google_client_secret=SecretStr(CLIENT_SECRET),
            google_auth_url=f"{google_url}/authorize",
            google_token_url=f"{google_url}/token",
            google_jwks_url=f"{google_url}/jwks",
            google_issuers=[google_url],
            openai_api_key=None,
            openai_base_url=None,
            pinecone_api_key=None,
        )
        async with serve_vaultra(settings, port=port) as served:
            served_schema = (await served.client.get("/api/v1/openapi.json")).json()
            assert served_schema == schema.raw_schema, "the fuzzed document is not the served one"
            founder, ids = await _founder_with_a_synced_merchant(served.client)
            target = Target(
                url=served.url,
                webhook_secret=sandbox.webhook_secret,
                founder=founder.token,
                newcomer=(await signup(served.client, name="Newcomer")).token,
                other_founder=(await signup(served.client, name="Other Founder")).token,
                ids=ids,
            )
            with target.session:
                yield target


async def _founder_with_a_synced_merchant(
    client: httpx.AsyncClient,
) -> tuple[Account, dict[str, list[str]]]:
    founder = await signup(client, name="Fuzz Founder")
    business_id = (await founder.create_business("Fuzz Co"))["id"]
    await connect_merchant(client, founder, business_id, MERCHANT)
    status = await wait_for_sync(client, founder, business_id, limit=120)
    assert status["sync"]["state"] == "succeeded", status
    recommendations = await _wait_for_recommendations(client, founder, business_id)
    chat = await client.post(
        "/api/v1/agent/chat",
        json={"business_id": business_id, "message": "What is hurting my readiness?"},
        headers=founder.headers,
    )
    assert chat.status_code == 200, chat.text
    invitations = []
    for email in ("adviser@example.com", "bookkeeper@example.com"):
        invited = await client.post(
            f"/api/v1/users/businesses/{business_id}/invitations",
            json={"email": email, "role": "member"},
            headers=founder.headers,
        )
        assert invited.status_code == 201, invited.text
        invitations.append(invited.json()["id"])
    tokens = []
    for name in ("fuzz-a", "fuzz-b", "fuzz-c"):
        created = await client.post(
            "/api/v1/auth/tokens", json={"name": name}, headers=founder.headers
        )
        assert created.status_code == 201, created.text
        tokens.append(created.json()["id"])
    documents = await client.get("/api/v1/agent/knowledge", headers=founder.headers)
    assert documents.status_code == 200, documents.text
    return founder, {
        "business_id": [business_id],
        "doc_id": [doc["doc_id"] for doc in documents.json()["documents"]],
        "recommendation_id": recommendations,
        "conversation_id": [chat.json()["conversation_id"]],
        "token_id": tokens,
        "invitation_id": invitations,
        # The founder, the business's only owner: a role change or removal meets `last_owner`.
        "user_id": [founder.id],
    }


async def _wait_for_recommendations(
    client: httpx.AsyncClient, founder: Account, business_id: str
) -> list[str]:
    """The sync enqueues the refresh that scores the business and writes recommendations."""
    deadline = time.monotonic() + 60
    while True:
        response = await client.get(
            "/api/v1/recommendations", params={"business_id": business_id}, headers=founder.headers
        )
        assert response.status_code == 200, response.text
        found = [rec["id"] for rec in response.json()["recommendations"]]
        if found:
            return found
        assert time.monotonic() < deadline, "no recommendations after the sync"
        await asyncio.sleep(0.2)


def _well_formed(name: str, value: object) -> bool:
    if not isinstance(value, str):
        return False
    if name == "doc_id":
        return re.fullmatch(DOC_ID_PATTERN, value) is not None
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _real(name: str, value: object, ids: dict[str, list[str]]) -> object:
    """A well-formed id becomes a real one, except one in 16 (kept: a foreign or unknown id)."""
    if not ids.get(name) or not _well_formed(name, value):
        return value
    digest = zlib.crc32(str(value).encode())
    return value if digest % 16 == 0 else ids[name][digest % len(ids[name])]


def _caller(case: Case, target: Target) -> str:
    label = case.operation.label
    if label in OTHER_FOUNDER_OPERATIONS:
        return target.other_founder
    target.calls[label] += 1
    return target.newcomer if target.calls[label] % 8 == 0 else target.founder


def _disposable(case: Case, target: Target) -> None:
    """A new founder and business for a destructive call: the path's business becomes theirs
    (unless kept foreign), and one business deletion in four confirms with the right name."""
    email = f"throwaway-{uuid.uuid4().hex[:10]}@example.com"
    signed_up = target.session.post(
        f"{target.url}/api/v1/auth/signup",
        json={"email": email, "password": TEST_PASSWORD, "name": "Throwaway"},
    )
    assert signed_up.status_code == 201, signed_up.text
    token = signed_up.json()["token"]
    created = target.session.post(
        f"{target.url}/api/v1/users/businesses",
        json={"name": DISPOSABLE_BUSINESS},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201, created.text
    if case.headers and "Authorization" in case.headers:
        case.headers["Authorization"] = f"Bearer {token}"
    params = case.path_parameters
    if isinstance(params, dict) and "business_id" in params:
        if _well_formed("business_id", params["business_id"]):
            params["business_id"] = created.json()["id"]
        target.calls[case.operation.label] += 1
        if isinstance(case.body, dict) and target.calls[case.operation.label] % 4 == 0:
            case.body["confirm"] = DISPOSABLE_BUSINESS


def _bind(case: Case, target: Target) -> None:
    if case.operation.label in DISPOSABLE_OPERATIONS:
        _disposable(case, target)
        return
    if case.headers and case.headers.get("Authorization") == f"Bearer {TOKEN_PLACEHOLDER}":
        case.headers["Authorization"] = f"Bearer {_caller(case, target)}"
    for container in (case.path_parameters, case.query, case.body):
        if isinstance(container, dict):
            for name, value in container.items():
                container[name] = _real(name, value, target.ids)


def _sign_webhook(case: Case, target: Target) -> None:
    """A delivery with a signature header is signed for real, over the exact bytes sent, so it
    gets past the signature to the envelope checks and the inbox; one without stays unsigned."""
    headers = case.headers or {}
    if "stripe-signature" not in headers or case.media_type != "application/json":
        return
    try:
        payload = json.dumps(case.body).encode()
    except (TypeError, ValueError):
        return  # no body, or not JSON
    case.body = payload
    case.headers = {**headers, "stripe-signature": sign(payload, target.webhook_secret)}


@schema.parametrize()
def test_openapi(case: Case, target: Target) -> None:
    _bind(case, target)
    if case.operation.path == WEBHOOK_PATH:
        _sign_webhook(case, target)
    case.call_and_validate(base_url=target.url, session=target.session)
