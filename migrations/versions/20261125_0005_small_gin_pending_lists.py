"""Small GIN pending lists on the name-key and trigram indexes.

Every query reads a GIN index's whole pending list; at the default 4 MB, name-key
lookups of real-time matching slowed thirty-fold after a bulk update (models/person.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 23:05:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = [
    f"ix_{table}_{column}"
    for table in ("child_registration", "sought_child")
    for column in ("name_keys", "block_keys", "search_text_trgm")
]


def upgrade() -> None:
    for index in INDEXES:
        op.execute(f"ALTER INDEX {index} SET (gin_pending_list_limit = 256)")
        op.execute(f"SELECT gin_clean_pending_list('{index}'::regclass)")


def downgrade() -> None:
    for index in INDEXES:
        op.execute(f"ALTER INDEX {index} RESET (gin_pending_list_limit)")
