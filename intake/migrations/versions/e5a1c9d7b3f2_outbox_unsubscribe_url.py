"""outbox.unsubscribe_url: List-Unsubscribe (RFC 8058 one-click) for follow-up emails

Revision ID: e5a1c9d7b3f2
Revises: 6c00093d36ed
Create Date: 2026-12-03 17:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'e5a1c9d7b3f2'
down_revision = '6c00093d36ed'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unsubscribe_url', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('unsubscribe_url')
