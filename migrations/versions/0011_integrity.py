"""integrity: surges kept with a computed result, decisions on enterprises under review

Revision ID: 0011_integrity
Revises: 0014_english_bulletin
Create Date: 2026-12-02 18:50:00

Surge holds are reason codes on response.flags (JSON); computed_result.integrity keeps the
surge windows, timelines and index jumps of a computation; collection_link.reprinted_at
dates the last reprint (copied-link evidence); index_review the decisions.
"""

from alembic import op
import sqlalchemy as sa


revision = '0011_integrity'
down_revision = '0014_english_bulletin'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('computed_result', schema=None) as batch_op:
        batch_op.add_column(sa.Column('integrity', sa.JSON(), nullable=True))
    with op.batch_alter_table('collection_link', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reprinted_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        'index_review',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('wave_id', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('decision', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("decision IN ('accept', 'keep')",
                           name=op.f('ck_index_review_decision_known')),
        sa.ForeignKeyConstraint(['wave_id'], ['wave.id'],
                                name=op.f('fk_index_review_wave_id_wave')),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'],
                                name=op.f('fk_index_review_enterprise_id_enterprise')),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_index_review_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_index_review')),
    )
    with op.batch_alter_table('index_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_index_review_wave_id'), ['wave_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('index_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_index_review_wave_id'))
    op.drop_table('index_review')

    with op.batch_alter_table('collection_link', schema=None) as batch_op:
        batch_op.drop_column('reprinted_at')
    with op.batch_alter_table('computed_result', schema=None) as batch_op:
        batch_op.drop_column('integrity')
