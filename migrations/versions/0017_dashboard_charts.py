"""dashboard charts: the portal dashboard's charts drawn by the compute job and stored

Revision ID: 0017_dashboard_charts
Revises: 0016a_org_invitations
Create Date: 2026-12-03 09:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0017_dashboard_charts'
down_revision = '0016a_org_invitations'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dashboard_charts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('charts', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['result_id'], ['computed_result.id'], ondelete='CASCADE',
                            name=op.f('fk_dashboard_charts_result_id_computed_result')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_charts')),
    sa.UniqueConstraint('result_id', 'enterprise_id', 'locale',
                        name='one_per_enterprise_locale')
    )
    with op.batch_alter_table('dashboard_charts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dashboard_charts_result_id'), ['result_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dashboard_charts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dashboard_charts_result_id'))
    op.drop_table('dashboard_charts')
