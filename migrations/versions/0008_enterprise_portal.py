"""enterprise portal

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 08:10:57.955645
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_invitation_created_by_user_account')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_invitation_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_invitation_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitation_token_hash'))
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('appeal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.Column('index_with', sa.Float(), nullable=True),
    sa.Column('index_without', sa.Float(), nullable=True),
    sa.Column('effect', sa.JSON(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'upheld', 'rejected')", name=op.f('ck_appeal_status_known')),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_appeal_created_by_user_account')),
    sa.ForeignKeyConstraint(['decided_by'], ['user_account.id'], name=op.f('fk_appeal_decided_by_user_account')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_appeal_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_appeal_response_id_response')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal'))
    )
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeal_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeal_response_id'), ['response_id'], unique=False)

    op.create_table('complaint_reply',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('marks_handled', sa.Boolean(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_complaint_reply_author_id_user_account')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_complaint_reply_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_complaint_reply_response_id_response')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_reply'))
    )
    with op.batch_alter_table('complaint_reply', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_reply_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_reply_response_id'), ['response_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('complaint_reply', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_reply_response_id'))
        batch_op.drop_index(batch_op.f('ix_complaint_reply_enterprise_id'))

    op.drop_table('complaint_reply')
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appeal_response_id'))
        batch_op.drop_index(batch_op.f('ix_appeal_enterprise_id'))

    op.drop_table('appeal')
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_enterprise_id'))

    op.drop_table('invitation')
