"""A GIN index on the name keys of records known by one name only.

Real-time matching reaches small children known by a single name through a common name
key within an age window; without this index each such query filtered tens of thousands
of heap rows on a 200,000-child store (models/person.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 02:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("child_registration", "sought_child")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(
            f"ix_{table}_single_name_keys",
            table,
            ["name_keys"],
            unique=False,
            postgresql_using="gin",
            postgresql_with={"gin_pending_list_limit": 256},
            postgresql_where=sa.text("search_text NOT LIKE '% %'"),
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_single_name_keys", table_name=table)
