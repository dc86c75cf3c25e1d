"""The Pinecone adapter, contract-tested at the HTTP level against a local fake data plane."""

import math
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.agent.knowledge import DEFAULT_KNOWLEDGE_DIR, chunk_document, load_documents
from app.agent.retrieval.pinecone_index import PineconeIndex, PineconeRetriever
from app.core.config import Settings
from tests.agent.conftest import FakeOpenAI, llm_settings, running_app, toy_embedding
from tests.servers import serve_in_thread


@dataclass
class FakePinecone:
    """The three data-plane calls Vaultra makes, with an in-memory store behind them."""

    requests: list[tuple[str, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    vectors: dict[str, dict[str, Any]] = field(default_factory=dict)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/vectors/upsert", self._upsert, methods=["POST"]),
                Route("/query", self._query, methods=["POST"]),
                Route("/vectors/delete", self._delete, methods=["POST"]),
            ]
        )

    async def _record(self, request: Request) -> dict[str, Any]:
        body: dict[str, Any] = await request.json()
        self.requests.append((request.url.path, dict(request.headers), body))
        return body

    async def _upsert(self, request: Request) -> JSONResponse:
        body = await self._record(request)
        for vector in body["vectors"]:
            self.vectors[vector["id"]] = vector
        return JSONResponse({"upsertedCount": len(body["vectors"])})

    async def _query(self, request: Request) -> JSONResponse:
        body = await self._record(request)
        ranked = sorted(self.vectors.values(), key=lambda v: -_cosine(v["values"], body["vector"]))[
            : body["topK"]
        ]
        return JSONResponse(
            {
                "matches": [
                    {
                        "id": v["id"],
                        "score": _cosine(v["values"], body["vector"]),
                        "metadata": v["metadata"] if body.get("includeMetadata") else None,
                    }
                    for v in ranked
                ],
                "namespace": body.get("namespace", ""),
            }
        )

    async def _delete(self, request: Request) -> JSONResponse:
        body = await self._record(request)
        for vector_id in body.get("ids", []):
            self.vectors.pop(vector_id, None)
        return JSONResponse({})

    def calls(self, path: str) -> list[dict[str, Any]]:
        return [body for p, _, body in self.requests if p == path]


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)) or 1.0)


@pytest.fixture
def pinecone() -> Iterator[tuple[FakePinecone, str]]:
    fake = FakePinecone()
    with serve_in_thread(fake.app()) as url:
        yield fake, url


async def test_adapter_request_shapes(pinecone: tuple[FakePinecone, str]) -> None:
    fake, url = pinecone
    index = PineconeIndex(api_key="pc-test-key", index_name="kb", host=url, namespace="docs")
    try:
        await index.upsert(
            [
                {"id": "a#0", "values": [1.0, 0.0], "metadata": {"doc_id": "a", "text": "alpha"}},
                {"id": "b#0", "values": [0.0, 1.0], "metadata": {"doc_id": "b", "text": "beta"}},
            ]
        )
        matches = await index.query([0.9, 0.1], 1)
        await index.delete(["a#0"])
        await index.delete([])  # nothing to delete: no request
    finally:
        await index.close()

    assert [path for path, _, _ in fake.requests] == [
        "/vectors/upsert",
        "/query",
        "/vectors/delete",
    ]
    for _, headers, _ in fake.requests:
        assert headers["api-key"] == "pc-test-key"
        assert headers["x-pinecone-api-version"]
    assert fake.calls("/vectors/upsert") == [
        {
            "vectors": [
                {"id": "a#0", "values": [1.0, 0.0], "metadata": {"doc_id": "a", "text": "alpha"}},
                {"id": "b#0", "values": [0.0, 1.0], "metadata": {"doc_id": "b", "text": "beta"}},
            ],
            "namespace": "docs",
        }
    ]
    [query] = fake.calls("/query")
    assert query == {
        "topK": 1,
        "vector": [0.9, 0.1],
        "includeValues": False,
        "includeMetadata": True,
        "namespace": "docs",
    }
    assert fake.calls("/vectors/delete") == [{"ids": ["a#0"], "namespace": "docs"}]
    assert matches == [("a#0", pytest.approx(_cosine([1.0, 0.0], [0.9, 0.1])), matches[0][2])]
    assert matches[0][2] == {"doc_id": "a", "text": "alpha"}


async def test_ingest_and_search_through_pinecone(
    settings: Settings, pinecone: tuple[FakePinecone, str], tmp_path: Path
) -> None:
    fake, pinecone_url = pinecone
    folder = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, folder, ignore=shutil.ignore_patterns("eval"))
    documents = load_documents(folder)
    expected_ids = {c.chunk_id for d in documents for c in chunk_document(d)}
    openai = FakeOpenAI()
    with serve_in_thread(openai.app()) as openai_url:
        configured = llm_settings(
            settings,
            openai_url,
            openai_embedding_model="text-embedding-3-small",
            pinecone_api_key=SecretStr("pc-test-key"),
            pinecone_host=pinecone_url,
            knowledge_dir=folder,
        )
        async with running_app(configured) as (app, _):
            runtime = app.state.agent
            assert isinstance(runtime.retriever, PineconeRetriever)
            report = await runtime.ingest()
            assert len(report.added) == len(documents)
            upserted = [v for body in fake.calls("/vectors/upsert") for v in body["vectors"]]
            assert {v["id"] for v in upserted} == expected_ids
            sample = upserted[0]
            assert set(sample["metadata"]) >= {"source", "category", "doc_id", "text"}
            assert sample["values"] == toy_embedding(sample["metadata"]["text"])
            assert openai.embedding_requests[0]["model"] == "text-embedding-3-small"

            # Unchanged documents: nothing re-embedded, nothing sent.
            sent = len(fake.requests)
            embedded = len(openai.embedding_requests)
            again = await runtime.ingest()
            assert again.unchanged
            assert not again.changed
            assert len(fake.requests) == sent
            assert len(openai.embedding_requests) == embedded

            # A shortened document is re-upserted and its stale chunks deleted.
            path = folder / "payout-timing.md"
            text = path.read_text()
            path.write_text(text[: len(text) // 3])
            (folder / "revenue-stability.md").unlink()
            old_payout = {i for i in expected_ids if i.startswith("payout-timing#")}
            changed = await runtime.ingest()
            assert changed.updated == ["payout-timing"]
            assert changed.deleted == ["revenue-stability"]
            new_upserts = [
                v["id"] for body in fake.calls("/vectors/upsert")[-1:] for v in body["vectors"]
            ]
            assert new_upserts
            assert all(i.startswith("payout-timing#") for i in new_upserts)
            deleted = {i for body in fake.calls("/vectors/delete") for i in body["ids"]}
            assert deleted == (old_payout - set(new_upserts)) | {
                i for i in expected_ids if i.startswith("revenue-stability#")
            }
            assert not any(i.startswith("revenue-stability#") for i in fake.vectors)

            found = await runtime.retriever.search("chargeback dispute chargeback", 3)
            assert len(found) == 3
            assert found[0].doc_id == "reducing-chargebacks"
            assert found[0].text
            assert found[0].source
            assert found[0].category
            query = fake.calls("/query")[-1]
            assert query["vector"] == toy_embedding("chargeback dispute chargeback")

            # The local index has the same vectors and fuses them with BM25.
            local = await runtime.local.search("how do I reduce chargebacks", 5)
            assert local[0].doc_id == "reducing-chargebacks"
