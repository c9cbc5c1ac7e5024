"""Rate-limit counters in the store, shared by every server process.

With several gunicorn workers, per-process counters would let each worker grant the
sign-in limit again; the store counts once for all (tracing/rate_limits.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'rate_limit_counter',
        sa.Column('key', sa.Text(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counter')),
        prefixes=['UNLOGGED'],
    )
    op.create_index(
        op.f('ix_rate_limit_counter_expires_at'), 'rate_limit_counter', ['expires_at']
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_rate_limit_counter_expires_at'), table_name='rate_limit_counter')
    op.drop_table('rate_limit_counter')
