"""receipt codes and the bureau's field sample

Revision ID: 0012_receipts_field
Revises: 0015_appeal_effect_jobs
Create Date: 2026-12-02 18:40:00

Tables receipt_batch, receipt_use (one row per accepted code: its keyed hash is unique, so
a code verifies one response) and field_assignment (the drawn plan of a wave); responses
gain source ('qr' | 'field'), verified, interviewer_id and field_assignment_id; the role
'interviewer' joins the accounts' roles; computed_result.gap_review keeps the sectors whose
QR-field gap flag an analyst confirmed for the bulletin.
"""

from alembic import op
import sqlalchemy as sa


revision = '0012_receipts_field'
down_revision = '0015_appeal_effect_jobs'
branch_labels = None
depends_on = None

OLD_ROLES = "role IN ('admin', 'analyst', 'enterprise')"
NEW_ROLES = "role IN ('admin', 'analyst', 'enterprise', 'interviewer')"


def upgrade() -> None:
    op.create_table(
        'receipt_batch',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('wave_id', sa.Integer(), nullable=False),
        sa.Column('issued', sa.Integer(), nullable=False),
        sa.Column('first_serial', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.CheckConstraint('issued > 0', name=op.f('ck_receipt_batch_issued_positive')),
        sa.CheckConstraint('number >= 0 AND number <= 32767',
                           name=op.f('ck_receipt_batch_number_range')),
        sa.ForeignKeyConstraint(['created_by'], ['user_account.id'],
                                name=op.f('fk_receipt_batch_created_by_user_account')),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'],
                                name=op.f('fk_receipt_batch_enterprise_id_enterprise')),
        sa.ForeignKeyConstraint(['wave_id'], ['wave.id'],
                                name=op.f('fk_receipt_batch_wave_id_wave')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_batch')),
        sa.UniqueConstraint('number', name=op.f('uq_receipt_batch_number')),
    )
    with op.batch_alter_table('receipt_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_batch_enterprise_id'), ['enterprise_id'])
        batch_op.create_index(batch_op.f('ix_receipt_batch_wave_id'), ['wave_id'])

    op.create_table(
        'field_assignment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('wave_id', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('slot', sa.String(length=16), nullable=False),
        sa.Column('weekday', sa.SmallInteger(), nullable=False),
        sa.Column('hour', sa.SmallInteger(), nullable=False),
        sa.Column('open_slots', sa.Integer(), nullable=False),
        sa.Column('pi_enterprise', sa.Float(), nullable=False),
        sa.Column('pi_slot', sa.Float(), nullable=False),
        sa.Column('pi', sa.Float(), nullable=False),
        sa.Column('weight', sa.Float(), nullable=False),
        sa.Column('certainty', sa.Boolean(), nullable=False),
        sa.Column('target', sa.Integer(), nullable=False),
        sa.Column('seed', sa.Integer(), nullable=False),
        sa.Column('interviewer_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('pi > 0 AND pi <= 1', name=op.f('ck_field_assignment_pi_range')),
        sa.CheckConstraint('weekday >= 0 AND weekday <= 6 AND hour >= 0 AND hour <= 23',
                           name=op.f('ck_field_assignment_slot_range')),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'],
                                name=op.f('fk_field_assignment_enterprise_id_enterprise')),
        sa.ForeignKeyConstraint(['interviewer_id'], ['user_account.id'],
                                name=op.f('fk_field_assignment_interviewer_id_user_account')),
        sa.ForeignKeyConstraint(['wave_id'], ['wave.id'],
                                name=op.f('fk_field_assignment_wave_id_wave')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_field_assignment')),
        sa.UniqueConstraint('wave_id', 'enterprise_id', 'slot', name='uq_field_assignment_slot'),
    )
    with op.batch_alter_table('field_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_field_assignment_enterprise_id'), ['enterprise_id'])
        batch_op.create_index(batch_op.f('ix_field_assignment_interviewer_id'),
                              ['interviewer_id'])
        batch_op.create_index(batch_op.f('ix_field_assignment_wave_id'), ['wave_id'])

    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=8), server_default='qr',
                                      nullable=False))
        batch_op.add_column(sa.Column('verified', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('interviewer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('field_assignment_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_response_interviewer_id_user_account'),
                                    'user_account', ['interviewer_id'], ['id'])
        batch_op.create_foreign_key(
            batch_op.f('fk_response_field_assignment_id_field_assignment'),
            'field_assignment', ['field_assignment_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_response_field_assignment_id'),
                              ['field_assignment_id'])
        batch_op.create_check_constraint('source_known', "source IN ('qr', 'field')")
        batch_op.create_check_constraint(
            'field_has_slot', "(source = 'field') = (field_assignment_id IS NOT NULL)")

    op.create_table(
        'receipt_use',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=32), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('serial', sa.Integer(), nullable=False),
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['batch_id'], ['receipt_batch.id'],
                                name=op.f('fk_receipt_use_batch_id_receipt_batch')),
        sa.ForeignKeyConstraint(['response_id'], ['response.id'], ondelete='CASCADE',
                                name=op.f('fk_receipt_use_response_id_response')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_use')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_receipt_use_code_hash')),
        sa.UniqueConstraint('response_id', name=op.f('uq_receipt_use_response_id')),
    )
    with op.batch_alter_table('receipt_use', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_use_batch_id'), ['batch_id'])

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_account_role_known'), type_='check')
        batch_op.create_check_constraint('role_known', NEW_ROLES)

    with op.batch_alter_table('computed_result', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gap_review', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('computed_result', schema=None) as batch_op:
        batch_op.drop_column('gap_review')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_account_role_known'), type_='check')
        batch_op.create_check_constraint('role_known', OLD_ROLES)
    op.drop_table('receipt_use')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_response_field_has_slot'), type_='check')
        batch_op.drop_constraint(op.f('ck_response_source_known'), type_='check')
        batch_op.drop_index(batch_op.f('ix_response_field_assignment_id'))
        batch_op.drop_constraint(
            batch_op.f('fk_response_field_assignment_id_field_assignment'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_response_interviewer_id_user_account'),
                                 type_='foreignkey')
        batch_op.drop_column('field_assignment_id')
        batch_op.drop_column('interviewer_id')
        batch_op.drop_column('verified')
        batch_op.drop_column('source')
    op.drop_table('field_assignment')
    op.drop_table('receipt_batch')
