"""The engine's blocking keys of each record, for real-time matching (models/blocking.py).

Empty after the upgrade: `ftr match` keys every open record.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 09:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('child_block_key',
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.BigInteger(), nullable=False),
    sa.Column('band_a', sa.SmallInteger(), nullable=False),
    sa.Column('band_b', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['child_id'], ['child_registration.id'], name=op.f('fk_child_block_key_child_id_child_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('child_id', 'key', name=op.f('pk_child_block_key'))
    )
    op.create_index('ix_child_block_key_key_band_a', 'child_block_key', ['key', 'band_a'], unique=False)
    op.create_index('ix_child_block_key_key_band_b', 'child_block_key', ['key', 'band_b'], unique=False)
    op.create_table('child_block_profile',
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('signature', sa.String(length=32), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('birth', sa.Float(), nullable=True),
    sa.Column('sex', sa.SmallInteger(), nullable=False),
    sa.Column('sep', sa.Float(), nullable=True),
    sa.Column('sep_month', sa.Boolean(), nullable=False),
    sa.Column('day', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['child_id'], ['child_registration.id'], name=op.f('fk_child_block_profile_child_id_child_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('child_id', name=op.f('pk_child_block_profile'))
    )
    op.create_index(op.f('ix_child_block_profile_signature'), 'child_block_profile', ['signature'], unique=False)
    op.create_table('sought_block_key',
    sa.Column('sought_child_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.BigInteger(), nullable=False),
    sa.Column('slot', sa.SmallInteger(), nullable=False),
    sa.Column('discount', sa.Float(), nullable=False),
    sa.Column('band_a', sa.SmallInteger(), nullable=False),
    sa.Column('band_b', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['sought_child_id'], ['sought_child.id'], name=op.f('fk_sought_block_key_sought_child_id_sought_child'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sought_child_id', 'key', name=op.f('pk_sought_block_key'))
    )
    op.create_index('ix_sought_block_key_key_band_a', 'sought_block_key', ['key', 'band_a'], unique=False)
    op.create_index('ix_sought_block_key_key_band_b', 'sought_block_key', ['key', 'band_b'], unique=False)
    op.create_table('sought_block_profile',
    sa.Column('sought_child_id', sa.Integer(), nullable=False),
    sa.Column('signature', sa.String(length=32), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('birth', sa.Float(), nullable=True),
    sa.Column('sex', sa.SmallInteger(), nullable=False),
    sa.Column('sep', sa.Float(), nullable=True),
    sa.Column('sep_month', sa.Boolean(), nullable=False),
    sa.Column('day', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['sought_child_id'], ['sought_child.id'], name=op.f('fk_sought_block_profile_sought_child_id_sought_child'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sought_child_id', name=op.f('pk_sought_block_profile'))
    )
    op.create_index(op.f('ix_sought_block_profile_signature'), 'sought_block_profile', ['signature'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_sought_block_profile_signature'), table_name='sought_block_profile')
    op.drop_table('sought_block_profile')
    op.drop_index('ix_sought_block_key_key_band_b', table_name='sought_block_key')
    op.drop_index('ix_sought_block_key_key_band_a', table_name='sought_block_key')
    op.drop_table('sought_block_key')
    op.drop_index(op.f('ix_child_block_profile_signature'), table_name='child_block_profile')
    op.drop_table('child_block_profile')
    op.drop_index('ix_child_block_key_key_band_b', table_name='child_block_key')
    op.drop_index('ix_child_block_key_key_band_a', table_name='child_block_key')
    op.drop_table('child_block_key')
