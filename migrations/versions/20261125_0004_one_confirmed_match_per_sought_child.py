"""At most one confirmed (or reunified) match per sought child: a sought child is one child.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 19:29:10.430561
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('uq_potential_match_one_confirmed_per_sought_child', 'potential_match', ['sought_child_id'], unique=True, postgresql_where=sa.text("status IN ('confirmed', 'reunified', 'reunified_elsewhere')"))


def downgrade() -> None:
    op.drop_index('uq_potential_match_one_confirmed_per_sought_child', table_name='potential_match', postgresql_where=sa.text("status IN ('confirmed', 'reunified', 'reunified_elsewhere')"))
