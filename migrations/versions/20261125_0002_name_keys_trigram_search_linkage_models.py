"""Name keys (GIN) and trigram search on both kinds of child record; fitted linkage models.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 18:36:15.983414
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('linkage_model',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('engine_version', sa.String(length=40), nullable=False),
    sa.Column('parameters', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('trained_on', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_linkage_model_created_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_linkage_model'))
    )
    op.create_index(op.f('ix_linkage_model_created_at'), 'linkage_model', ['created_at'], unique=False)
    op.add_column('child_registration', sa.Column('name_keys', sa.ARRAY(sa.Text()), server_default='{}', nullable=False))
    op.add_column('child_registration', sa.Column('block_keys', sa.ARRAY(sa.Text()), server_default='{}', nullable=False))
    op.add_column('child_registration', sa.Column('search_text', sa.Text(), server_default='', nullable=False))
    op.create_index('ix_child_registration_block_keys', 'child_registration', ['block_keys'], unique=False, postgresql_using='gin')
    op.create_index('ix_child_registration_name_keys', 'child_registration', ['name_keys'], unique=False, postgresql_using='gin')
    op.create_index('ix_child_registration_search_text_trgm', 'child_registration', ['search_text'], unique=False, postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    op.add_column('sought_child', sa.Column('name_keys', sa.ARRAY(sa.Text()), server_default='{}', nullable=False))
    op.add_column('sought_child', sa.Column('block_keys', sa.ARRAY(sa.Text()), server_default='{}', nullable=False))
    op.add_column('sought_child', sa.Column('search_text', sa.Text(), server_default='', nullable=False))
    op.create_index('ix_sought_child_block_keys', 'sought_child', ['block_keys'], unique=False, postgresql_using='gin')
    op.create_index('ix_sought_child_name_keys', 'sought_child', ['name_keys'], unique=False, postgresql_using='gin')
    op.create_index('ix_sought_child_search_text_trgm', 'sought_child', ['search_text'], unique=False, postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})


def downgrade() -> None:
    op.drop_index('ix_sought_child_search_text_trgm', table_name='sought_child', postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    op.drop_index('ix_sought_child_name_keys', table_name='sought_child', postgresql_using='gin')
    op.drop_index('ix_sought_child_block_keys', table_name='sought_child', postgresql_using='gin')
    op.drop_column('sought_child', 'search_text')
    op.drop_column('sought_child', 'block_keys')
    op.drop_column('sought_child', 'name_keys')
    op.drop_index('ix_child_registration_search_text_trgm', table_name='child_registration', postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    op.drop_index('ix_child_registration_name_keys', table_name='child_registration', postgresql_using='gin')
    op.drop_index('ix_child_registration_block_keys', table_name='child_registration', postgresql_using='gin')
    op.drop_column('child_registration', 'search_text')
    op.drop_column('child_registration', 'block_keys')
    op.drop_column('child_registration', 'name_keys')
    op.drop_index(op.f('ix_linkage_model_created_at'), table_name='linkage_model')
    op.drop_table('linkage_model')
