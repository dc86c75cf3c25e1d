"""Offline ``cl100k_base`` tokenizer.

``tiktoken.get_encoding("cl100k_base")`` downloads its BPE ranks file from a blob store
the first time it runs, which is impossible on machines without internet access. This
module builds the very same encoding from a vendored copy of the ranks file
(``data/cl100k_base.tiktoken``, see ``data/README.md``), checks its SHA-256 against the
hash tiktoken itself pins for the official download, and never touches the network.

The encoding is created lazily on first use and cached for the life of the process.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path

import tiktoken

ENCODING_NAME = "cl100k_base"
RANKS_PATH = Path(__file__).resolve().parent / "data" / "cl100k_base.tiktoken"
# Same value as ``expected_hash`` in tiktoken_ext/openai_public.py::cl100k_base.
RANKS_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
N_MERGEABLE_RANKS = 100_256

# Copied from tiktoken_ext/openai_public.py (tiktoken 0.14.0).
PAT_STR = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+|"""
    r""" ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
SPECIAL_TOKENS: dict[str, int] = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}


class TokenizerDataError(RuntimeError):
    """The vendored ranks file is missing or is not the official cl100k_base file."""


def load_ranks(path: Path = RANKS_PATH) -> dict[bytes, int]:
    """Read and verify a ``.tiktoken`` ranks file (``base64(token) rank`` per line)."""
    try:
        data = path.read_bytes()
    except OSError as exc:  # pragma: no cover - packaging error
        raise TokenizerDataError(f"cl100k_base ranks file not found at {path}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != RANKS_SHA256:
        raise TokenizerDataError(
            f"{path} has sha256 {digest}, expected {RANKS_SHA256} (official cl100k_base)"
        )
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if not line:
            continue
        token, rank = line.split()
        ranks[base64.b64decode(token)] = int(rank)
    if len(ranks) != N_MERGEABLE_RANKS:  # pragma: no cover - guarded by the hash
        raise TokenizerDataError(f"expected {N_MERGEABLE_RANKS} ranks, got {len(ranks)}")
    return ranks


@lru_cache(maxsize=1)
def get_encoding() -> tiktoken.Encoding:
    """The ``cl100k_base`` encoding, built offline from the vendored ranks file."""
    return tiktoken.Encoding(
        name=ENCODING_NAME,
        pat_str=PAT_STR,
        mergeable_ranks=load_ranks(),
        special_tokens=SPECIAL_TOKENS,
    )


def encode(text: str) -> list[int]:
    """Token ids of ``text``; special-token strings are encoded as ordinary text."""
    return get_encoding().encode(text, disallowed_special=())


def decode(tokens: list[int]) -> str:
    """Text for ``tokens`` (invalid UTF-8 at token boundaries is replaced)."""
    return get_encoding().decode(tokens)


def count_tokens(text: str) -> int:
    """Number of ``cl100k_base`` tokens in ``text``."""
    return len(encode(text))
