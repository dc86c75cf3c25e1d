"""teams: invitations to join a business

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 06:00:00.000000

One row per invitation: the invitee's email (lower-cased), the role offered, the SHA-256 of the
single-use token, and when it expires (7 days), was accepted or was revoked.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'business_invitations',
        sa.Column('business_id', sa.Uuid(), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column(
            'role',
            sa.Enum('owner', 'admin', 'member', name='role', native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('invited_by_id', sa.Uuid(), nullable=True),
        sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('accepted_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ['business_id'],
            ['businesses.id'],
            name=op.f('fk_business_invitations_business_id_businesses'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['invited_by_id'],
            ['users.id'],
            name=op.f('fk_business_invitations_invited_by_id_users'),
            ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_business_invitations')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_business_invitations_token_hash')),
    )
    with op.batch_alter_table('business_invitations') as batch:
        batch.create_index(
            'ix_business_invitations_business_email', ['business_id', 'email'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('business_invitations') as batch:
        batch.drop_index('ix_business_invitations_business_email')
    op.drop_table('business_invitations')
