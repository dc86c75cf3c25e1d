"""metrics: partial indexes on successful and failed charges

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 23:00:00.000000

Successful charges in (day, customer) and (customer, day) order let the per-day unique
customers and the per-customer revenue stream out of an index instead of sorting or hashing
a million rows; on PostgreSQL they cover the money columns, for index-only scans. The plain
(business, customer) index had no other reader and goes.

On PostgreSQL the indexes are built and dropped CONCURRENTLY (outside a transaction), so a
deployment on a large table does not block webhook and sync writes while they build.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SETTLEMENT_COLUMNS = ['amount', 'currency', 'settled_amount', 'settled_currency']
SUCCEEDED = sa.text("status = 'succeeded'")
FAILED = sa.text("status = 'failed'")
INDEXES = (
    ('ix_stripe_charges_succeeded_day_customer', ['business_id', 'day', 'customer_id'], SUCCEEDED, True),
    ('ix_stripe_charges_succeeded_customer_day', ['business_id', 'customer_id', 'day'], SUCCEEDED, True),
    ('ix_stripe_charges_failed_day', ['business_id', 'day'], FAILED, False),
)
OLD_CUSTOMER_INDEX = ('ix_stripe_charges_business_customer', ['business_id', 'customer_id'])


def _postgresql() -> bool:
    return op.get_bind().dialect.name == 'postgresql'


def upgrade() -> None:
    concurrently = _postgresql()
    with op.get_context().autocommit_block():
        for name, columns, where, covering in INDEXES:
            op.create_index(
                name,
                'stripe_charges',
                columns,
                postgresql_include=SETTLEMENT_COLUMNS if covering else None,
                postgresql_where=where,
                sqlite_where=where,
                postgresql_concurrently=concurrently,
                if_not_exists=True,
            )
        op.drop_index(
            OLD_CUSTOMER_INDEX[0],
            table_name='stripe_charges',
            postgresql_concurrently=concurrently,
            if_exists=True,
        )


def downgrade() -> None:
    concurrently = _postgresql()
    with op.get_context().autocommit_block():
        op.create_index(
            OLD_CUSTOMER_INDEX[0],
            'stripe_charges',
            OLD_CUSTOMER_INDEX[1],
            postgresql_concurrently=concurrently,
            if_not_exists=True,
        )
        for name, *_ in reversed(INDEXES):
            op.drop_index(
                name,
                table_name='stripe_charges',
                postgresql_concurrently=concurrently,
                if_exists=True,
            )
