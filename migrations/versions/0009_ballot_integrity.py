"""ballot integrity: device cookies, opening hours, quarantine reviews

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-26 08:40:00

Link tokens become signed (HMAC over the link id and its print generation). The key lives
in the app's settings, which migrations do not see, so existing unsigned tokens are
re-issued by `flask links resign` (and by `flask demo`, which `make run` calls).
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('enterprise', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opening_hours', sa.String(length=32), nullable=True))

    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            'uq_response_client', ['wave_id', 'enterprise_id', 'client_hash'])
        batch_op.drop_index('ix_response_ip_hash')
        # Devices are looked up within a network (ix_response_network), never on their own.
        batch_op.drop_index('ix_response_device_hash')
        batch_op.create_index('ix_response_network',
                              ['ip_hash', 'enterprise_id', 'wave_id', 'submitted_at'])

    with op.batch_alter_table('computed_result', schema=None) as batch_op:
        batch_op.add_column(sa.Column('with_quarantined', sa.JSON(), nullable=True))

    op.create_table(
        'quarantine_review',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('decision', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('flags', sa.JSON(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("decision IN ('release', 'confirm')",
                           name=op.f('ck_quarantine_review_decision_known')),
        sa.ForeignKeyConstraint(['response_id'], ['response.id'],
                                name=op.f('fk_quarantine_review_response_id_response')),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_quarantine_review_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantine_review')),
    )
    with op.batch_alter_table('quarantine_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quarantine_review_response_id'), ['response_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('quarantine_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quarantine_review_response_id'))
    op.drop_table('quarantine_review')

    with op.batch_alter_table('computed_result', schema=None) as batch_op:
        batch_op.drop_column('with_quarantined')

    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index('ix_response_network')
        batch_op.create_index('ix_response_ip_hash', ['ip_hash'])
        batch_op.create_index('ix_response_device_hash', ['device_hash'])
        batch_op.drop_constraint('uq_response_client', type_='unique')
        batch_op.drop_column('client_hash')

    with op.batch_alter_table('enterprise', schema=None) as batch_op:
        batch_op.drop_column('opening_hours')
