"""outcome follow-up: patients' consent and PSFS baseline at booking, the first appointment
date, follow-up questionnaires and their single-purpose links (issue 12)

Revision ID: 1d6ef7ad7205
Revises: b3f6d2a8c915
Create Date: 2026-12-02 17:11:42.618354

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '1d6ef7ad7205'
down_revision = 'b3f6d2a8c915'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('followups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_request_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('weeks', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('reminded_at', sa.DateTime(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('answers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('flags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('flags_seen_at', sa.DateTime(), nullable=True),
    sa.Column('held', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['booking_request_id'], ['booking_requests.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('booking_request_id', 'number')
    )
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followups_booking_request_id'), ['booking_request_id'], unique=False)
        batch_op.create_index('ix_followups_status_due_at', ['status', 'due_at'], unique=False)

    op.create_table('followup_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('followup_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['followup_id'], ['followups.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('followup_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followup_links_followup_id'), ['followup_id'], unique=False)

    with op.batch_alter_table('booking_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('followup_consent', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('psfs_baseline', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('first_appointment_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('followups_stopped_at', sa.DateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('booking_requests', schema=None) as batch_op:
        batch_op.drop_column('followups_stopped_at')
        batch_op.drop_column('first_appointment_on')
        batch_op.drop_column('psfs_baseline')
        batch_op.drop_column('followup_consent')

    with op.batch_alter_table('followup_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followup_links_followup_id'))

    op.drop_table('followup_links')
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_index('ix_followups_status_due_at')
        batch_op.drop_index(batch_op.f('ix_followups_booking_request_id'))

    op.drop_table('followups')
