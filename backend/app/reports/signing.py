"""Ed25519 signatures over a report's canonical JSON, and the short code printed with it.

The key is Vaultra's (REPORT_SIGNING_KEY), not the founder's: a valid signature says Vaultra
produced these exact figures at the stated time. The public half is published as a JWK at
/.well-known/vaultra-report-key, so anyone can check a payload without asking Vaultra.

Canonical form: `json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`,
UTF-8. The stored payload is that text itself, so what is verified is byte for byte what was
signed (a JSONB round trip could reorder keys or respell a float).
"""

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.core.config import Settings

# 10 base32 characters = 50 bits of the signature's SHA-256: a 1 in 10^15 chance that a
# guessed code names a share, and short enough to read out over the phone ("ABCDE-FGHJK").
CODE_CHARS = 10


def canonical_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class ReportSigner:
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def public_bytes(self) -> bytes:
        return self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def key_id(self) -> str:
        """The first 16 characters of the public key's SHA-256 (base64url): rotation-proof."""
        return _b64url(hashlib.sha256(self.public_bytes).digest())[:16]

    def jwk(self) -> dict[str, str]:
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": _b64url(self.public_bytes),
            "kid": self.key_id,
            "use": "sig",
            "alg": "EdDSA",
        }

    def sign(self, canonical: str) -> str:
        return _b64url(self.private_key.sign(canonical.encode()))

    def verify(self, canonical: str, signature: str) -> bool:
        try:
            self.public_key.verify(_unb64url(signature), canonical.encode())
        except (InvalidSignature, ValueError):
            return False
        return True


def verification_code(signature: str) -> str:
    """`ABCDE-FGHJK`: derived from the signature, so it names exactly one signed report."""
    digest = base64.b32encode(hashlib.sha256(signature.encode()).digest()).decode()
    code = digest[:CODE_CHARS]
    return f"{code[:5]}-{code[5:]}"


def normalize_code(text: str) -> str:
    """What a person typed, as stored: upper case, the dash put back, spaces dropped."""
    letters = "".join(ch for ch in text.upper() if ch.isalnum())
    return f"{letters[:5]}-{letters[5:]}" if len(letters) == CODE_CHARS else letters


@lru_cache(maxsize=4)
def _signer(seed: str) -> ReportSigner:
    return ReportSigner(Ed25519PrivateKey.from_private_bytes(_unb64url(seed)))


def get_signer(settings: Settings) -> ReportSigner:
    return _signer(settings.resolved_report_signing_key())
