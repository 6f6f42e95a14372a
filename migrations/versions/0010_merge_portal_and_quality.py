"""merge the enterprise portal (0008) and the quality/integrity (0009) branches

Revision ID: 0010
Revises: 0008, 0009
Create Date: 2026-11-26 09:30:00
"""

revision = '0010'
down_revision = ('0008', '0009')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
