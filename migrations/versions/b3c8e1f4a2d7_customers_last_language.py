"""customers.last_language: the language of the driver's last understood message

Revision ID: b3c8e1f4a2d7
Revises: 9a4f2c7e1b35
Create Date: 2026-12-02 01:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b3c8e1f4a2d7"
down_revision = "9a4f2c7e1b35"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_language", sa.String(length=2), nullable=True))


def downgrade():
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("last_language")
