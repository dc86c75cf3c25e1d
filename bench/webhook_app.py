"""The webhook benchmark's app: the real Vaultra app plus a baseline that only stores the raw
body (no verification, no minimization, no lookup) in a table the benchmark creates.

Served as a factory (`bench.webhook_app:create_bench_app`): importing this module builds nothing.
"""

from fastapi import FastAPI, Request
from sqlalchemy import text

from app.core.deps import SessionDep
from app.main import serve_app


def create_bench_app() -> FastAPI:
    app = serve_app()

    @app.post("/bench/raw-webhook")
    async def raw_webhook(request: Request, session: SessionDep) -> dict[str, bool]:
        body = (await request.body()).decode()
        await session.execute(
            text("INSERT INTO bench_raw_webhooks (body) VALUES (:body)"), {"body": body}
        )
        return {"received": True}

    return app
