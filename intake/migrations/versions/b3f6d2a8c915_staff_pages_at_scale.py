"""staff pages at scale: indexes for keyset paging, outcome counts and trigram search

The requests list pages newest first by (created_at, id) cursors, and by status for "new", so
those replace the single-column indexes; submissions' (outcome, id) lets the outcome filter
count matches from the index alone; booking requests' submission_id after (created_at, id) and
submissions' (id, outcome) let the dashboard count recent outcomes from indexes alone. On PostgreSQL, pg_trgm's GIN indexes let staff search
(`lower(name) LIKE '%…%'` and the like, intake/staff/requests/finding.py) find rows without
reading the table; SQLite has no trigram indexes and searches by reading the table.

pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may install it. It is
installed in `public` when missing and left installed by the downgrade (other objects may use it).

Revision ID: b3f6d2a8c915
Revises: a41c7d2e9b10
Create Date: 2026-12-02 15:00:00.000000

"""
from alembic import context, op


# revision identifiers, used by Alembic.
revision = 'b3f6d2a8c915'
down_revision = 'a41c7d2e9b10'
branch_labels = None
depends_on = None

#: name, table, indexed expression: the same as in intake/models.py
TRIGRAM_INDEXES = (
    ('ix_booking_requests_name_trgm', 'booking_requests', 'lower(name)'),
    ('ix_booking_requests_email_trgm', 'booking_requests', 'lower(email)'),
    ('ix_booking_requests_phone_trgm', 'booking_requests', "replace(phone, '+', '')"),
    ('ix_submissions_reference_trgm', 'submissions', 'lower(reference)'),
)
_EXTENSION_SCHEMA = (
    "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"
)


def _trigram_schema() -> str | None:
    """Install pg_trgm if missing (in `public` when it exists, so a dropped schema never takes
    it along); returns the schema it is in. Offline (`flask db upgrade --sql`) there is no
    database to ask: the script installs it where the search path says and names the operator
    class unqualified (None)."""
    if context.is_offline_mode():
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        return None
    bind = op.get_bind()
    schema = bind.exec_driver_sql(_EXTENSION_SCHEMA).scalar()
    if schema is None:
        public = bind.exec_driver_sql("SELECT 1 FROM pg_namespace WHERE nspname = 'public'")
        in_public = ' SCHEMA public' if public.scalar() else ''
        op.execute(f'CREATE EXTENSION IF NOT EXISTS pg_trgm{in_public}')
        schema = bind.exec_driver_sql(_EXTENSION_SCHEMA).scalar()
    return schema


def upgrade():
    op.drop_index('ix_booking_requests_created_at', table_name='booking_requests')
    op.drop_index('ix_booking_requests_status', table_name='booking_requests')
    op.drop_index('ix_submissions_outcome', table_name='submissions')
    op.create_index('ix_submissions_outcome_id', 'submissions', ['outcome', 'id'])
    op.create_index('ix_submissions_id_outcome', 'submissions', ['id', 'outcome'])
    op.create_index(
        'ix_booking_requests_created_at_id_submission_id',
        'booking_requests',
        ['created_at', 'id', 'submission_id'],
    )
    op.create_index(
        'ix_booking_requests_status_created_at_id',
        'booking_requests',
        ['status', 'created_at', 'id'],
    )
    if op.get_context().dialect.name == 'postgresql':
        schema = _trigram_schema()
        ops = f'{schema}.gin_trgm_ops' if schema else 'gin_trgm_ops'
        for name, table, expression in TRIGRAM_INDEXES:
            op.execute(f'CREATE INDEX {name} ON {table} USING gin ({expression} {ops})')


def downgrade():
    if op.get_context().dialect.name == 'postgresql':
        for name, _, _ in reversed(TRIGRAM_INDEXES):
            op.execute(f'DROP INDEX IF EXISTS {name}')
    op.drop_index('ix_booking_requests_status_created_at_id', table_name='booking_requests')
    op.drop_index(
        'ix_booking_requests_created_at_id_submission_id', table_name='booking_requests'
    )
    op.create_index('ix_booking_requests_status', 'booking_requests', ['status'])
    op.create_index('ix_booking_requests_created_at', 'booking_requests', ['created_at'])
    op.drop_index('ix_submissions_id_outcome', table_name='submissions')
    op.drop_index('ix_submissions_outcome_id', table_name='submissions')
    op.create_index('ix_submissions_outcome', 'submissions', ['outcome'])
