"""`vaultra kb ingest|eval` and `vaultra mcp`.

Only typer is imported at the top (app/cli.py says why): the commands import the rest.
"""

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer

if TYPE_CHECKING:
    from app.agent.runtime import AgentRuntime
    from app.core.config import Settings

kb_cli = typer.Typer(help="The agent's knowledge base.", no_args_is_help=True)
T = TypeVar("T")


async def _with_runtime(settings: "Settings", work: Callable[["AgentRuntime"], Awaitable[T]]) -> T:
    from app.agent.runtime import AgentRuntime
    from app.core.db import Database

    database = Database.from_settings(settings)
    runtime = AgentRuntime(settings, database)
    try:
        return await work(runtime)
    finally:
        await runtime.close()
        await database.dispose()


@kb_cli.command("ingest")
def kb_ingest(
    folder: Path | None = typer.Option(None, help="Documents folder (default: KNOWLEDGE_DIR)."),
    force: bool = typer.Option(False, help="Re-chunk and re-embed unchanged documents too."),
) -> None:
    """Chunk the knowledge documents into the database (and Pinecone, when configured).

    Idempotent: changed documents are re-embedded, removed ones deleted, unchanged ones kept.
    """
    import asyncio

    from app.core.config import get_settings

    settings = get_settings()
    report = asyncio.run(_with_runtime(settings, lambda rt: rt.ingest(folder, force=force)))
    target = "database + Pinecone" if settings.pinecone_enabled else "database"
    typer.echo(
        f"{target}: {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.deleted)} deleted, {len(report.unchanged)} unchanged; "
        f"{report.chunks_written} chunks written"
    )


@kb_cli.command("eval")
def kb_eval(
    questions: Path | None = typer.Option(
        None, help="JSONL evaluation questions (default: the shipped set)."
    ),
    local: bool = typer.Option(False, help="Evaluate the local index even if Pinecone is set."),
    min_recall: float = typer.Option(0.0, help="Exit 1 when recall@5 is below this."),
) -> None:
    """Print recall@5 and MRR of the configured retriever over the evaluation questions."""
    import asyncio

    from app.agent.knowledge import DEFAULT_QUESTIONS_PATH
    from app.agent.knowledge.evaluation import answerable, evaluate, load_questions
    from app.agent.retrieval.base import TOP_K
    from app.core.config import get_settings

    questions = questions or DEFAULT_QUESTIONS_PATH
    settings = get_settings()

    async def run(runtime: "AgentRuntime") -> tuple[dict[str, list[str]], list[str]]:
        retriever = runtime.local if local else runtime.retriever
        found: dict[str, list[str]] = {}
        for question in load_questions(questions):
            chunks = await retriever.search(question.question, TOP_K)
            found[question.question] = [chunk.chunk_id for chunk in chunks]
        return found, await runtime.document_ids()

    found, doc_ids = asyncio.run(_with_runtime(settings, run))
    if not doc_ids:
        typer.echo("No knowledge ingested yet: run `vaultra kb ingest` first.", err=True)
        raise typer.Exit(1)
    # Questions about a document not ingested yet are left out rather than counted as misses.
    result = evaluate(
        lambda question: found[question], answerable(load_questions(questions), doc_ids)
    )
    backend = "local" if local or not settings.pinecone_enabled else "pinecone"
    typer.echo(
        f"backend={backend} questions={result['n']} "
        f"recall@5={result['recall_at_5']:.3f} mrr={result['mrr']:.3f}"
    )
    for miss in result["misses"]:
        typer.echo(f"  miss: {miss['question']!r} expected {miss['expected_doc_ids']}")
    if result["recall_at_5"] < min_recall:
        raise typer.Exit(1)


def mcp() -> None:
    """Serve the MCP tools over stdio, as the user of $VAULTRA_TOKEN (a personal access token)."""
    import asyncio
    import sys

    from app.agent.mcp_server import build_mcp_server
    from app.auth import service as auth_service
    from app.core.config import get_settings
    from app.core.errors import Unauthorized
    from app.core.logging import configure_logging

    token = os.environ.get("VAULTRA_TOKEN", "").strip()
    if not token:
        typer.echo(
            "Set VAULTRA_TOKEN to a personal access token (POST /api/v1/auth/tokens).", err=True
        )
        raise typer.Exit(2)
    # stdout carries the protocol: logs go to stderr.
    configure_logging("WARNING", stream=sys.stderr)
    settings = get_settings()

    async def serve(runtime: "AgentRuntime") -> None:
        try:
            async with runtime.database.session() as session:
                await auth_service.authenticate(session, settings, token)
        except Unauthorized as exc:
            typer.echo(f"VAULTRA_TOKEN: {exc.detail}", err=True)
            raise typer.Exit(1) from exc
        server = build_mcp_server(lambda: runtime, settings, stdio_token=token)
        await server.run_stdio_async()

    asyncio.run(_with_runtime(settings, serve))
