"""counter displays: collection_link.counter_display; response.stamp_valid, stamp_issued_at

Revision ID: 0019_counter_display
Revises: 0017a_calendar_days
Create Date: 2026-12-04 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0019_counter_display'
down_revision = '0017a_calendar_days'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('collection_link') as batch_op:
        batch_op.add_column(sa.Column('counter_display', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    with op.batch_alter_table('response') as batch_op:
        batch_op.add_column(sa.Column('stamp_valid', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('stamp_issued_at', sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('response') as batch_op:
        batch_op.drop_column('stamp_issued_at')
        batch_op.drop_column('stamp_valid')
    with op.batch_alter_table('collection_link') as batch_op:
        batch_op.drop_column('counter_display')
