"""The engine's latest ranking of each sought child, below the proposal floor too.

A store migrated from an earlier version has no ranking until matching runs again:
`ftr match` writes every open sought child's.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ranked_candidate',
    sa.Column('sought_child_id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.SmallInteger(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('engine_version', sa.String(length=40), nullable=False),
    sa.Column('ranked_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('rank >= 1', name=op.f('ck_ranked_candidate_rank_from_one')),
    sa.CheckConstraint('score BETWEEN 0 AND 1', name=op.f('ck_ranked_candidate_score_is_probability')),
    sa.ForeignKeyConstraint(['child_id'], ['child_registration.id'], name=op.f('fk_ranked_candidate_child_id_child_registration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sought_child_id'], ['sought_child.id'], name=op.f('fk_ranked_candidate_sought_child_id_sought_child'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sought_child_id', 'child_id', name=op.f('pk_ranked_candidate'))
    )
    op.create_index(op.f('ix_ranked_candidate_child_id'), 'ranked_candidate', ['child_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_ranked_candidate_child_id'), table_name='ranked_candidate')
    op.drop_table('ranked_candidate')
