"""drafts.held, submissions.held_booking: a form sent with errors, shown again after a redirect

Revision ID: a41c7d2e9b10
Revises: 7f3e9a2b1c44
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'a41c7d2e9b10'
down_revision = '7f3e9a2b1c44'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held', JSON, nullable=True))
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_booking', JSON, nullable=True))


def downgrade():
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('held_booking')
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_column('held')
