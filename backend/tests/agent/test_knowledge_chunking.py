"""Chunking: size limit, 50-token overlap, heading prefixes, metadata, stable ids."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.agent.knowledge import DEFAULT_KNOWLEDGE_DIR
from app.agent.knowledge.chunking import Chunk, chunk_document, chunk_documents, split_sections
from app.agent.knowledge.documents import Document, load_documents, parse_document
from app.agent.knowledge.tokenizer import count_tokens, decode, encode

BACKEND = Path(__file__).resolve().parents[2]
WORDS = [
    "lenders",
    "review",
    "monthly",
    "revenue",
    "chargeback",
    "ratios",
    "payout",
    "history",
    "reserves",
    "refunds",
    "disputes",
    "customers",
    "growth",
    "churn",
    "seasonality",
    "forecasts",
    "statements",
    "descriptors",
]


def _paragraph(seed: int, n_words: int) -> str:
    words = [WORDS[(seed * 7 + i * 3) % len(WORDS)] for i in range(n_words)]
    sentences = [" ".join(words[i : i + 12]).capitalize() + "." for i in range(0, n_words, 12)]
    return " ".join(sentences)


def _long_doc(doc_id: str = "long-doc") -> Document:
    parts = ["---", f"doc_id: {doc_id}", "title: A long test document", "category: testing"]
    parts += ["source: unit-test", "---", "", "# A long test document", ""]
    parts += [_paragraph(0, 60), ""]
    parts += ["## A very long section", ""]
    parts += [_paragraph(s, 90) + "\n" for s in range(1, 30)]  # ~3,000 tokens
    parts += ["## A short section", "", _paragraph(99, 40), ""]
    parts += ["## Another long section", ""]
    parts += [_paragraph(s, 150) + "\n" for s in range(40, 52)]
    return parse_document("\n".join(parts), doc_id)


@pytest.fixture(scope="module")
def long_chunks() -> list[Chunk]:
    return chunk_document(_long_doc())


def test_chunks_never_exceed_512_tokens(long_chunks: list[Chunk]) -> None:
    assert len(long_chunks) >= 8
    for chunk in long_chunks:
        assert chunk.token_count == count_tokens(chunk.text) <= 512
        assert chunk.text == chunk.prefix + chunk.body


def test_long_sections_are_filled_not_fragmented(long_chunks: list[Chunk]) -> None:
    by_section: dict[str, list[Chunk]] = {}
    for chunk in long_chunks:
        by_section.setdefault(chunk.heading, []).append(chunk)
    long_section = by_section["A very long section"]
    assert len(long_section) >= 6
    for chunk in long_section[:-1]:
        assert chunk.token_count >= 256  # only the last piece of a section may be small


def test_consecutive_chunks_of_a_section_overlap_by_50_tokens(long_chunks: list[Chunk]) -> None:
    pairs = 0
    for prev, nxt in itertools.pairwise(long_chunks):
        if prev.heading != nxt.heading:
            assert nxt.overlap_tokens == 0
            continue
        pairs += 1
        tail = encode(prev.body)[-50:]
        assert count_tokens(decode(tail)) == 50
        assert nxt.body.startswith(decode(tail))
        assert nxt.overlap_tokens == 50
        # Only 50 tokens are shared: the next chunk continues with new text.
        assert not nxt.body.startswith(decode(encode(prev.body)[-60:]))
    assert pairs >= 6


def test_split_points_prefer_paragraph_boundaries(long_chunks: list[Chunk]) -> None:
    continued = [
        prev for prev, nxt in itertools.pairwise(long_chunks) if prev.heading == nxt.heading
    ]
    assert continued
    for chunk in continued:
        assert chunk.body.endswith("\n")


def test_every_chunk_carries_its_section_heading(long_chunks: list[Chunk]) -> None:
    for chunk in long_chunks:
        assert chunk.text.startswith("A long test document")
        first_line = chunk.text.splitlines()[0]
        if chunk.heading != "A long test document":
            assert first_line == f"A long test document > {chunk.heading}"
    assert {c.heading for c in long_chunks} == {
        "A long test document",
        "A very long section",
        "A short section",
        "Another long section",
    }


def test_metadata_and_ids(long_chunks: list[Chunk]) -> None:
    for i, chunk in enumerate(long_chunks):
        assert chunk.chunk_id == f"long-doc#{i}"
        assert chunk.index == i
        assert chunk.doc_id == "long-doc"
        assert chunk.metadata == {
            "source": "unit-test",
            "category": "testing",
            "doc_id": "long-doc",
        }
        assert len(chunk.content_hash) == 64
    assert json.loads(json.dumps(long_chunks[0].to_dict()))["chunk_id"] == "long-doc#0"


def test_ids_and_hashes_are_stable_across_runs(long_chunks: list[Chunk]) -> None:
    again = chunk_document(_long_doc())
    assert [(c.chunk_id, c.content_hash) for c in again] == [
        (c.chunk_id, c.content_hash) for c in long_chunks
    ]
    # And across processes (no dependence on hash seeds or other per-process state).
    code = (
        "import json\n"
        "from app.agent.knowledge import KnowledgeBase\n"
        "kb = KnowledgeBase.load()\n"
        "print(json.dumps([[c.chunk_id, c.content_hash] for c in kb.chunks]))\n"
    )
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=BACKEND,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
            env=env,
        )
        outputs.append(json.loads(result.stdout))
    assert outputs[0] == outputs[1]
    docs = load_documents(DEFAULT_KNOWLEDGE_DIR)
    assert [[c.chunk_id, c.content_hash] for c in chunk_documents(docs)] == outputs[0]


def test_editing_one_section_keeps_other_hashes() -> None:
    doc = _long_doc()
    edited = Document(
        doc_id=doc.doc_id,
        title=doc.title,
        category=doc.category,
        source=doc.source,
        text=doc.text.replace("## A short section\n\n", "## A short section\n\nNew sentence.\n\n"),
        sha256="x",
    )
    before = {c.heading: c.content_hash for c in chunk_document(doc)}
    after = {c.heading: c.content_hash for c in chunk_document(edited)}
    assert before["A short section"] != after["A short section"]
    assert before["A long test document"] == after["A long test document"]


def test_unbroken_text_and_multibyte_characters_are_split_safely() -> None:
    text = "# Title\n\n## Wall\n\n" + ("x" * 6000) + "\n\n## Unicode\n\n" + ("€≥世界👍" * 900)
    chunks = chunk_document(parse_document(text, "wall"))
    assert len(chunks) > 4
    for chunk in chunks:
        assert chunk.token_count <= 512
        assert "\ufffd" not in chunk.text
    unicode_chunks = [c for c in chunks if c.heading == "Unicode"]
    assert len(unicode_chunks) > 1
    assert "".join(c.body for c in unicode_chunks[:1]).startswith("€≥世界👍")


def test_overlap_across_sections_option() -> None:
    chunks = chunk_document(_long_doc(), overlap_across_sections=True)
    for prev, nxt in itertools.pairwise(chunks):
        assert nxt.overlap_tokens == 50
        assert nxt.token_count <= 512
        # The shared text is a suffix of the previous body and a prefix of the next one.
        # (Measured on re-encoded text, a token can merge with the blank line added before
        # the new section, so allow +-1.)
        shared = max(k for k in range(len(nxt.body) + 1) if prev.body.endswith(nxt.body[:k]))
        assert 49 <= count_tokens(nxt.body[:shared]) <= 51


def test_headings_inside_code_fences_do_not_split() -> None:
    text = "# T\n\n## Real\n\nIntro.\n\n```\n## not a heading\n```\n\nAfter the fence.\n"
    sections = split_sections(parse_document(text, "fence"))
    assert [s.heading for s in sections] == ["Real"]
    assert "## not a heading" in sections[0].body


def test_real_knowledge_base_chunks() -> None:
    docs = load_documents(DEFAULT_KNOWLEDGE_DIR)
    ids = {d.doc_id for d in docs}
    assert {
        "funding-readiness-factors",
        "reducing-chargebacks",
        "revenue-stability",
        "payout-timing",
    } <= ids
    chunks = chunk_documents(docs)
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    for chunk in chunks:
        assert chunk.token_count <= 512
        assert chunk.body.strip()
        assert set(chunk.metadata) == {"source", "category", "doc_id"}
        assert all(chunk.metadata.values())
    categories = {c.doc_id: c.metadata["category"] for c in chunks}
    assert categories["funding-readiness-factors"] == "lending-criteria"
    assert categories["reducing-chargebacks"] == "chargebacks"
    assert categories["revenue-stability"] == "cash-flow"
    assert categories["payout-timing"] == "cash-flow"
