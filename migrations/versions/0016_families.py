"""index families: category family and target kind, organisations, unit kinds, dwellings

Revision ID: 0016_families
Revises: 0013_security
Create Date: 2026-12-03 09:30:00

Categories gain their family (service, product, construction), the kind of their target
(threshold, improvement, share) and the baseline wave of an improvement target. The new
table organisation holds developers, builders and manufacturers. The enterprise table
(the rated units) gains the unit kind, the owner and builder organisations, brand, product
category, number of dwellings and delivery date; its credit code becomes optional (only
enterprises have one). A portal account may belong to an organisation instead of one unit.
Receipt batches of a housing project list the dwelling of each code, and dwelling_use
allows one response per dwelling of a project per wave.
"""

import sqlalchemy as sa
from alembic import op

revision = '0016_families'
down_revision = '0013_security'
branch_labels = None
depends_on = None

FAMILIES = "family IN ('service', 'product', 'construction')"
TARGET_KINDS = "target_kind IN ('threshold', 'improvement', 'share')"
UNIT_KINDS = "kind IN ('enterprise', 'product_line', 'housing_project', 'public_work')"
OLD_PORTAL = "(role = 'enterprise') = (enterprise_id IS NOT NULL)"
NEW_PORTAL = "(role = 'enterprise') = (enterprise_id IS NOT NULL OR organisation_id IS NOT NULL)"
ONE_SCOPE = "enterprise_id IS NULL OR organisation_id IS NULL"


def upgrade() -> None:
    op.create_table(
        'organisation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('uscc', sa.String(length=18), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation')),
        sa.UniqueConstraint('uscc', name=op.f('uq_organisation_uscc')),
    )
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.add_column(sa.Column('family', sa.String(length=16),
                                      server_default='service', nullable=False))
        batch_op.add_column(sa.Column('target_kind', sa.String(length=16),
                                      server_default='threshold', nullable=False))
        batch_op.add_column(sa.Column('baseline_wave_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_category_baseline_wave_id_wave'),
                                    'wave', ['baseline_wave_id'], ['id'])
        batch_op.create_check_constraint('family_known', FAMILIES)
        batch_op.create_check_constraint('target_kind_known', TARGET_KINDS)
    with op.batch_alter_table('enterprise', schema=None) as batch_op:
        batch_op.alter_column('uscc', existing_type=sa.String(length=18), nullable=True)
        batch_op.add_column(sa.Column('kind', sa.String(length=20),
                                      server_default='enterprise', nullable=False))
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('builder_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('brand', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('product_category', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('dwellings', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('delivered_on', sa.Date(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_enterprise_owner_id_organisation'),
                                    'organisation', ['owner_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_enterprise_builder_id_organisation'),
                                    'organisation', ['builder_id'], ['id'])
        batch_op.create_check_constraint('kind_known', UNIT_KINDS)
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_user_account_organisation_id_organisation'),
                                    'organisation', ['organisation_id'], ['id'])
        batch_op.drop_constraint(op.f('ck_user_account_enterprise_users_only'), type_='check')
        batch_op.create_check_constraint('enterprise_users_only', NEW_PORTAL)
        batch_op.create_check_constraint('one_portal_scope', ONE_SCOPE)
    with op.batch_alter_table('receipt_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dwelling_labels', sa.JSON(), nullable=True))
    op.create_table(
        'dwelling_use',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('wave_id', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=32), nullable=False),
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'],
                                name=op.f('fk_dwelling_use_enterprise_id_enterprise')),
        sa.ForeignKeyConstraint(['response_id'], ['response.id'], ondelete='CASCADE',
                                name=op.f('fk_dwelling_use_response_id_response')),
        sa.ForeignKeyConstraint(['wave_id'], ['wave.id'],
                                name=op.f('fk_dwelling_use_wave_id_wave')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dwelling_use')),
        sa.UniqueConstraint('enterprise_id', 'wave_id', 'label', name='uq_dwelling_use_dwelling'),
        sa.UniqueConstraint('response_id', name=op.f('uq_dwelling_use_response_id')),
    )
    with op.batch_alter_table('dwelling_use', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dwelling_use_wave_id'), ['wave_id'])


def downgrade() -> None:
    bind = op.get_bind()
    # Units without a credit code or accounts of an organisation cannot exist below 0016.
    blocked = bind.execute(sa.text(
        "SELECT (SELECT COUNT(*) FROM enterprise WHERE uscc IS NULL)"
        " + (SELECT COUNT(*) FROM user_account WHERE organisation_id IS NOT NULL)")).scalar()
    if blocked:
        raise RuntimeError("cannot downgrade below 0016_families: remove the units without a "
                           "credit code and the organisation accounts first")
    with op.batch_alter_table('dwelling_use', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dwelling_use_wave_id'))
    op.drop_table('dwelling_use')
    with op.batch_alter_table('receipt_batch', schema=None) as batch_op:
        batch_op.drop_column('dwelling_labels')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_account_one_portal_scope'), type_='check')
        batch_op.drop_constraint(op.f('ck_user_account_enterprise_users_only'), type_='check')
        batch_op.create_check_constraint('enterprise_users_only', OLD_PORTAL)
        batch_op.drop_constraint(batch_op.f('fk_user_account_organisation_id_organisation'),
                                 type_='foreignkey')
        batch_op.drop_column('organisation_id')
    with op.batch_alter_table('enterprise', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_enterprise_kind_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_enterprise_builder_id_organisation'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_enterprise_owner_id_organisation'),
                                 type_='foreignkey')
        batch_op.drop_column('delivered_on')
        batch_op.drop_column('dwellings')
        batch_op.drop_column('product_category')
        batch_op.drop_column('brand')
        batch_op.drop_column('builder_id')
        batch_op.drop_column('owner_id')
        batch_op.drop_column('kind')
        batch_op.alter_column('uscc', existing_type=sa.String(length=18), nullable=False)
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_category_target_kind_known'), type_='check')
        batch_op.drop_constraint(op.f('ck_category_family_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_category_baseline_wave_id_wave'),
                                 type_='foreignkey')
        batch_op.drop_column('baseline_wave_id')
        batch_op.drop_column('target_kind')
        batch_op.drop_column('family')
    op.drop_table('organisation')
