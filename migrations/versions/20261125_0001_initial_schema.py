"""Initial schema: extensions, agencies and users, cases, inquiries, matches, casework, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 18:25:57.779013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geography
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


EXTENSIONS = ("postgis", "pg_trgm", "fuzzystrmatch")


def upgrade() -> None:
    for extension in EXTENSIONS:
        op.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
    op.create_table('agency',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency')),
    sa.UniqueConstraint('code', name=op.f('uq_agency_code')),
    sa.UniqueConstraint('name', name=op.f('uq_agency_name'))
    )
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("role IN ('registrar', 'helpdesk', 'caseworker', 'supervisor', 'admin')", name=op.f('ck_app_user_role_allowed')),
    sa.CheckConstraint('failed_logins >= 0', name=op.f('ck_app_user_failed_logins_non_negative')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_app_user_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('email', name=op.f('uq_app_user_email'))
    )
    op.create_index(op.f('ix_app_user_agency_id'), 'app_user', ['agency_id'], unique=False)
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('record_type', sa.String(length=40), nullable=True),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('record_ref', sa.String(length=64), nullable=True),
    sa.Column('ip', postgresql.INET(), nullable=True),
    sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_audit_event_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    op.create_index(op.f('ix_audit_event_at'), 'audit_event', ['at'], unique=False)
    op.create_index('ix_audit_event_record', 'audit_event', ['record_type', 'record_id'], unique=False)
    op.create_index(op.f('ix_audit_event_user_id'), 'audit_event', ['user_id'], unique=False)
    op.create_geospatial_table('child_registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_date', sa.Date(), nullable=True),
    sa.Column('current_place', sa.Text(), nullable=True),
    sa.Column('care_arrangement', sa.Text(), nullable=True),
    sa.Column('photo_path', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=30), server_default='open', nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('current_point', Geography(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeogFromText', name='geography'), nullable=True),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('given_name', sa.Text(), nullable=True),
    sa.Column('family_name', sa.Text(), nullable=True),
    sa.Column('other_names', sa.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('sex', sa.String(length=10), server_default='unknown', nullable=False),
    sa.Column('age', sa.SmallInteger(), nullable=True),
    sa.Column('age_estimated', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('date_of_birth_precision', sa.String(length=5), nullable=True),
    sa.Column('languages', sa.Text(), nullable=True),
    sa.Column('distinctive_features', sa.Text(), nullable=True),
    sa.Column('separation_date', sa.Date(), nullable=True),
    sa.Column('separation_date_precision', sa.String(length=5), nullable=True),
    sa.Column('separation_place', sa.Text(), nullable=True),
    sa.Column('separation_cause', sa.Text(), nullable=True),
    sa.Column('mother_name', sa.Text(), nullable=True),
    sa.Column('father_name', sa.Text(), nullable=True),
    sa.Column('other_relatives', sa.Text(), nullable=True),
    sa.Column('consent_tracing', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('consent_sharing', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('revision', sa.Integer(), server_default='1', nullable=False),
    sa.Column('separation_point', Geography(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeogFromText', name='geography'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(date_of_birth IS NULL) = (date_of_birth_precision IS NULL) AND (date_of_birth_precision IS NULL OR date_of_birth_precision IN ('year', 'month', 'day'))", name=op.f('ck_child_registration_date_of_birth_precision_valid')),
    sa.CheckConstraint("(separation_date IS NULL) = (separation_date_precision IS NULL) AND (separation_date_precision IS NULL OR separation_date_precision IN ('year', 'month', 'day'))", name=op.f('ck_child_registration_separation_date_precision_valid')),
    sa.CheckConstraint("sex IN ('male', 'female', 'unknown')", name=op.f('ck_child_registration_sex_allowed')),
    sa.CheckConstraint("status IN ('open', 'tracing', 'match_proposed', 'verification', 'reunified', 'reunified_elsewhere', 'follow_up', 'transferred', 'closed')", name=op.f('ck_child_registration_status_allowed')),
    sa.CheckConstraint('age IS NULL OR age BETWEEN 0 AND 25', name=op.f('ck_child_registration_age_plausible')),
    sa.CheckConstraint('date_of_birth IS NULL OR date_of_birth <= CURRENT_DATE', name=op.f('ck_child_registration_date_of_birth_past')),
    sa.CheckConstraint('given_name IS NOT NULL OR family_name IS NOT NULL OR cardinality(other_names) > 0', name=op.f('ck_child_registration_has_a_name')),
    sa.CheckConstraint('registration_date IS NULL OR registration_date <= CURRENT_DATE', name=op.f('ck_child_registration_registration_date_past')),
    sa.CheckConstraint('separation_date IS NULL OR separation_date <= CURRENT_DATE', name=op.f('ck_child_registration_separation_date_past')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_child_registration_agency_id_agency')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['app_user.id'], name=op.f('fk_child_registration_registered_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_child_registration')),
    sa.UniqueConstraint('ref', name=op.f('uq_child_registration_ref'))
    )
    op.create_geospatial_index('idx_child_registration_current_point', 'child_registration', ['current_point'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_index('idx_child_registration_separation_point', 'child_registration', ['separation_point'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_child_registration_agency_id'), 'child_registration', ['agency_id'], unique=False)
    op.create_index(op.f('ix_child_registration_status'), 'child_registration', ['status'], unique=False)
    op.create_geospatial_table('inquiry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('inquirer_name', sa.Text(), nullable=True),
    sa.Column('inquirer_relationship', sa.Text(), nullable=True),
    sa.Column('inquirer_contact', sa.Text(), nullable=True),
    sa.Column('inquirer_place', sa.Text(), nullable=True),
    sa.Column('inquirer_language', sa.Text(), nullable=True),
    sa.Column('consent_tracing', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('consent_sharing', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('request_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=30), server_default='open', nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=True),
    sa.Column('inquirer_point', Geography(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeogFromText', name='geography'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('open', 'tracing', 'match_proposed', 'verification', 'reunified', 'reunified_elsewhere', 'follow_up', 'transferred', 'closed')", name=op.f('ck_inquiry_status_allowed')),
    sa.CheckConstraint('request_date IS NULL OR request_date <= CURRENT_DATE', name=op.f('ck_inquiry_request_date_past')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_inquiry_agency_id_agency')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['app_user.id'], name=op.f('fk_inquiry_filed_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inquiry')),
    sa.UniqueConstraint('ref', name=op.f('uq_inquiry_ref'))
    )
    op.create_geospatial_index('idx_inquiry_inquirer_point', 'inquiry', ['inquirer_point'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_inquiry_agency_id'), 'inquiry', ['agency_id'], unique=False)
    op.create_table('referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=True),
    sa.Column('inquiry_id', sa.Integer(), nullable=True),
    sa.Column('from_agency_id', sa.Integer(), nullable=False),
    sa.Column('to_agency_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='pending', nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'accepted', 'declined', 'withdrawn')", name=op.f('ck_referral_status_allowed')),
    sa.CheckConstraint('(child_id IS NOT NULL) <> (inquiry_id IS NOT NULL)', name=op.f('ck_referral_exactly_one_record')),
    sa.ForeignKeyConstraint(['child_id'], ['child_registration.id'], name=op.f('fk_referral_child_id_child_registration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['app_user.id'], name=op.f('fk_referral_decided_by_id_app_user')),
    sa.ForeignKeyConstraint(['from_agency_id'], ['agency.id'], name=op.f('fk_referral_from_agency_id_agency')),
    sa.ForeignKeyConstraint(['inquiry_id'], ['inquiry.id'], name=op.f('fk_referral_inquiry_id_inquiry'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['app_user.id'], name=op.f('fk_referral_requested_by_id_app_user')),
    sa.ForeignKeyConstraint(['to_agency_id'], ['agency.id'], name=op.f('fk_referral_to_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral'))
    )
    op.create_index(op.f('ix_referral_child_id'), 'referral', ['child_id'], unique=False)
    op.create_index(op.f('ix_referral_inquiry_id'), 'referral', ['inquiry_id'], unique=False)
    op.create_index(op.f('ix_referral_to_agency_id'), 'referral', ['to_agency_id'], unique=False)
    op.create_geospatial_table('sought_child',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inquiry_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=30), server_default='open', nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('given_name', sa.Text(), nullable=True),
    sa.Column('family_name', sa.Text(), nullable=True),
    sa.Column('other_names', sa.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('sex', sa.String(length=10), server_default='unknown', nullable=False),
    sa.Column('age', sa.SmallInteger(), nullable=True),
    sa.Column('age_estimated', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('date_of_birth_precision', sa.String(length=5), nullable=True),
    sa.Column('languages', sa.Text(), nullable=True),
    sa.Column('distinctive_features', sa.Text(), nullable=True),
    sa.Column('separation_date', sa.Date(), nullable=True),
    sa.Column('separation_date_precision', sa.String(length=5), nullable=True),
    sa.Column('separation_place', sa.Text(), nullable=True),
    sa.Column('separation_cause', sa.Text(), nullable=True),
    sa.Column('mother_name', sa.Text(), nullable=True),
    sa.Column('father_name', sa.Text(), nullable=True),
    sa.Column('other_relatives', sa.Text(), nullable=True),
    sa.Column('consent_tracing', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('consent_sharing', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('revision', sa.Integer(), server_default='1', nullable=False),
    sa.Column('separation_point', Geography(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeogFromText', name='geography'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(date_of_birth IS NULL) = (date_of_birth_precision IS NULL) AND (date_of_birth_precision IS NULL OR date_of_birth_precision IN ('year', 'month', 'day'))", name=op.f('ck_sought_child_date_of_birth_precision_valid')),
    sa.CheckConstraint("(separation_date IS NULL) = (separation_date_precision IS NULL) AND (separation_date_precision IS NULL OR separation_date_precision IN ('year', 'month', 'day'))", name=op.f('ck_sought_child_separation_date_precision_valid')),
    sa.CheckConstraint("sex IN ('male', 'female', 'unknown')", name=op.f('ck_sought_child_sex_allowed')),
    sa.CheckConstraint("status IN ('open', 'tracing', 'match_proposed', 'verification', 'reunified', 'reunified_elsewhere', 'follow_up', 'transferred', 'closed')", name=op.f('ck_sought_child_status_allowed')),
    sa.CheckConstraint('age IS NULL OR age BETWEEN 0 AND 25', name=op.f('ck_sought_child_age_plausible')),
    sa.CheckConstraint('date_of_birth IS NULL OR date_of_birth <= CURRENT_DATE', name=op.f('ck_sought_child_date_of_birth_past')),
    sa.CheckConstraint('given_name IS NOT NULL OR family_name IS NOT NULL OR cardinality(other_names) > 0', name=op.f('ck_sought_child_has_a_name')),
    sa.CheckConstraint('separation_date IS NULL OR separation_date <= CURRENT_DATE', name=op.f('ck_sought_child_separation_date_past')),
    sa.ForeignKeyConstraint(['inquiry_id'], ['inquiry.id'], name=op.f('fk_sought_child_inquiry_id_inquiry'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sought_child')),
    sa.UniqueConstraint('ref', name=op.f('uq_sought_child_ref'))
    )
    op.create_geospatial_index('idx_sought_child_separation_point', 'sought_child', ['separation_point'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_sought_child_inquiry_id'), 'sought_child', ['inquiry_id'], unique=False)
    op.create_index(op.f('ix_sought_child_status'), 'sought_child', ['status'], unique=False)
    op.create_table('potential_match',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('sought_child_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('evidence', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('engine_version', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=30), server_default='proposed', nullable=False),
    sa.Column('reject_reason', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('child_revision', sa.Integer(), server_default='1', nullable=False),
    sa.Column('sought_revision', sa.Integer(), server_default='1', nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status <> 'rejected' OR reject_reason IS NOT NULL", name=op.f('ck_potential_match_rejection_has_reason')),
    sa.CheckConstraint("status IN ('proposed', 'in_verification', 'confirmed', 'rejected', 'reunified', 'reunified_elsewhere', 'superseded')", name=op.f('ck_potential_match_status_allowed')),
    sa.CheckConstraint('score BETWEEN 0 AND 1', name=op.f('ck_potential_match_score_is_probability')),
    sa.ForeignKeyConstraint(['child_id'], ['child_registration.id'], name=op.f('fk_potential_match_child_id_child_registration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['app_user.id'], name=op.f('fk_potential_match_decided_by_id_app_user')),
    sa.ForeignKeyConstraint(['sought_child_id'], ['sought_child.id'], name=op.f('fk_potential_match_sought_child_id_sought_child'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_potential_match')),
    sa.UniqueConstraint('child_id', 'sought_child_id', name='uq_potential_match_pair')
    )
    op.create_index(op.f('ix_potential_match_child_id'), 'potential_match', ['child_id'], unique=False)
    op.create_index(op.f('ix_potential_match_score'), 'potential_match', ['score'], unique=False)
    op.create_index(op.f('ix_potential_match_sought_child_id'), 'potential_match', ['sought_child_id'], unique=False)
    op.create_index(op.f('ix_potential_match_status'), 'potential_match', ['status'], unique=False)
    op.create_table('follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=True),
    sa.Column('sought_child_id', sa.Integer(), nullable=True),
    sa.Column('match_id', sa.Integer(), nullable=True),
    sa.Column('occurred_on', sa.Date(), nullable=True),
    sa.Column('place', sa.Text(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('note', 'interview_child', 'interview_family', 'photo_recognition', 'reunification', 'follow_up_visit', 'closure')", name=op.f('ck_follow_up_kind_allowed')),
    sa.CheckConstraint('child_id IS NOT NULL OR sought_child_id IS NOT NULL OR match_id IS NOT NULL', name=op.f('ck_follow_up_about_something')),
    sa.CheckConstraint('occurred_on IS NULL OR occurred_on <= CURRENT_DATE', name=op.f('ck_follow_up_not_future')),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], name=op.f('fk_follow_up_author_id_app_user')),
    sa.ForeignKeyConstraint(['child_id'], ['child_registration.id'], name=op.f('fk_follow_up_child_id_child_registration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['match_id'], ['potential_match.id'], name=op.f('fk_follow_up_match_id_potential_match'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sought_child_id'], ['sought_child.id'], name=op.f('fk_follow_up_sought_child_id_sought_child'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up'))
    )
    op.create_index(op.f('ix_follow_up_child_id'), 'follow_up', ['child_id'], unique=False)
    op.create_index(op.f('ix_follow_up_match_id'), 'follow_up', ['match_id'], unique=False)
    op.create_index(op.f('ix_follow_up_sought_child_id'), 'follow_up', ['sought_child_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_follow_up_sought_child_id'), table_name='follow_up')
    op.drop_index(op.f('ix_follow_up_match_id'), table_name='follow_up')
    op.drop_index(op.f('ix_follow_up_child_id'), table_name='follow_up')
    op.drop_table('follow_up')
    op.drop_index(op.f('ix_potential_match_status'), table_name='potential_match')
    op.drop_index(op.f('ix_potential_match_sought_child_id'), table_name='potential_match')
    op.drop_index(op.f('ix_potential_match_score'), table_name='potential_match')
    op.drop_index(op.f('ix_potential_match_child_id'), table_name='potential_match')
    op.drop_table('potential_match')
    op.drop_index(op.f('ix_sought_child_status'), table_name='sought_child')
    op.drop_index(op.f('ix_sought_child_inquiry_id'), table_name='sought_child')
    op.drop_geospatial_index('idx_sought_child_separation_point', table_name='sought_child', postgresql_using='gist', column_name='separation_point')
    op.drop_geospatial_table('sought_child')
    op.drop_index(op.f('ix_referral_to_agency_id'), table_name='referral')
    op.drop_index(op.f('ix_referral_inquiry_id'), table_name='referral')
    op.drop_index(op.f('ix_referral_child_id'), table_name='referral')
    op.drop_table('referral')
    op.drop_index(op.f('ix_inquiry_agency_id'), table_name='inquiry')
    op.drop_geospatial_index('idx_inquiry_inquirer_point', table_name='inquiry', postgresql_using='gist', column_name='inquirer_point')
    op.drop_geospatial_table('inquiry')
    op.drop_index(op.f('ix_child_registration_status'), table_name='child_registration')
    op.drop_index(op.f('ix_child_registration_agency_id'), table_name='child_registration')
    op.drop_geospatial_index('idx_child_registration_separation_point', table_name='child_registration', postgresql_using='gist', column_name='separation_point')
    op.drop_geospatial_index('idx_child_registration_current_point', table_name='child_registration', postgresql_using='gist', column_name='current_point')
    op.drop_geospatial_table('child_registration')
    op.drop_index(op.f('ix_audit_event_user_id'), table_name='audit_event')
    op.drop_index('ix_audit_event_record', table_name='audit_event')
    op.drop_index(op.f('ix_audit_event_at'), table_name='audit_event')
    op.drop_table('audit_event')
    op.drop_index(op.f('ix_app_user_agency_id'), table_name='app_user')
    op.drop_table('app_user')
    op.drop_table('agency')
    for extension in reversed(EXTENSIONS):
        op.execute(f"DROP EXTENSION IF EXISTS {extension}")
