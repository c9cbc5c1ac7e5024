"""Ranked pairs keep their own evidence (models/match.py RankedCandidate).

Rows ranked before the upgrade have none: real-time matching ranks their sought
children again from the records until the next matching pass stores it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 12:12:38.931876
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('ranked_candidate', sa.Column('model_id', sa.Integer(), nullable=True))
    op.add_column('ranked_candidate', sa.Column('child_revision', sa.Integer(), nullable=True))
    op.add_column('ranked_candidate', sa.Column('sought_revision', sa.Integer(), nullable=True))
    op.add_column('ranked_candidate', sa.Column('logodds', sa.Float(), nullable=True))
    op.add_column('ranked_candidate', sa.Column('levels', postgresql.ARRAY(sa.SmallInteger()), nullable=True))
    op.add_column('ranked_candidate', sa.Column('weights', postgresql.ARRAY(sa.Float()), nullable=True))
    # updated in place at each real-time ranking (models/match.py)
    op.execute(
        "ALTER TABLE ranked_candidate"
        " SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02)"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE ranked_candidate RESET (fillfactor, autovacuum_vacuum_scale_factor)"
    )
    op.drop_column('ranked_candidate', 'weights')
    op.drop_column('ranked_candidate', 'levels')
    op.drop_column('ranked_candidate', 'logodds')
    op.drop_column('ranked_candidate', 'sought_revision')
    op.drop_column('ranked_candidate', 'child_revision')
    op.drop_column('ranked_candidate', 'model_id')
