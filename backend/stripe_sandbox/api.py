"""The read side of Stripe's v1 API: GET /v1/account, list and retrieve of connected data."""

import base64
import binascii
import queue
import re
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson

from stripe_sandbox import errors, objects, store
from stripe_sandbox.config import SandboxConfig
from stripe_sandbox.errors import StripeError
from stripe_sandbox.ids import account_id

Params = dict[str, Any]  # values: str, list[str] (a[]=, a[0]=) or dict[str, str] (a[gt]=)


@dataclass(frozen=True)
class Resource:
    type: str
    prefix: str
    filters: Mapping[str, str]  # list parameter -> JSON path it filters on (equality)


RESOURCES: dict[str, Resource] = {
    "charges": Resource(
        "charge",
        "ch_",
        {"customer": "$.customer", "payment_intent": "$.payment_intent"},
    ),
    "refunds": Resource(
        "refund", "re_", {"charge": "$.charge", "payment_intent": "$.payment_intent"}
    ),
    "disputes": Resource(
        "dispute", "dp_", {"charge": "$.charge", "payment_intent": "$.payment_intent"}
    ),
    "payouts": Resource("payout", "po_", {"status": "$.status", "destination": "$.destination"}),
    "balance_transactions": Resource(
        "balance_transaction",
        "txn_",
        {"type": "$.type", "source": "$.source", "currency": "$.currency"},
    ),
    "customers": Resource("customer", "cus_", {"email": "$.email"}),
    "subscriptions": Resource("subscription", "sub_", {"customer": "$.customer"}),
    "events": Resource("event", "evt_", {}),
}
_LIST_PARAMS = {"limit", "starting_after", "ending_before", "created", "expand"}
_SPECIAL_PARAMS = {"subscriptions": {"status"}, "events": {"type", "types"}}
_SUBSCRIPTION_STATUSES = {
    "active", "past_due", "unpaid", "canceled", "incomplete", "incomplete_expired", "trialing",
    "paused", "all", "ended",
}  # fmt: skip
_KEY = re.compile(r"([A-Za-z_]+)(?:\[([A-Za-z_0-9]*)\])?")


def parse_params(items: list[tuple[str, str]]) -> Params:
    """Stripe's form encoding: `a=1`, arrays `a[]=`/`a[0]=`, hashes `a[gt]=`."""
    params: Params = {}
    for key, value in items:
        match = _KEY.fullmatch(key)
        if match is None:
            raise errors.unknown_parameter(key)
        name, sub = match.groups()
        current = params.get(name)
        if sub is None:
            if current is not None:
                raise StripeError(400, f"Received repeated parameter: {name}", param=name)
            params[name] = value
        elif sub == "" or sub.isdigit():
            if current is None:
                current = params[name] = []
            if not isinstance(current, list):
                raise StripeError(400, f"Invalid array: {name}", param=name)
            current.append(value)
        else:
            if current is None:
                current = params[name] = {}
            if not isinstance(current, dict):
                raise StripeError(400, f"Invalid hash: {name}", param=name)
            current[sub] = value
    return params


def _string(params: Params, name: str) -> str | None:
    value = params.get(name)
    if value is not None and not isinstance(value, str):
        raise StripeError(
            400, f"Invalid string: {name}", code="parameter_invalid_string_empty", param=name
        )
    return value


def _integer(name: str, value: Any) -> int:
    if not isinstance(value, str) or not re.fullmatch(r"-?\d{1,18}", value):
        raise errors.invalid_integer(name, str(value))
    return int(value)


def _expand_paths(params: Params) -> list[str]:
    value = params.get("expand", [])
    return [value] if isinstance(value, str) else list(value)


def build_query(name: str, account: str, params: Params) -> store.ListQuery:
    resource = RESOURCES[name]
    allowed = _LIST_PARAMS | set(resource.filters) | _SPECIAL_PARAMS.get(name, set())
    for param in params:
        if param not in allowed:
            raise errors.unknown_parameter(param)
    limit = _integer("limit", params.get("limit", "10"))
    if not 1 <= limit <= 100:
        raise StripeError(
            400,
            f"Invalid limit: must be between 1 and 100 (got {limit})",
            code="parameter_invalid_integer",
            param="limit",
        )
    starting_after = _string(params, "starting_after")
    ending_before = _string(params, "ending_before")
    if starting_after and ending_before:
        raise StripeError(
            400,
            "You may only specify one of these parameters: ending_before, starting_after.",
            param="starting_after",
        )
    created: dict[str, int] = {}
    raw_created = params.get("created")
    if isinstance(raw_created, dict):
        for op, value in raw_created.items():
            if op not in ("gt", "gte", "lt", "lte"):
                raise errors.unknown_parameter(f"created[{op}]")
            created[op] = _integer(f"created[{op}]", value)
    elif raw_created is not None:
        created["eq"] = _integer("created", raw_created)
    filters: list[tuple[str, str, Any]] = []
    for param, path in resource.filters.items():
        value = _string(params, param)
        if value is not None:
            filters.append((path, "=", value))
    if name == "subscriptions":
        status = _string(params, "status")
        if status is not None and status not in _SUBSCRIPTION_STATUSES:
            raise StripeError(
                400,
                f"Invalid status: must be one of {', '.join(sorted(_SUBSCRIPTION_STATUSES))}",
                code="parameter_invalid_empty",
                param="status",
            )
        if status is None:  # like Stripe: canceled subscriptions only when asked for
            filters.append(("$.status", "!=", "canceled"))
        elif status == "ended":
            filters.append(("$.status", "IN", ["canceled", "incomplete_expired"]))
        elif status != "all":
            filters.append(("$.status", "=", status))
    if name == "events":
        event_type = _string(params, "type")
        if event_type is not None:
            if "*" in event_type:
                filters.append(("$.type", "LIKE", event_type.replace("*", "%")))
            else:
                filters.append(("$.type", "=", event_type))
        types = params.get("types")
        if types is not None:
            if not isinstance(types, list):
                raise StripeError(400, "Invalid array: types", param="types")
            filters.append(("$.type", "IN", types))
    return store.ListQuery(
        account=account,
        type=resource.type,
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        created=created,
        filters=filters,
    )


def _expand(conn: sqlite3.Connection, account: str, obj: Any, path: list[str]) -> None:
    """Replace ids by the objects they name along `path` (ids the sandbox doesn't hold stay)."""
    if isinstance(obj, list):
        for element in obj:
            _expand(conn, account, element, path)
        return
    if not isinstance(obj, dict) or path[0] not in obj:
        return
    value = obj[path[0]]
    if isinstance(value, str):
        found = store.get_object(conn, account, value)
        if found is not None:
            value = obj[path[0]] = orjson.loads(found)
    if len(path) > 1:
        _expand(conn, account, value, path[1:])


@dataclass(frozen=True)
class Request:
    """What a v1 handler needs from the HTTP request (handlers run in worker threads)."""

    method: str
    path: str
    headers: Mapping[str, str]
    query: list[tuple[str, str]]


class Api:
    def __init__(self, config: SandboxConfig):
        self.config = config
        self._pool: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self.platform_id = account_id(config.seed, f"platform:{config.client_id}")

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = self._pool.get_nowait()
        except queue.Empty:
            conn = store.connect(self.config.db_path)
        try:
            yield conn
        finally:
            self._pool.put(conn)

    def close(self) -> None:
        """Close the pooled connections (at app shutdown)."""
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                return

    # -- authentication ------------------------------------------------------------------------

    def api_key(self, headers: Mapping[str, str]) -> str:
        header = headers.get("authorization")
        if not header:
            raise errors.no_key()
        scheme, _, credential = header.partition(" ")
        credential = credential.strip()
        if scheme.lower() == "bearer" and credential:
            return credential
        if scheme.lower() == "basic":
            try:
                return base64.b64decode(credential, validate=True).decode().partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                pass
        raise StripeError(
            401,
            "Invalid Authorization header: use Bearer auth with your secret key "
            "(Authorization: Bearer sk_...) or basic auth with the key as the username.",
        )

    def authenticate(
        self, conn: sqlite3.Connection, headers: Mapping[str, str]
    ) -> tuple[str, str | None]:
        """(key, account implied by the key): the platform key implies none, an OAuth access
        token implies its connected account."""
        key = self.api_key(headers)
        if key == self.config.secret_key:
            return key, None
        implied = store.account_for_token(conn, "access_token", key)
        if implied is None:
            raise errors.bad_key(key)
        return key, implied

    def connected_account(self, conn: sqlite3.Connection, headers: Mapping[str, str]) -> str | None:
        key, implied = self.authenticate(conn, headers)
        wanted = headers.get("stripe-account") or implied
        if wanted is None:
            return None
        if (implied is not None and wanted != implied) or not store.is_connected(conn, wanted):
            raise errors.account_invalid(key, wanted)
        return wanted

    # -- handlers (sync: called in a worker thread) --------------------------------------------

    def get_account(self, request: Request) -> str:
        self._only_expand(parse_params(request.query))
        with self.connection() as conn:
            account = self.connected_account(conn, request.headers)
            if account is None:
                created = int(store.get_meta(conn, "start")) - 400 * 86400
                return store.dumps(objects.platform_account(self.platform_id, created))
            found = store.get_object(conn, account, account)
            if found is None:
                raise errors.resource_missing("account", account)
            return found

    def list_objects(self, request: Request, name: str, parent: str | None = None) -> str:
        params = parse_params(request.query)
        with self.connection() as conn:
            account = self._require_account(conn, request)
            if parent is not None:  # /v1/charges/{charge}/refunds
                if store.get_object(conn, account, parent) is None or not parent.startswith("ch_"):
                    raise errors.resource_missing("charge", parent, param="charge")
                params["charge"] = parent
            query = build_query(name, account, params)
            try:
                rows, has_more = store.list_page(conn, query)
            except store.CursorNotFound as exc:
                param = "starting_after" if query.starting_after else "ending_before"
                raise errors.resource_missing(RESOURCES[name].type, str(exc), param=param) from None
            paths = [p.removeprefix("data.").split(".") for p in _expand_paths(params)]
            if paths:
                rows = [self._expanded(conn, account, row, paths) for row in rows]
        # The page is assembled from the stored JSON text: no decoding, no re-encoding.
        more = "true" if has_more else "false"
        url = store.dumps(request.path)
        return f'{{"object":"list","data":[{",".join(rows)}],"has_more":{more},"url":{url}}}'

    def retrieve_object(self, request: Request, name: str, object_id: str) -> str:
        resource = RESOURCES[name]
        params = parse_params(request.query)
        self._only_expand(params)
        with self.connection() as conn:
            account = self._require_account(conn, request)
            found = (
                store.get_object(conn, account, object_id)
                if object_id.startswith(resource.prefix)
                else None
            )
            if found is None:
                raise errors.resource_missing(resource.type, object_id)
            paths = [p.split(".") for p in _expand_paths(params)]
            return self._expanded(conn, account, found, paths) if paths else found

    # -- helpers -------------------------------------------------------------------------------

    def _require_account(self, conn: sqlite3.Connection, request: Request) -> str:
        account = self.connected_account(conn, request.headers)
        if account is None:
            raise StripeError(
                400,
                "This sandbox only serves connected-account data: send the Stripe-Account header "
                "with the acct_ id returned by /oauth/token.",
                code="parameter_missing",
                param="Stripe-Account",
            )
        return account

    @staticmethod
    def _only_expand(params: Params) -> None:
        for param in params:
            if param != "expand":
                raise errors.unknown_parameter(param)

    @staticmethod
    def _expanded(conn: sqlite3.Connection, account: str, row: str, paths: list[list[str]]) -> str:
        obj = orjson.loads(row)
        for path in paths:
            _expand(conn, account, obj, path)
        return store.dumps(obj)
