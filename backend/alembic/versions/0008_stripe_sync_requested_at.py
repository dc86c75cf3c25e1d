"""stripe: when a sync was last asked for by hand

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 10:00:00.000000

`POST /integrations/stripe/sync` answers 429 when the same business asked less than 60 s
before. The time is kept on the account row, not in one process's memory, so the window holds
whichever API process answers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('integration_accounts') as batch:
        batch.add_column(
            sa.Column('sync_requested_at', app.core.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('integration_accounts') as batch:
        batch.drop_column('sync_requested_at')
