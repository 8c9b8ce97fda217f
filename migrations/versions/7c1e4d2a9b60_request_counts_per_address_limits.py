"""request_counts: per-address limits on the web forms, panel sign-in and the API

Revision ID: 7c1e4d2a9b60
Revises: 7b1e4c2a9d10
Create Date: 2026-11-30 22:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1e4d2a9b60'
down_revision = '7b1e4c2a9d10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'request_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=160), nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_request_counts')),
        sa.UniqueConstraint('key', 'window_start', name='uq_request_counts_window'),
    )
    with op.batch_alter_table('request_counts', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_request_counts_window_start'), ['window_start'], unique=False
        )


def downgrade():
    with op.batch_alter_table('request_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_counts_window_start'))
    op.drop_table('request_counts')
