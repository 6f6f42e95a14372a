"""english edition of published bulletins

Revision ID: 0014_english_bulletin
Revises: 0012_receipts_field
Create Date: 2026-12-02 18:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0014_english_bulletin'
down_revision = '0012_receipts_field'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Frozen with the Chinese edition at publication; empty for bulletins published before.
    with op.batch_alter_table('bulletin', schema=None) as batch_op:
        batch_op.add_column(sa.Column('html_en', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('pdf_en', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('bulletin', schema=None) as batch_op:
        batch_op.drop_column('pdf_en')
        batch_op.drop_column('html_en')
