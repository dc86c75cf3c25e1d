"""Every request schema, walked: what the API accepts fits where it goes.

Walks the OpenAPI document (request bodies, query and path parameters) and the MCP tools'
inputs. Free text must be `UserText`, every string and number must be bounded, and every
field stored in a column must fit it: a schema looser than its column was a 500 on PostgreSQL
(`industry`, 200 characters into `varchar(100)`; `revenue_estimate`, unbounded into 32 bits).
Headers are left to their own checks (the bearer token, the webhook signature).
"""

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import InstrumentedAttribute

from app.agent.models import Conversation, Message
from app.agent.tools import TOOLS
from app.auth.models import PersonalAccessToken
from app.core.config import Settings
from app.core.db import INT_MAX
from app.main import create_app
from app.notifications.models import NotificationPreference
from app.recommendations.models import Recommendation
from app.reports.models import ReportShare
from app.teams.models import Invitation
from app.users.models import Business, Membership, User

Schema = dict[str, Any]

# Strings that are not user text: never stored or shown as sent.
OPAQUE = {
    # Only hashed; normalising would change the hash of an existing password.
    "SignupRequest.password",
    "LoginRequest.password",
    # OAuth values: compared with ours or passed back to the provider.
    *(
        f"GET /api/v1/{callback} {name}"
        for callback in ("auth/callback/google", "integrations/stripe/callback")
        for name in ("code", "state", "error")
    ),
    # Invitation tokens: only their hash is looked up.
    "InvitationAccept.token",
    "GET /api/v1/invitations/preview token",
}
BOUNDED_FORMATS = {"uuid", "date", "date-time"}
# Bodies written by others and documented inline, not parsed by a schema: Stripe's signed event,
# whose envelope the receiver checks against the stripe_events columns before storing
# (tests/stripe/test_webhooks.py) and whose `data` is Stripe's object, kept by an allow-list.
EXTERNAL_BODIES = {"/api/v1/webhooks/stripe"}
BIGINT_MAX = 2**63 - 1

# Each request body's fields and the column each is stored in; None when it is not stored as
# sent (a password is hashed, a lifetime becomes a timestamp, an id is looked up).
BUSINESS_FIELDS = (
    "name",
    "legal_entity",
    "industry",
    "revenue_estimate",
    "founded_at",
    "country",
    "currency",
)
STORED_IN: dict[str, dict[str, InstrumentedAttribute[Any] | None]] = {
    "SignupRequest": {"email": User.email, "password": None, "name": User.name},
    "LoginRequest": {"email": None, "password": None},
    "TokenCreate": {"name": PersonalAccessToken.name, "expires_in_days": None},
    "UserUpdate": {"name": User.name, "avatar_url": User.avatar_url},
    "BusinessCreate": {name: getattr(Business, name) for name in BUSINESS_FIELDS},
    "BusinessUpdate": {name: getattr(Business, name) for name in BUSINESS_FIELDS},
    "ChatRequest": {
        "business_id": Conversation.business_id,
        "message": Message.content,
        "conversation_id": None,
    },
    "SimulateRequest": {"business_id": None, "overrides": None},
    "RecommendationUpdate": {"status": Recommendation.status},
    "ShareCreate": {
        "business_id": ReportShare.business_id,
        "label": ReportShare.label,
        "expires_in_days": None,
        "sections": None,
        "live": ReportShare.live,
    },
    "NotificationPreferencesUpdate": {
        "business_id": None,
        "digest": NotificationPreference.digest,
        "alert_tier": NotificationPreference.alert_tier,
        "alert_dispute": NotificationPreference.alert_dispute,
        "alert_sync": NotificationPreference.alert_sync,
        "alert_stripe_revoked": NotificationPreference.alert_stripe_revoked,
    },
    "InvitationCreate": {"email": Invitation.email, "role": Invitation.role},
    "InvitationAccept": {"token": None},
    "MemberUpdate": {"role": Membership.role},
    "BusinessDelete": {"confirm": None},
}


@pytest.fixture
def openapi(settings: Settings) -> Schema:
    document: Schema = create_app(settings).openapi()
    return document


def _resolve(schema: Schema, components: Schema) -> Schema:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _leaves(schema: Schema, components: Schema, where: str) -> Iterator[tuple[str, Schema]]:
    """Every non-null alternative of every value in `schema`, with where it is."""
    schema = _resolve(schema, components)
    alternatives = schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf")
    if alternatives:
        for alternative in alternatives:
            yield from _leaves(alternative, components, where)
        return
    if schema.get("type") == "null":
        return
    yield where, schema
    for name, child in schema.get("properties", {}).items():
        yield from _leaves(child, components, f"{where}.{name}")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _leaves(schema["additionalProperties"], components, f"{where}.*")
    if "items" in schema:
        yield from _leaves(schema["items"], components, f"{where}[]")


def _request_values(openapi: Schema) -> Iterator[tuple[str, Schema]]:
    components = openapi["components"]["schemas"]
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] in ("query", "path"):
                    where = f"{method.upper()} {path} {parameter['name']}"
                    yield from _leaves(parameter["schema"], components, where)
            if path in EXTERNAL_BODIES:
                continue
            for content in operation.get("requestBody", {}).get("content", {}).values():
                name = content["schema"]["$ref"].rsplit("/", 1)[-1]
                yield from _leaves(content["schema"], components, name)
    for tool in TOOLS.values():
        schema = tool.input_model.model_json_schema()
        yield from _leaves(schema, schema.get("$defs", {}), f"tool {tool.name}")


def _problem(where: str, schema: Schema) -> str | None:
    kind = schema.get("type")
    if kind == "string":
        if "enum" in schema or schema.get("format") in BOUNDED_FORMATS:
            return None
        if "maxLength" not in schema:
            return "a string without maxLength"
        # UserText states its pattern; URLs, emails and codes have a format or a pattern.
        shaped = "format" in schema or "pattern" in schema
        if not shaped and where not in OPAQUE:
            return "free text that is not UserText"
        return None
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        if low is None or high is None:
            return "a number without minimum and maximum"
        if low < -BIGINT_MAX - 1 or high > BIGINT_MAX:
            return "a number beyond 64 bits"
        return None
    if kind == "object":
        bounded = "properties" in schema or isinstance(schema.get("additionalProperties"), dict)
        return None if bounded else "a free-form object"
    if kind == "array":
        return None if "maxItems" in schema else "an array without maxItems"
    return None if kind == "boolean" else f"an untyped value: {schema}"


def test_every_request_value_is_bounded_and_text_is_user_text(openapi: Schema) -> None:
    values = list(_request_values(openapi))
    assert len(values) > 50  # the walk reaches the fields, not only the top-level schemas
    problems = [
        f"{where}: {problem}"
        for where, schema in values
        if (problem := _problem(where, schema)) is not None
    ]
    assert problems == []


def _body_schemas(openapi: Schema) -> set[str]:
    return {
        content["schema"]["$ref"].rsplit("/", 1)[-1]
        for path, operations in openapi["paths"].items()
        if path not in EXTERNAL_BODIES
        for operation in operations.values()
        for content in operation.get("requestBody", {}).get("content", {}).values()
    }


def _column_problem(schema: Schema, column: InstrumentedAttribute[Any]) -> str | None:
    column_type = column.expression.type
    if isinstance(column_type, String) and column_type.length is not None:
        lengths = [len(value) for value in schema.get("enum", [])] or [schema.get("maxLength")]
        if None in lengths:
            return f"no maxLength for a {column_type.length}-character column"
        longest = max(length for length in lengths if length is not None)
        if longest > column_type.length:
            return f"{longest} characters for a {column_type.length}-character column"
    if isinstance(column_type, Integer):
        top = BIGINT_MAX if isinstance(column_type, BigInteger) else INT_MAX
        if schema.get("maximum") is None or schema["maximum"] > top:
            return f"maximum {schema.get('maximum')} for a column that holds {top}"
        if schema.get("minimum") is None or schema["minimum"] < -top - 1:
            return f"minimum {schema.get('minimum')} for a column that holds {-top - 1}"
    return None


def test_no_request_field_outgrows_its_column(openapi: Schema) -> None:
    # A new request schema, or a new field, must say where it is stored.
    assert _body_schemas(openapi) == set(STORED_IN)
    components = openapi["components"]["schemas"]
    problems = []
    for name, columns in STORED_IN.items():
        properties = components[name]["properties"]
        assert set(properties) == set(columns), name
        for field, column in columns.items():
            if column is None:
                continue
            for where, schema in _leaves(properties[field], components, f"{name}.{field}"):
                if (problem := _column_problem(schema, column)) is not None:
                    problems.append(f"{where} -> {column}: {problem}")
    assert problems == []
