"""Front matter parsing and document loading."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from app.agent.knowledge import DEFAULT_KNOWLEDGE_DIR
from app.agent.knowledge.documents import (
    body_without_title,
    load_document,
    load_documents,
    parse_document,
    parse_front_matter,
)

EXPECTED = {
    "funding-readiness-factors": ("lending-criteria", "lending-criteria"),
    "reducing-chargebacks": ("chargebacks", "best-practices"),
    "revenue-stability": ("cash-flow", "best-practices"),
    "payout-timing": ("cash-flow", "best-practices"),
}


def test_front_matter_is_parsed() -> None:
    meta, body = parse_front_matter('---\ndoc_id: a\ntitle: "Quoted: title"\n---\n# H\n')
    assert meta == {"doc_id": "a", "title": "Quoted: title"}
    assert body == "# H\n"


def test_the_body_loses_only_a_leading_title_heading() -> None:
    titled = parse_document("---\ntitle: T\n---\n# T\n\nText.\n\n# Part\n", "t")
    assert body_without_title(titled) == "Text.\n\n# Part\n"
    untitled = parse_document("Text first.\n\n# Later heading\n", "u")
    assert body_without_title(untitled) == "Text first.\n\n# Later heading\n"
    assert untitled.title == "Later heading"


def test_real_documents_have_front_matter_and_substance() -> None:
    docs = {d.doc_id: d for d in load_documents(DEFAULT_KNOWLEDGE_DIR)}
    for doc_id, (category, source) in EXPECTED.items():
        doc = docs[doc_id]
        path = Path(doc.path)
        assert path.stem == doc_id
        assert (doc.category, doc.source) == (category, source)
        assert doc.title
        assert not doc.text.startswith("---")
        assert doc.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        words = len(doc.text.split())
        assert 900 <= words <= 1700, (doc_id, words)
        assert doc.text.count("\n## ") >= 5
        assert "## Sources" in doc.text


def test_missing_front_matter_falls_back_to_file_stem(tmp_path: Path) -> None:
    p = tmp_path / "readiness-score-explained.md"
    p.write_text("# How the score works\n\nBody.\n", encoding="utf-8")
    doc = load_document(p)
    assert doc.doc_id == "readiness-score-explained"
    assert doc.title == "How the score works"
    assert (doc.category, doc.source) == ("best-practices", "best-practices")
    other = tmp_path / "misc-notes.md"
    other.write_text("No heading at all.\n", encoding="utf-8")
    misc = load_document(other)
    assert (misc.doc_id, misc.title, misc.category) == ("misc-notes", "Misc notes", "general")


def test_folder_loading_skips_readme_and_subfolders(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# readme\n", encoding="utf-8")
    (tmp_path / "_draft.md").write_text("# draft\n", encoding="utf-8")
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "x.md").write_text("# x\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("# b\n", encoding="utf-8")
    (tmp_path / "a.md").write_text("---\ndoc_id: a\n---\n# a\n", encoding="utf-8")
    assert [d.doc_id for d in load_documents(tmp_path)] == ["a", "b"]


def test_duplicate_doc_ids_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# a\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("---\ndoc_id: a\n---\n# b\n", encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate doc_id"):
        load_documents(tmp_path)
