"""A local OpenID provider standing in for Google in tests: authorize, token (PKCE), JWKS."""

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route

CLIENT_ID = "vaultra-test-client.apps.example"
CLIENT_SECRET = "test-google-client-secret"


@dataclass
class LocalOpenIDProvider:
    issuer: str = ""
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    kid: str = field(default_factory=lambda: secrets.token_hex(8))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Claims to force into the next ID token (a wrong audience, an old exp, ...).
    overrides: dict[str, Any] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    async def authorize(self, request: Request) -> RedirectResponse:
        params = request.query_params
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "client_id": params["client_id"],
            "redirect_uri": params["redirect_uri"],
            "nonce": params.get("nonce"),
            "challenge": params.get("code_challenge"),
            "sub": params.get("login_sub", "google-sub-1"),
            "email": params.get("login_email", "founder@gmail.example"),
            "name": params.get("login_name", "Google Founder"),
        }
        query = urlencode({"code": code, "state": params["state"]})
        return RedirectResponse(f"{params['redirect_uri']}?{query}", status_code=302)

    async def token(self, request: Request) -> JSONResponse:
        form = dict(await request.form())
        self.token_requests.append({k: str(v) for k, v in form.items()})
        grant = self.codes.pop(str(form.get("code")), None)
        if grant is None or form.get("client_secret") != CLIENT_SECRET:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = str(form.get("code_verifier", ""))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if challenge.rstrip(b"=").decode() != grant["challenge"]:
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse({"error": "redirect_uri_mismatch"}, status_code=400)
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": grant["client_id"],
            "sub": grant["sub"],
            "email": grant["email"],
            "email_verified": True,
            "name": grant["name"],
            "nonce": grant["nonce"],
            "iat": now,
            "exp": now + 3600,
            **self.overrides,
        }
        id_token = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})
        return JSONResponse({"access_token": "ya29.test", "id_token": id_token, "expires_in": 3600})

    async def jwks_endpoint(self, _request: Request) -> JSONResponse:
        return JSONResponse(self.jwks())

    def asgi(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
                Route("/jwks", self.jwks_endpoint),
            ]
        )
