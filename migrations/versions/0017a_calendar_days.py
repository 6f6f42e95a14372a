"""calendar days: the bureau's entered holidays and adjusted working days

Revision ID: 0017a_calendar_days
Revises: 0017_dashboard_charts
Create Date: 2026-12-03 16:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0017a_calendar_days'
down_revision = '0017_dashboard_charts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('working', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=40), nullable=False),
    sa.Column('entered_by', sa.Integer(), nullable=True),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entered_by'], ['user_account.id'],
                            name=op.f('fk_calendar_day_entered_by_user_account')),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_day'))
    )


def downgrade() -> None:
    op.drop_table('calendar_day')
