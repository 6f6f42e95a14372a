"""wave settings and computed results

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 06:25:44.231323
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('computed_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('input_sha256', sa.String(length=64), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('result_json', sa.Text(), nullable=False),
    sa.Column('code_version', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_computed_result_wave_id_wave')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_computed_result'))
    )
    with op.batch_alter_table('computed_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_computed_result_wave_id'), ['wave_id'], unique=False)

    with op.batch_alter_table('wave', schema=None) as batch_op:
        # Existing waves get empty settings and margins (= the analysis defaults).
        batch_op.add_column(sa.Column('analysis_settings', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column('margins', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.drop_column('margins')
        batch_op.drop_column('analysis_settings')

    with op.batch_alter_table('computed_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_computed_result_wave_id'))

    op.drop_table('computed_result')

