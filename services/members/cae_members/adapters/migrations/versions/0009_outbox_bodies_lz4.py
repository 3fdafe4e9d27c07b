"""the outbox's bodies compressed with lz4 (batches of events)

Revision ID: 0009
Revises: 0008
"""
from alembic import op

from caekit.tables import compress_outbox_bodies

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    compress_outbox_bodies(op.get_bind(), "lz4")


def downgrade() -> None:
    compress_outbox_bodies(op.get_bind(), "pglz")
