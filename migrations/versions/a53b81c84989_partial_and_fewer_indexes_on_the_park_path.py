"""fewer index entries per park: partial indexes where most rows are NULL, no duplicates

Events (case_id, external_id, demand) and payments (checkout_ref, provider_ref) are
indexed only where the column is set. vehicles.customer_id and orders.zone_id lose their
own index: each is the leading column of uq_vehicles_customer_id, ix_orders_zone_kind_status.

Revision ID: a53b81c84989
Revises: b3c8e1f4a2d7
Create Date: 2026-12-02 11:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a53b81c84989"
down_revision = "b3c8e1f4a2d7"
branch_labels = None
depends_on = None


def _set(column):
    return {
        "sqlite_where": sa.text(f"{column} IS NOT NULL"),
        "postgresql_where": sa.text(f"{column} IS NOT NULL"),
    }


def upgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_case_id")
        batch_op.drop_index("ix_events_external_id")
        batch_op.drop_index("ix_events_demand_created")
        batch_op.create_index("ix_events_case_id", ["case_id"], unique=False, **_set("case_id"))
        batch_op.create_index(
            "ix_events_external_id", ["external_id"], unique=False, **_set("external_id")
        )
        batch_op.create_index(
            "ix_events_demand_created", ["demand", "created_at"], unique=False, **_set("demand")
        )

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_checkout_ref")
        batch_op.drop_index("ix_payments_provider_ref")
        batch_op.create_index(
            "ix_payments_checkout_ref", ["checkout_ref"], unique=False, **_set("checkout_ref")
        )
        batch_op.create_index(
            "ix_payments_provider_ref", ["provider_ref"], unique=False, **_set("provider_ref")
        )

    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.drop_index("ix_vehicles_customer_id")

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_zone_id")


def downgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_zone_id", ["zone_id"], unique=False)

    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.create_index("ix_vehicles_customer_id", ["customer_id"], unique=False)

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_provider_ref")
        batch_op.drop_index("ix_payments_checkout_ref")
        batch_op.create_index("ix_payments_provider_ref", ["provider_ref"], unique=False)
        batch_op.create_index("ix_payments_checkout_ref", ["checkout_ref"], unique=False)

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_demand_created")
        batch_op.drop_index("ix_events_external_id")
        batch_op.drop_index("ix_events_case_id")
        batch_op.create_index("ix_events_demand_created", ["demand", "created_at"], unique=False)
        batch_op.create_index("ix_events_external_id", ["external_id"], unique=False)
        batch_op.create_index("ix_events_case_id", ["case_id"], unique=False)
