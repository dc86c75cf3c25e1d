"""The benchmark's app: the real Vaultra app plus a bare `SELECT 1` endpoint as the baseline.

Served as a factory (`bench.api_app:create_bench_app`): importing this module builds nothing.
"""

from fastapi import FastAPI
from sqlalchemy import text

from app.core.deps import SessionDep
from app.main import serve_app


def create_bench_app() -> FastAPI:
    app = serve_app()

    @app.get("/bench/select1")
    async def select_one(session: SessionDep) -> dict[str, int]:
        return {"value": int((await session.execute(text("SELECT 1"))).scalar_one())}

    return app
