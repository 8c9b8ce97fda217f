"""waitlist entries: drivers in line for a space of a full bookable zone

Revision ID: 9a4f2c7e1b55
Revises: 7c1e5a90d2b4
Create Date: 2026-12-01 00:30:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '9a4f2c7e1b55'
down_revision = '7c1e5a90d2b4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'waitlist_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('zone_id', sa.Integer(), nullable=False),
        sa.Column('plate_key', sa.String(length=16), nullable=False),
        sa.Column('plate_display', sa.String(length=24), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column(
            'status',
            sa.Enum(
                'waiting', 'offered', 'taken', 'passed', 'expired',
                name='waitlist_status', native_enum=False, create_constraint=True, length=24,
            ),
            nullable=False,
        ),
        sa.Column('order_id', sa.Integer(), nullable=True),
        sa.Column('offer_expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id']),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id']),
        sa.ForeignKeyConstraint(['zone_id'], ['zones.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.create_index('ix_waitlist_entries_customer_id', ['customer_id'], unique=False)
        batch_op.create_index('ix_waitlist_zone_status', ['zone_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_waitlist_zone_status')
        batch_op.drop_index('ix_waitlist_entries_customer_id')
    op.drop_table('waitlist_entries')
