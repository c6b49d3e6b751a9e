"""held_forms: a request-desk form sent with problems, shown again after a redirect

Revision ID: 6c00093d36ed
Revises: 7a3c1e9b2d40
Create Date: 2026-12-03 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '6c00093d36ed'
down_revision = '7a3c1e9b2d40'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    op.create_table(
        'held_forms',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('booking_request_id', sa.Integer(), nullable=False),
        sa.Column('page', sa.String(length=20), nullable=False),
        sa.Column('typed', JSON, nullable=False),
        sa.Column('errors', JSON, nullable=False),
        sa.Column('held_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['booking_request_id'], ['booking_requests.id'],
            name=op.f('fk_held_forms_booking_request_id_booking_requests'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_held_forms_user_id_users'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_held_forms')),
    )
    with op.batch_alter_table('held_forms', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_held_forms_booking_request_id'), ['booking_request_id'], unique=False
        )
        batch_op.create_index(batch_op.f('ix_held_forms_held_at'), ['held_at'], unique=False)


def downgrade():
    with op.batch_alter_table('held_forms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_held_forms_held_at'))
        batch_op.drop_index(batch_op.f('ix_held_forms_booking_request_id'))
    op.drop_table('held_forms')
