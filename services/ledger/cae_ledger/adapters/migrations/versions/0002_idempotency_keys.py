"""the kit's idempotency keys

Revision ID: 0002
Revises: 0001
"""
from alembic import op

from caekit.tables import create_kit_tables, idempotency_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables(op.get_bind(), "idempotency_keys")


def downgrade() -> None:
    idempotency_table.drop(bind=op.get_bind())
