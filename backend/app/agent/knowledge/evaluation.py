"""Retrieval evaluation over ``docs/knowledge/eval/questions.jsonl``.

Each question line is ``{"question": str, "expected_doc_ids": [str, ...]}``. A retrieval
backend is any ``search_fn(question) -> ranked results`` where a result is a chunk id
(``"doc_id#index"``), a ``(chunk_id, score)`` pair, or an object with a ``chunk_id``
attribute; the doc id is the part before the last ``#``. That makes the same evaluation
usable for BM25 and for a vector store later.

* ``recall_at_5``: fraction of questions for which any expected doc id is among the doc ids
  of the top ``k`` (5) results.
* ``mrr``: mean over questions of 1 / rank of the first result (counted in chunks, 1-based)
  whose doc id is expected, within the top ``k``; 0 when none is (i.e. MRR@k).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict


@dataclass(frozen=True, slots=True)
class EvalQuestion:
    question: str
    expected_doc_ids: tuple[str, ...]


class Miss(TypedDict):
    question: str
    expected_doc_ids: list[str]
    retrieved_doc_ids: list[str]


class EvalResult(TypedDict):
    recall_at_5: float
    mrr: float
    n: int
    misses: list[Miss]


SearchFn = Callable[[str], Sequence[Any]]


def load_questions(path: str | Path) -> list[EvalQuestion]:
    """Read a JSONL question file (blank lines and ``//`` comment lines are skipped)."""
    questions: list[EvalQuestion] = []
    for line_no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("//"):
            continue
        item = json.loads(stripped)
        expected = item.get("expected_doc_ids")
        if not isinstance(item.get("question"), str) or not isinstance(expected, list):
            raise ValueError(f"{path}:{line_no}: need 'question' and 'expected_doc_ids'")
        if not expected:
            raise ValueError(f"{path}:{line_no}: 'expected_doc_ids' is empty")
        questions.append(EvalQuestion(item["question"], tuple(str(d) for d in expected)))
    return questions


def doc_id_of(result: Any) -> str:
    """Doc id of one search result (chunk id string, ``(chunk_id, score)``, or object)."""
    if isinstance(result, str):
        chunk_id = result
    elif isinstance(result, tuple | list):
        chunk_id = str(result[0])
    else:
        chunk_id = str(result.chunk_id)
    return chunk_id.rsplit("#", 1)[0]


def evaluate(search_fn: SearchFn, questions: Iterable[EvalQuestion], k: int = 5) -> EvalResult:
    """Recall@k (reported as ``recall_at_5``), MRR@k and the missed questions."""
    n = 0
    hits = 0
    reciprocal_ranks = 0.0
    misses: list[Miss] = []
    for q in questions:
        n += 1
        retrieved = [doc_id_of(r) for r in list(search_fn(q.question))[:k]]
        expected = set(q.expected_doc_ids)
        rank = next((i for i, d in enumerate(retrieved, 1) if d in expected), None)
        if rank is None:
            misses.append(
                {
                    "question": q.question,
                    "expected_doc_ids": list(q.expected_doc_ids),
                    "retrieved_doc_ids": retrieved,
                }
            )
        else:
            hits += 1
            reciprocal_ranks += 1.0 / rank
    return {
        "recall_at_5": hits / n if n else 0.0,
        "mrr": reciprocal_ranks / n if n else 0.0,
        "n": n,
        "misses": misses,
    }


def answerable(questions: Iterable[EvalQuestion], doc_ids: Iterable[str]) -> list[EvalQuestion]:
    """Questions with at least one expected doc present in ``doc_ids``, restricted to them.

    Lets the evaluation run while a document is still missing from the knowledge base:
    questions that only it could answer are dropped, others keep their present docs.
    """
    present = set(doc_ids)
    kept: list[EvalQuestion] = []
    for q in questions:
        expected = tuple(d for d in q.expected_doc_ids if d in present)
        if expected:
            kept.append(EvalQuestion(q.question, expected))
    return kept
