"""Background jobs may compute an appeal's exact effect on the indices.

Revision ID: 0015_appeal_effect_jobs
Revises: 0010
"""

from alembic import op

revision = "0015_appeal_effect_jobs"
down_revision = "0010"
branch_labels = None
depends_on = None

OLD = "kind IN ('compute', 'publish')"
NEW = "kind IN ('compute', 'publish', 'appeal_effect')"


def _replace(check: str) -> None:
    with op.batch_alter_table("job", recreate="always") as batch:
        batch.drop_constraint(op.f("ck_job_kind_known"), type_="check")
        batch.create_check_constraint(op.f("ck_job_kind_known"), check)


def upgrade() -> None:
    _replace(NEW)


def downgrade() -> None:
    op.execute("DELETE FROM job WHERE kind = 'appeal_effect'")
    _replace(OLD)
