"""events by kind and time: the retention sweep and /metrics read them so

Revision ID: 7c1e5a90d2b4
Revises: 7c1e4d2a9b60
Create Date: 2026-11-30 22:25:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7c1e5a90d2b4'
down_revision = '7c1e4d2a9b60'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_kind_created', ['kind', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_kind_created')
