"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 05:42:17.446125
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('target', sa.Float(), nullable=False),
    sa.Column('target_source', sa.String(length=300), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('weight_source', sa.String(length=300), nullable=False),
    sa.CheckConstraint('target >= 0 AND target <= 100', name=op.f('ck_category_target_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category')),
    sa.UniqueConstraint('code', name=op.f('uq_category_code'))
    )
    op.create_table('wave',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('instrument_versions', sa.JSON(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'open', 'closed', 'published')", name=op.f('ck_wave_status_known')),
    sa.CheckConstraint('opens_on <= closes_on', name=op.f('ck_wave_dates_ordered')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wave')),
    sa.UniqueConstraint('code', name=op.f('uq_wave_code'))
    )
    op.create_table('sector',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('weight_source', sa.String(length=300), nullable=False),
    sa.Column('instrument_code', sa.String(length=64), nullable=False),
    sa.CheckConstraint('weight >= 0', name=op.f('ck_sector_weight_nonnegative')),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_sector_category_id_category')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sector')),
    sa.UniqueConstraint('code', name=op.f('uq_sector_code'))
    )
    op.create_table('enterprise',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('sector_id', sa.Integer(), nullable=False),
    sa.Column('street', sa.String(length=100), nullable=False),
    sa.Column('customer_volume', sa.Float(), nullable=True),
    sa.Column('revenue', sa.Float(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['sector_id'], ['sector.id'], name=op.f('fk_enterprise_sector_id_sector')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprise')),
    sa.UniqueConstraint('uscc', name=op.f('uq_enterprise_uscc'))
    )
    with op.batch_alter_table('enterprise', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enterprise_sector_id'), ['sector_id'], unique=False)

    op.create_table('collection_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('location', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_collection_link_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_collection_link_wave_id_wave')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collection_link')),
    sa.UniqueConstraint('token', name=op.f('uq_collection_link_token'))
    )
    with op.batch_alter_table('collection_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collection_link_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collection_link_wave_id'), ['wave_id'], unique=False)

    op.create_table('response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('instrument_code', sa.String(length=64), nullable=False),
    sa.Column('instrument_version', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('age_band', sa.String(length=16), nullable=True),
    sa.Column('sex', sa.String(length=16), nullable=True),
    sa.Column('residence', sa.String(length=16), nullable=True),
    sa.Column('frequency', sa.String(length=16), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('wants_complaint', sa.Boolean(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('ip_hash', sa.String(length=64), nullable=True),
    sa.Column('device_hash', sa.String(length=64), nullable=True),
    sa.Column('quarantined', sa.Boolean(), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_response_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['link_id'], ['collection_link.id'], name=op.f('fk_response_link_id_collection_link')),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_response_wave_id_wave')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_response_idempotency_key'))
    )
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_device_hash'), ['device_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_ip_hash'), ['ip_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_link_id'), ['link_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_wave_id'), ['wave_id'], unique=False)

    op.create_table('answer',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('item_code', sa.String(length=64), nullable=False),
    sa.Column('value', sa.SmallInteger(), nullable=True),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_answer_response_id_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'item_code', name=op.f('pk_answer'))
    )



def downgrade() -> None:

    op.drop_table('answer')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_wave_id'))
        batch_op.drop_index(batch_op.f('ix_response_link_id'))
        batch_op.drop_index(batch_op.f('ix_response_ip_hash'))
        batch_op.drop_index(batch_op.f('ix_response_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_response_device_hash'))

    op.drop_table('response')
    with op.batch_alter_table('collection_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collection_link_wave_id'))
        batch_op.drop_index(batch_op.f('ix_collection_link_enterprise_id'))

    op.drop_table('collection_link')
    with op.batch_alter_table('enterprise', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enterprise_sector_id'))

    op.drop_table('enterprise')
    op.drop_table('sector')
    op.drop_table('wave')
    op.drop_table('category')

