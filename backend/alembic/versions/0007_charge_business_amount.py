"""stripe: each charge's amount in its business's currency, covered by the metrics indexes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 01:00:00.000000

`business_amount` is the charge's amount when it is in the business currency, else its
settled amount when that settled in the business currency, else NULL. The metrics module's
per-day and per-customer aggregations sum it instead of evaluating that rule on every row, and
the two partial indexes of 0006 cover it alone instead of the four money columns (PostgreSQL;
SQLite's indexes cover nothing). Existing rows are filled from their business's currency.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUCCEEDED = sa.text("status = 'succeeded'")
INDEXES = (
    ('ix_stripe_charges_succeeded_day_customer', ['business_id', 'day', 'customer_id']),
    ('ix_stripe_charges_succeeded_customer_day', ['business_id', 'customer_id', 'day']),
)
SETTLEMENT_COLUMNS = ['amount', 'currency', 'settled_amount', 'settled_currency']
BACKFILL = sa.text(
    "UPDATE stripe_charges SET business_amount = CASE"
    " WHEN currency = (SELECT lower(currency) FROM businesses WHERE id = business_id) THEN amount"
    " WHEN settled_currency = (SELECT lower(currency) FROM businesses WHERE id = business_id)"
    " THEN settled_amount END"
)


def _rebuild_indexes(include: list[str]) -> None:
    """PostgreSQL only: the covering indexes again, built CONCURRENTLY (no write lock)."""
    if op.get_bind().dialect.name != 'postgresql':
        return
    with op.get_context().autocommit_block():
        for name, columns in INDEXES:
            op.drop_index(
                name, table_name='stripe_charges', postgresql_concurrently=True, if_exists=True
            )
            op.create_index(
                name,
                'stripe_charges',
                columns,
                postgresql_include=include,
                postgresql_where=SUCCEEDED,
                postgresql_concurrently=True,
            )


def upgrade() -> None:
    with op.batch_alter_table('stripe_charges') as batch:
        batch.add_column(sa.Column('business_amount', sa.BigInteger(), nullable=True))
    op.execute(BACKFILL)
    _rebuild_indexes(['business_amount'])


def downgrade() -> None:
    _rebuild_indexes(SETTLEMENT_COLUMNS)
    with op.batch_alter_table('stripe_charges') as batch:
        batch.drop_column('business_amount')
