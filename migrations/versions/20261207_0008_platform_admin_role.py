"""The platform administrator: a role above the agencies, which alone creates agencies.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 03:00:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = ('registrar', 'helpdesk', 'caseworker', 'supervisor', 'admin')
NEW = (*OLD, 'platform_admin')


def upgrade() -> None:
    op.drop_constraint(op.f('ck_app_user_role_allowed'), 'app_user', type_='check')
    op.create_check_constraint('role_allowed', 'app_user', f'role IN {NEW!r}')


def downgrade() -> None:
    op.execute("UPDATE app_user SET role = 'admin' WHERE role = 'platform_admin'")
    op.drop_constraint(op.f('ck_app_user_role_allowed'), 'app_user', type_='check')
    op.create_check_constraint('role_allowed', 'app_user', f'role IN {OLD!r}')
