"""users: a business's revenue estimate in a 64-bit column, like every other amount of money

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 20:00:00.000000

`businesses.revenue_estimate` was the one amount in a 32-bit column: in minor units it tops out
at 21,474,836.47, and a larger estimate was a 500. PostgreSQL only: SQLite stores any integer
in 64 bits whatever the declared type, and batch mode would rebuild `businesses` by dropping it,
which with foreign keys on deletes every row that cascades from it (memberships, Stripe data).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column(
            'businesses', 'revenue_estimate', type_=sa.BigInteger(), existing_type=sa.Integer()
        )


def downgrade() -> None:
    # Fails, rather than truncating, when an estimate no longer fits 32 bits.
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column(
            'businesses', 'revenue_estimate', type_=sa.Integer(), existing_type=sa.BigInteger()
        )
