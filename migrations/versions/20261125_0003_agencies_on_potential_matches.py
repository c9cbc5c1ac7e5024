"""The owning agencies of both records on each potential match, for a fast review queue.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 19:13:23.980484
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('potential_match', sa.Column('child_agency_id', sa.Integer(), nullable=True))
    op.add_column('potential_match', sa.Column('sought_agency_id', sa.Integer(), nullable=True))
    op.execute(
        """
        UPDATE potential_match pm
        SET child_agency_id = c.agency_id, sought_agency_id = i.agency_id
        FROM child_registration c, sought_child s, inquiry i
        WHERE c.id = pm.child_id AND s.id = pm.sought_child_id AND i.id = s.inquiry_id
        """
    )
    op.alter_column('potential_match', 'child_agency_id', nullable=False)
    op.alter_column('potential_match', 'sought_agency_id', nullable=False)
    op.create_index(op.f('ix_potential_match_child_agency_id'), 'potential_match', ['child_agency_id'], unique=False)
    op.create_index(op.f('ix_potential_match_sought_agency_id'), 'potential_match', ['sought_agency_id'], unique=False)
    op.create_foreign_key(op.f('fk_potential_match_sought_agency_id_agency'), 'potential_match', 'agency', ['sought_agency_id'], ['id'])
    op.create_foreign_key(op.f('fk_potential_match_child_agency_id_agency'), 'potential_match', 'agency', ['child_agency_id'], ['id'])


def downgrade() -> None:
    op.drop_constraint(op.f('fk_potential_match_child_agency_id_agency'), 'potential_match', type_='foreignkey')
    op.drop_constraint(op.f('fk_potential_match_sought_agency_id_agency'), 'potential_match', type_='foreignkey')
    op.drop_index(op.f('ix_potential_match_sought_agency_id'), table_name='potential_match')
    op.drop_index(op.f('ix_potential_match_child_agency_id'), table_name='potential_match')
    op.drop_column('potential_match', 'sought_agency_id')
    op.drop_column('potential_match', 'child_agency_id')
