"""The local knowledge index: idempotent ingestion, cache refresh, recall, and the CLI."""

import asyncio
import shutil
from pathlib import Path

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from app.agent.knowledge import DEFAULT_KNOWLEDGE_DIR, DEFAULT_QUESTIONS_PATH, load_documents
from app.agent.knowledge.evaluation import evaluate, load_questions
from app.agent.runtime import AgentRuntime
from app.cli import cli
from app.core import config
from app.core.config import AppEnv, Settings
from app.core.db import Database
from tests.agent.conftest import running_app
from tests.conftest import TEST_DB, _clean


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, target, ignore=shutil.ignore_patterns("eval"))
    return target


async def test_ingest_is_idempotent_and_search_follows(app: FastAPI, folder: Path) -> None:
    runtime: AgentRuntime = app.state.agent
    assert await runtime.local.search("chargebacks") == []

    first = await runtime.ingest(folder)
    doc_ids = sorted(doc.doc_id for doc in load_documents(folder))
    assert sorted(first.added) == doc_ids
    assert first.chunks_written > len(doc_ids)
    found = await runtime.local.search("how do I reduce chargebacks?")
    assert len(found) == 5
    assert found[0].doc_id == "reducing-chargebacks"
    assert found[0].category == "chargebacks"
    assert found[0].source == "best-practices"
    assert found[0].chunk_id.startswith("reducing-chargebacks#")
    assert found[0].score >= found[-1].score

    second = await runtime.ingest(folder)
    assert sorted(second.unchanged) == doc_ids
    assert not second.changed
    assert second.chunks_written == 0

    (folder / "reducing-chargebacks.md").unlink()
    note = folder / "payout-timing.md"
    note.write_text(note.read_text() + "\n\n## Zebra payouts\n\nZebra-striped payouts are rare.\n")
    third = await runtime.ingest(folder)
    assert third.updated == ["payout-timing"]
    assert third.deleted == ["reducing-chargebacks"]
    assert sorted(third.unchanged) == [d for d in doc_ids if d not in third.updated + third.deleted]
    # The cached index notices the re-ingest at once.
    assert (await runtime.local.search("zebra-striped"))[0].doc_id == "payout-timing"
    assert all(c.doc_id != "reducing-chargebacks" for c in await runtime.local.search("chargeback"))

    forced = await runtime.ingest(folder, force=True)
    assert len(forced.updated) == len(doc_ids) - 1


async def test_local_recall_meets_the_goal(knowledge: AgentRuntime) -> None:
    questions = load_questions(DEFAULT_QUESTIONS_PATH)
    found = {q.question: await knowledge.local.search(q.question, 5) for q in questions}
    result = evaluate(lambda question: found[question], questions)
    assert result["n"] == len(questions) >= 40
    assert result["recall_at_5"] >= 0.9, result["misses"]
    assert result["mrr"] >= 0.7


def test_kb_cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.setattr(config, "get_settings", lambda: settings)
    runner = CliRunner()
    try:
        empty = runner.invoke(cli, ["kb", "eval"])
        assert empty.exit_code == 1
        ingest = runner.invoke(cli, ["kb", "ingest", "--folder", str(folder)])
        assert ingest.exit_code == 0, ingest.output
        assert "5 added, 0 updated, 0 deleted, 0 unchanged" in ingest.output
        again = runner.invoke(cli, ["kb", "ingest", "--folder", str(folder)])
        assert "0 added, 0 updated, 0 deleted, 5 unchanged; 0 chunks written" in again.output
        evaluated = runner.invoke(cli, ["kb", "eval", "--min-recall", "0.9"])
        assert evaluated.exit_code == 0, evaluated.output
        assert "backend=local" in evaluated.output
        assert "recall@5=" in evaluated.output
        assert "mrr=" in evaluated.output
        strict = runner.invoke(cli, ["kb", "eval", "--min-recall", "1.01"])
        assert strict.exit_code == 1
    finally:
        asyncio.run(_cleanup(settings))


def test_mcp_cli_needs_a_valid_token(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "get_settings", lambda: settings)
    runner = CliRunner()
    missing = runner.invoke(cli, ["mcp"], env={"VAULTRA_TOKEN": ""})
    assert missing.exit_code == 2
    assert "VAULTRA_TOKEN" in missing.output
    invalid = runner.invoke(cli, ["mcp"], env={"VAULTRA_TOKEN": "vtr_pat_nope"})
    assert invalid.exit_code == 1
    assert "invalid or expired" in invalid.output


async def _cleanup(settings: Settings) -> None:
    database = Database(settings.database_url)
    try:
        await _clean(database)
    finally:
        await database.dispose()


async def test_development_startup_ingests_an_empty_knowledge_base(settings: Settings) -> None:
    development = settings.model_copy(
        update={"app_env": AppEnv.development, "jobs_scheduler_enabled": False}
    )
    async with running_app(development) as (app, _):
        runtime: AgentRuntime = app.state.agent
        for _ in range(200):
            if await runtime.document_ids():
                break
            await asyncio.sleep(0.05)
        assert await runtime.document_ids() == sorted(
            doc.doc_id for doc in load_documents(DEFAULT_KNOWLEDGE_DIR)
        )


@pytest.mark.skipif(
    TEST_DB != "postgres", reason="two processes' connections: PostgreSQL's advisory lock"
)
async def test_concurrent_ingests_do_not_collide(settings: Settings) -> None:
    """Two API pods (or a pod and the release's Job) starting at once: each has its own
    connections; without the lock both would insert the same documents (UniqueViolation)."""
    databases = [Database(settings.database_url) for _ in range(2)]
    runtimes = [AgentRuntime(settings, database) for database in databases]
    try:
        first, second = await asyncio.gather(*(runtime.ingest() for runtime in runtimes))
        expected = sorted(doc.doc_id for doc in load_documents(DEFAULT_KNOWLEDGE_DIR))
        # One did the work, the other waited and found every document unchanged.
        reports = sorted([first, second], key=lambda report: len(report.added))
        assert reports[0].added == []
        assert sorted(reports[0].unchanged) == expected
        assert sorted(reports[1].added) == expected
        assert await runtimes[0].document_ids() == expected
    finally:
        for runtime in runtimes:
            await runtime.close()
        for database in databases:
            await database.dispose()
        await _cleanup(settings)
