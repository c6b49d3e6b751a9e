"""follow-up results: what each answered follow-up showed against the patient's baseline,
stored when it is answered, so the outcomes report reads them instead of working each out
again (issue 12). Rows answered before this column existed keep NULL and are worked out again.

Revision ID: 5e2b7c9a4f31
Revises: 1d6ef7ad7205
Create Date: 2026-12-02 19:05:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '5e2b7c9a4f31'
down_revision = '1d6ef7ad7205'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('results', JSON, nullable=True))


def downgrade():
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_column('results')
