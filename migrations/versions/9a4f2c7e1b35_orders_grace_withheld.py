"""orders.grace_withheld: no payment grace after a parking left unpaid

Revision ID: 9a4f2c7e1b35
Revises: 9a4f2c7e1b55
Create Date: 2026-12-01 00:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9a4f2c7e1b35"
down_revision = "9a4f2c7e1b55"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("grace_withheld", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("grace_withheld")
