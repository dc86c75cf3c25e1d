"""The benchmark's app: the real Vaultra app plus a bare `SELECT 1` endpoint as the baseline."""

from sqlalchemy import text

from app.core.deps import SessionDep
from app.main import create_app

app = create_app()


@app.get("/bench/select1")
async def select_one(session: SessionDep) -> dict[str, int]:
    return {"value": int((await session.execute(text("SELECT 1"))).scalar_one())}
