"""bookings: zone booking terms, booking reference, hold expiry, start reminder

Revision ID: 7b1e4c2a9d10
Revises: 258d3b707bed
Create Date: 2026-12-01 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7b1e4c2a9d10'
down_revision = '258d3b707bed'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('booking_ref', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('hold_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column('start_reminder_sent_at', sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_unique_constraint(batch_op.f('uq_orders_booking_ref'), ['booking_ref'])
        batch_op.create_index(
            'ix_orders_zone_kind_status', ['zone_id', 'kind', 'status'], unique=False
        )

    with op.batch_alter_table('zones', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slot_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('booking_hours', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('min_notice_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('max_advance_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cancel_free_until_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cancel_late_refund_percent', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('hold_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('booking_rate_per_hour_cents', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('zones', schema=None) as batch_op:
        batch_op.drop_column('booking_rate_per_hour_cents')
        batch_op.drop_column('hold_minutes')
        batch_op.drop_column('cancel_late_refund_percent')
        batch_op.drop_column('cancel_free_until_minutes')
        batch_op.drop_column('max_advance_days')
        batch_op.drop_column('min_notice_minutes')
        batch_op.drop_column('booking_hours')
        batch_op.drop_column('slot_minutes')

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_zone_kind_status')
        batch_op.drop_constraint(batch_op.f('uq_orders_booking_ref'), type_='unique')
        batch_op.drop_column('start_reminder_sent_at')
        batch_op.drop_column('hold_expires_at')
        batch_op.drop_column('booking_ref')
