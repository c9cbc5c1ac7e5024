"""Block-key indexes cover the columns real-time matching reads (models/blocking.py).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 15:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INCLUDED = {
    'child_block_key': ['child_id'],
    'sought_block_key': ['sought_child_id', 'slot', 'discount'],
}


def _recreate(include: bool) -> None:
    """Build each index anew beside the old one, CONCURRENTLY (real-time matching goes on
    reading and writing the keys meanwhile), then drop the old one and take its name."""
    with op.get_context().autocommit_block():
        for table, columns in _INCLUDED.items():
            for band in ('band_a', 'band_b'):
                name = f'ix_{table}_key_{band}'
                op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS {name}_next')  # a failed run's
                op.create_index(
                    f'{name}_next',
                    table,
                    ['key', band],
                    unique=False,
                    postgresql_include=columns if include else [],
                    postgresql_concurrently=True,
                )
                op.drop_index(name, table_name=table, postgresql_concurrently=True)
                op.execute(f'ALTER INDEX {name}_next RENAME TO {name}')


def upgrade() -> None:
    _recreate(include=True)


def downgrade() -> None:
    _recreate(include=False)
