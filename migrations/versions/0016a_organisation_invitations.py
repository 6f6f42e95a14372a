"""organisation invitations: an invitation is for one unit or for one organisation

Revision ID: 0016a_org_invitations
Revises: 0016_families
Create Date: 2026-12-03 09:40:00

A developer's or manufacturer's portal account (user_account.organisation_id, added in
0016_families) is created through an invitation, which therefore names either the unit or
the organisation, never both.
"""

import sqlalchemy as sa
from alembic import op

revision = '0016a_org_invitations'
down_revision = '0016_families'
branch_labels = None
depends_on = None

ONE_SCOPE = "(enterprise_id IS NULL) <> (organisation_id IS NULL)"


def upgrade() -> None:
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.alter_column('enterprise_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_invitation_organisation_id_organisation'),
                                    'organisation', ['organisation_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_invitation_organisation_id'), ['organisation_id'])
        batch_op.create_check_constraint('one_scope', ONE_SCOPE)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text(
            "SELECT COUNT(*) FROM invitation WHERE organisation_id IS NOT NULL")).scalar():
        raise RuntimeError("cannot downgrade below 0016a_org_invitations: remove the "
                           "invitations of organisations first")
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_invitation_one_scope'), type_='check')
        batch_op.drop_index(batch_op.f('ix_invitation_organisation_id'))
        batch_op.drop_constraint(batch_op.f('fk_invitation_organisation_id_organisation'),
                                 type_='foreignkey')
        batch_op.drop_column('organisation_id')
        batch_op.alter_column('enterprise_id', existing_type=sa.Integer(), nullable=False)
