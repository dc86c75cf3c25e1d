"""notifications: outbox states, preferences, alert and digest state

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 05:35:53.863911

The outbox gains what sending needs: a unique message key (the Message-ID, the idempotency key
of a send), an HTML part, its kind, business and user, headers, and a status with attempts. Rows
written before this revision were never sent and never will be: they become `kept`.
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import app.core.db

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('notification_alert_states',
    sa.Column('business_id', sa.Uuid(), nullable=False),
    sa.Column('tier', sa.String(length=30), nullable=True),
    sa.Column('dispute_level', sa.Integer(), nullable=False),
    sa.Column('sync_failure_alerted', sa.Boolean(), nullable=False),
    sa.Column('stripe_revoked_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], name=op.f('fk_notification_alert_states_business_id_businesses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('business_id', name=op.f('pk_notification_alert_states'))
    )
    op.create_table('notification_digest_states',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('business_id', sa.Uuid(), nullable=False),
    sa.Column('sent_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('tier', sa.String(length=30), nullable=True),
    sa.Column('recommendation_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('eligible_options', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], name=op.f('fk_notification_digest_states_business_id_businesses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_digest_states_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_digest_states')),
    sa.UniqueConstraint('user_id', 'business_id', name=op.f('uq_notification_digest_states_user_id_business_id'))
    )
    with op.batch_alter_table('notification_digest_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_digest_states_business_id'), ['business_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_digest_states_user_id'), ['user_id'], unique=False)

    op.create_table('notification_preferences',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('business_id', sa.Uuid(), nullable=False),
    sa.Column('digest', sa.Enum('daily', 'weekly', 'off', name='digestfrequency', native_enum=False, length=10), nullable=False),
    sa.Column('alert_tier', sa.Boolean(), nullable=False),
    sa.Column('alert_dispute', sa.Boolean(), nullable=False),
    sa.Column('alert_sync', sa.Boolean(), nullable=False),
    sa.Column('alert_stripe_revoked', sa.Boolean(), nullable=False),
    sa.Column('updated_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], name=op.f('fk_notification_preferences_business_id_businesses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_preferences')),
    sa.UniqueConstraint('user_id', 'business_id', name=op.f('uq_notification_preferences_user_id_business_id'))
    )
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_preferences_business_id'), ['business_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_preferences_user_id'), ['user_id'], unique=False)

    # Added nullable, filled for the existing rows, then made NOT NULL.
    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('html', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('message_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('kind', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('business_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('user_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('headers', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('status', sa.Enum('pending', 'sending', 'handed_over', 'sent', 'failed', 'unconfirmed', 'kept', name='outboxstatus', native_enum=False, length=20), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', app.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claim_token', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', app.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sent_at', app.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.String(length=500), nullable=True))

    outbox = sa.table(
        'email_outbox',
        sa.column('id', sa.Uuid()),
        sa.column('created_at', app.core.db.UTCDateTime(timezone=True)),
        sa.column('message_key', sa.String()),
        sa.column('kind', sa.String()),
        sa.column('headers', sa.JSON()),
        sa.column('status', sa.String()),
        sa.column('attempts', sa.Integer()),
        sa.column('next_attempt_at', app.core.db.UTCDateTime(timezone=True)),
    )
    bind = op.get_bind()
    for row_id, created_at in bind.execute(sa.select(outbox.c.id, outbox.c.created_at)).all():
        bind.execute(
            outbox.update()
            .where(outbox.c.id == row_id)
            .values(
                message_key=uuid.uuid4().hex,
                kind='notice',
                headers={},
                status='kept',
                attempts=0,
                next_attempt_at=created_at,
            )
        )

    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        for name in ('message_key', 'kind', 'headers', 'status', 'attempts', 'next_attempt_at'):
            batch_op.alter_column(name, nullable=False)
        batch_op.create_index(batch_op.f('ix_email_outbox_business_id'), ['business_id'], unique=False)
        batch_op.create_index('ix_email_outbox_status_next_attempt', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_email_outbox_to'), ['to'], unique=False)
        batch_op.create_index(batch_op.f('ix_email_outbox_user_id'), ['user_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_email_outbox_message_key'), ['message_key'])
        batch_op.create_foreign_key(batch_op.f('fk_email_outbox_business_id_businesses'), 'businesses', ['business_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_email_outbox_user_id_users'), 'users', ['user_id'], ['id'], ondelete='CASCADE')



def downgrade() -> None:
    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_email_outbox_user_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_email_outbox_business_id_businesses'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_email_outbox_message_key'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_email_outbox_user_id'))
        batch_op.drop_index(batch_op.f('ix_email_outbox_to'))
        batch_op.drop_index('ix_email_outbox_status_next_attempt')
        batch_op.drop_index(batch_op.f('ix_email_outbox_business_id'))
        batch_op.drop_column('last_error')
        batch_op.drop_column('sent_at')
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('claim_token')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('status')
        batch_op.drop_column('headers')
        batch_op.drop_column('user_id')
        batch_op.drop_column('business_id')
        batch_op.drop_column('kind')
        batch_op.drop_column('message_key')
        batch_op.drop_column('html')

    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_preferences_user_id'))
        batch_op.drop_index(batch_op.f('ix_notification_preferences_business_id'))

    op.drop_table('notification_preferences')
    with op.batch_alter_table('notification_digest_states', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_digest_states_user_id'))
        batch_op.drop_index(batch_op.f('ix_notification_digest_states_business_id'))

    op.drop_table('notification_digest_states')
    op.drop_table('notification_alert_states')
