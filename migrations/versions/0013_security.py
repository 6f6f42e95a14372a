"""security: per-user session version, login throttle per account and network

Replaces the account lockout (failed_logins, locked_until on user_account) by a progressive
delay per (account, network) pair, and adds the session version that logout raises.

Revision ID: 0013_security
Revises: 0011_integrity
Create Date: 2026-12-02 19:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0013_security'
down_revision = '0011_integrity'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_throttle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_hash', sa.String(length=32), nullable=False),
    sa.Column('network_hash', sa.String(length=32), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('wait_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_throttle')),
    sa.UniqueConstraint('account_hash', 'network_hash',
                        name=op.f('uq_login_throttle_account_hash'))
    )
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_throttle_account_hash'), ['account_hash'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_login_throttle_last_failed_at'),
                              ['last_failed_at'], unique=False)
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.drop_column('session_version')
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_throttle_last_failed_at'))
        batch_op.drop_index(batch_op.f('ix_login_throttle_account_hash'))
    op.drop_table('login_throttle')
