"""hardening round two: per-user session version; per-recipient outbox delivery

Revision ID: 7f3e9a2b1c44
Revises: d13fddbfa949
Create Date: 2026-12-02 07:15:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '7f3e9a2b1c44'
down_revision = 'd13fddbfa949'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivered_to', JSON, nullable=True))
        batch_op.add_column(sa.Column('permanent_failures', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('permanent_failures')
        batch_op.drop_column('delivered_to')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
