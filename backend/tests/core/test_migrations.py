"""The migrations and the models describe the same schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from app.core.db import Database
from app.models import Base


async def test_models_match_migrations(db: Database) -> None:
    # Types too, on PostgreSQL; SQLite's declared types are only affinities (an INTEGER holds
    # 64 bits), so 0009 leaves them as they are there.
    compare_type = db.dialect == "postgresql"

    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": compare_type})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []
