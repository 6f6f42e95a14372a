"""wave quotas

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 07:24:58.768686
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quotas', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))




def downgrade() -> None:

    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.drop_column('quotas')


