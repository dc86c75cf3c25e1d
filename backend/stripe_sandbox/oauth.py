"""Stripe Connect OAuth (Standard accounts): authorize page, token exchange, deauthorize."""

import html
import secrets
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit

import anyio
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from stripe_sandbox import errors, store
from stripe_sandbox.api import Api
from stripe_sandbox.config import SandboxConfig
from stripe_sandbox.errors import OAuthError, StripeError
from stripe_sandbox.generate import ensure_generated
from stripe_sandbox.ids import digest62
from stripe_sandbox.merchants import (
    MERCHANTS,
    get_merchant,
    merchant_account_id,
    merchant_for_account,
)

SCOPES = ("read_write", "read_only")
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Connect with Stripe (sandbox)</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; color: #1a1f36; }}
h1 {{ font-size: 1.4rem; }} .muted {{ color: #697386; }}
a.merchant {{ display: block; padding: .9rem 1rem; margin: .6rem 0; border: 1px solid #e3e8ee;
  border-radius: 8px; text-decoration: none; color: inherit; }}
a.merchant:hover {{ border-color: #635bff; }} a.deny {{ color: #c0123c; }}
</style></head><body>
<h1>Connect a Stripe account (sandbox)</h1>
<p class="muted">Pick the sample business to connect with <b>{scope}</b> access.</p>
{choices}
<p><a class="deny" id="deny" href="{deny}">Deny access</a></p>
</body></html>
"""


def _token(prefix: str) -> str:
    """Random and alphanumeric, like Stripe's codes and keys."""
    return prefix + secrets.token_urlsafe(32).replace("-", "x").replace("_", "y")


def create_authorization_code(
    config: SandboxConfig, merchant_key: str, scope: str = "read_write"
) -> str:
    """Issue a code as if the user had picked `merchant_key` on the authorize page."""
    merchant = get_merchant(merchant_key)
    with store.open_db(config) as conn:
        code = _token("ac_")
        store.add_code(conn, code, merchant_account_id(config, merchant.key), scope)
    return code


def connect_merchant(config: SandboxConfig, merchant_key: str) -> str:
    """Generate and connect a sample merchant without the OAuth dance; returns its acct_ id."""
    with store.open_db(config) as conn:
        account = ensure_generated(conn, config, get_merchant(merchant_key).key)
        store.set_connection(conn, account, "read_write", _token("sk_test_"), _token("rt_"))
    return account


class OAuth:
    def __init__(self, config: SandboxConfig, api: Api):
        self.config = config
        self.api = api

    # -- the browser side ----------------------------------------------------------------------

    def _validated(self, request: Request) -> tuple[str, str, str]:
        """(redirect_uri, state, scope) of a well-formed authorize request."""
        q = request.query_params
        if q.get("response_type", "code") != "code":
            raise OAuthError(400, "invalid_request", "response_type must be 'code'")
        if q.get("client_id") != self.config.client_id:
            raise OAuthError(400, "invalid_client", f"No such application: {q.get('client_id')!r}")
        scope = q.get("scope", "read_write")
        if scope not in SCOPES:
            raise OAuthError(400, "invalid_scope", f"Invalid scope: {scope!r}")
        # Codes go only to a registered URI (exactly), as at Stripe: anywhere else, a page that
        # lured the user here would receive the code.
        registered = self.config.redirect_uris
        redirect_uri = q.get("redirect_uri") or (registered[0] if registered else "")
        if redirect_uri not in registered:
            raise OAuthError(
                400,
                "invalid_redirect_uri",
                f"Invalid redirect URI {redirect_uri!r}. Ensure this uri exactly matches one of "
                "the uris specified in your application settings.",
            )
        return redirect_uri, q.get("state", ""), scope

    async def authorize(self, request: Request) -> Response:
        try:
            redirect_uri, state, scope = self._validated(request)
        except OAuthError as exc:
            return _invalid(exc.description)
        root = request.scope.get("root_path", "")
        carry = {
            "client_id": self.config.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": scope,
        }
        choices = "\n".join(
            f'<a class="merchant" id="{m.key}" '
            f'href="{html.escape(self._link(root, "choose", carry, m.key))}">'
            f"<b>{html.escape(m.name)}</b> <span class=muted>({m.key})</span><br>"
            f"<span class=muted>{html.escape(m.description)}</span></a>"
            for m in MERCHANTS
        )
        deny = html.escape(self._link(root, "deny", carry, None))
        return HTMLResponse(_PAGE.format(scope=html.escape(scope), choices=choices, deny=deny))

    @staticmethod
    def _link(root: str, action: str, carry: dict[str, str], merchant: str | None) -> str:
        query = dict(carry, merchant=merchant) if merchant else carry
        return f"{root}/oauth/authorize/{action}?{urlencode(query)}"

    async def choose(self, request: Request) -> Response:
        try:
            redirect_uri, state, scope = self._validated(request)
            key = request.query_params.get("merchant", "")
            get_merchant(key)
        except (OAuthError, KeyError) as exc:
            return _invalid(str(exc))
        code = await anyio.to_thread.run_sync(create_authorization_code, self.config, key, scope)
        return RedirectResponse(
            _with_query(redirect_uri, {"scope": scope, "code": code, "state": state}), 302
        )

    async def deny(self, request: Request) -> Response:
        try:
            redirect_uri, state, _scope = self._validated(request)
        except OAuthError as exc:
            return _invalid(exc.description)
        params = {
            "error": "access_denied",
            "error_description": "The user denied your request",
            "state": state,
        }
        return RedirectResponse(_with_query(redirect_uri, params), 302)

    # -- the server side -----------------------------------------------------------------------

    def _check_secret(self, headers: Mapping[str, str], form: Mapping[str, str]) -> None:
        key = form.get("client_secret")
        if key is None:
            try:
                key = self.api.api_key(headers)
            except StripeError:
                raise OAuthError(
                    401,
                    "invalid_client",
                    "No authentication was provided. Send your secret API key using the "
                    "Authorization header, or as a client_secret POST parameter.",
                ) from None
        if key != self.config.secret_key:
            raise OAuthError(
                401, "invalid_client", f"Invalid API Key provided: {errors.redact(key)}"
            )

    async def token(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        try:
            self._check_secret(request.headers, form)
            body = await anyio.to_thread.run_sync(self._exchange, form)
        except OAuthError as exc:
            return exc.response()
        return Response(store.dumps(body), media_type="application/json")

    def _exchange(self, form: Mapping[str, str]) -> dict[str, object]:
        grant = form.get("grant_type")
        with self.api.connection() as conn:
            if grant == "authorization_code":
                code = form.get("code", "")
                redeemed = store.redeem_code(conn, code)
                if redeemed is None:
                    raise OAuthError(
                        400, "invalid_grant", f"Authorization code does not exist: {code}"
                    )
                account, scope, used = redeemed
                if used:
                    raise OAuthError(
                        400, "invalid_grant", "This authorization code has already been used."
                    )
            elif grant == "refresh_token":
                refresh = form.get("refresh_token", "")
                found = store.account_for_token(conn, "refresh_token", refresh)
                if found is None:
                    raise OAuthError(400, "invalid_grant", f"Invalid refresh token: {refresh}")
                account, scope = found, store.connection_scope(conn, found) or "read_write"
            else:
                raise OAuthError(
                    400,
                    "unsupported_grant_type",
                    f"Unsupported grant type: {grant!r} (use authorization_code or refresh_token)",
                )
            merchant = merchant_for_account(self.config, account)
            if merchant is None:
                raise OAuthError(400, "invalid_grant", f"No such account: {account}")
            ensure_generated(conn, self.config, merchant.key)
            access, refresh = _token("sk_test_"), _token("rt_")
            store.set_connection(conn, account, scope, access, refresh)
        return {
            "access_token": access,
            "livemode": False,
            "refresh_token": refresh,
            "scope": scope,
            "stripe_publishable_key": "pk_test_" + digest62(f"pk:{account}", 32),
            "stripe_user_id": account,
            "token_type": "bearer",
        }

    async def deauthorize(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        try:
            self._check_secret(request.headers, form)
            if form.get("client_id") != self.config.client_id:
                raise OAuthError(
                    400, "invalid_client", f"No such application: {form.get('client_id')!r}"
                )
            account = form.get("stripe_user_id", "")
            await anyio.to_thread.run_sync(self._disconnect, account)
        except OAuthError as exc:
            return exc.response()
        return Response(store.dumps({"stripe_user_id": account}), media_type="application/json")

    def _disconnect(self, account: str) -> None:
        with self.api.connection() as conn:
            if not store.disconnect(conn, account):
                raise OAuthError(
                    401,
                    "invalid_client",
                    f"This application is not connected to stripe account {account}, "
                    "or that account does not exist.",
                )


def _invalid(message: str) -> Response:
    """Stripe shows the user an error page (it cannot trust the redirect_uri)."""
    return HTMLResponse(f"<h1>Invalid request</h1><p>{html.escape(message)}</p>", 400)


def _with_query(url: str, params: dict[str, str]) -> str:
    return url + ("&" if urlsplit(url).query else "?") + urlencode(params)
