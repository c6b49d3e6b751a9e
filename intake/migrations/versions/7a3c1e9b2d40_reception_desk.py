"""reception desk (issue 13): who a request is assigned to, the call-back day after "tried to
call", and the status history (who changed what, when, why) that undo reverts.

Revision ID: 7a3c1e9b2d40
Revises: 5e2b7c9a4f31
Create Date: 2026-12-03 02:30:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '7a3c1e9b2d40'
down_revision = '5e2b7c9a4f31'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    with op.batch_alter_table('booking_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_to_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('call_back_on', sa.Date(), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_booking_requests_assigned_to_id'), ['assigned_to_id'], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_booking_requests_assigned_to_id_users'),
            'users', ['assigned_to_id'], ['id'], ondelete='SET NULL',
        )
    op.create_table(
        'status_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('booking_request_id', sa.Integer(), nullable=False),
        sa.Column('old', sa.String(length=20), nullable=False),
        sa.Column('new', sa.String(length=20), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('before', JSON, nullable=False),
        sa.Column('undoes_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['booking_request_id'], ['booking_requests.id'],
            name=op.f('fk_status_changes_booking_request_id_booking_requests'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['undoes_id'], ['status_changes.id'],
            name=op.f('fk_status_changes_undoes_id_status_changes'),
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_status_changes_user_id_users'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_status_changes')),
    )
    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_status_changes_booking_request_id'), ['booking_request_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_changes_booking_request_id'))
    op.drop_table('status_changes')
    with op.batch_alter_table('booking_requests', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_booking_requests_assigned_to_id_users'), type_='foreignkey'
        )
        batch_op.drop_index(batch_op.f('ix_booking_requests_assigned_to_id'))
        batch_op.drop_column('call_back_on')
        batch_op.drop_column('assigned_to_id')
