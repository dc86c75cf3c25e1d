"""The vendored cl100k_base tokenizer must be identical to tiktoken's and fully offline."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import tiktoken

from app.agent.knowledge import tokenizer


def test_ranks_file_is_the_official_cl100k_base() -> None:
    data = tokenizer.RANKS_PATH.read_bytes()
    # The expected_hash tiktoken pins for the official download (tiktoken_ext/openai_public).
    assert hashlib.sha256(data).hexdigest() == (
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
    )
    assert len(tokenizer.load_ranks()) == 100_256


def test_same_definition_as_installed_tiktoken(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run tiktoken's own cl100k_base constructor, feeding it the vendored file offline."""
    from tiktoken_ext import openai_public

    seen: dict[str, object] = {}

    def offline_load(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        seen["url"], seen["hash"] = url, expected_hash
        return tokenizer.load_ranks()

    monkeypatch.setattr(openai_public, "load_tiktoken_bpe", offline_load)
    official = openai_public.cl100k_base()
    assert seen["hash"] == tokenizer.RANKS_SHA256
    assert str(seen["url"]).endswith("/cl100k_base.tiktoken")
    assert official["pat_str"] == tokenizer.PAT_STR
    assert official["special_tokens"] == tokenizer.SPECIAL_TOKENS

    reference = tiktoken.Encoding(**official)
    ours = tokenizer.get_encoding()
    samples = [
        Path(__file__).read_text(encoding="utf-8"),
        "Visa VAMP: 2.2% until March 2026; 1.5% from April 2026.\r\n\tDSCR >= 1.25",
        "  leading spaces, trailing spaces   \n\n\n",
        "emoji \U0001f44d\U0001f3fd and CJK \u4e16\u754c and accents \u00e9\u00e8",
    ]
    for text in samples:
        assert ours.encode(text, disallowed_special=()) == reference.encode(
            text, disallowed_special=()
        )


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("hello world", [15339, 1917]),
        ("tiktoken is great!", [83, 1609, 5963, 374, 2294, 0]),
        ("\U0001f44d", [9468, 239, 235]),
        ("Chargeback ratio 0.65%", [56463, 1445, 11595, 220, 15, 13, 2397, 4]),
    ],
)
def test_known_token_ids(text: str, ids: list[int]) -> None:
    assert tokenizer.encode(text) == ids
    assert tokenizer.decode(ids) == text
    assert tokenizer.count_tokens(text) == len(ids)


def test_encoding_shape() -> None:
    enc = tokenizer.get_encoding()
    assert isinstance(enc, tiktoken.Encoding)
    assert enc.name == "cl100k_base"
    assert enc.n_vocab == 100_277
    assert enc.encode("hello <|endoftext|>", allowed_special="all") == [15339, 220, 100257]


def test_special_token_text_is_counted_as_plain_text() -> None:
    # Documents may contain "<|endoftext|>" literally; it must not raise or be special.
    assert 100257 not in tokenizer.encode("<|endoftext|>")
    assert tokenizer.count_tokens("<|endoftext|>") > 1


def test_round_trip_of_mixed_text() -> None:
    text = "Payouts ≥ $5,000 — résumé 世界\n\n| a | b |\n"
    assert tokenizer.decode(tokenizer.encode(text)) == text
    assert tokenizer.count_tokens("") == 0


def test_builds_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "/nonexistent-cache-dir")
    tokenizer.get_encoding.cache_clear()
    try:
        assert tokenizer.encode("hello world") == [15339, 1917]
    finally:
        tokenizer.get_encoding.cache_clear()


def test_fresh_interpreter_never_imports_a_downloader() -> None:
    # In a clean process, tokenizing must neither open sockets nor import requests/blobfile.
    code = (
        "import socket, sys\n"
        "def boom(*a, **k): raise SystemExit('network access attempted')\n"
        "socket.socket = boom; socket.create_connection = boom\n"
        "from app.agent.knowledge.tokenizer import count_tokens\n"
        "assert count_tokens('hello world') == 2\n"
        "assert 'requests' not in sys.modules and 'blobfile' not in sys.modules\n"
    )
    backend = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=backend,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "", "TIKTOKEN_CACHE_DIR": "/nonexistent-cache-dir"},
    )
    assert result.returncode == 0, result.stderr


def test_tampered_ranks_file_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "cl100k_base.tiktoken"
    bad.write_bytes(tokenizer.RANKS_PATH.read_bytes().replace(b" 0\n", b" 1\n", 1))
    with pytest.raises(tokenizer.TokenizerDataError):
        tokenizer.load_ranks(bad)
