"""an index in the order of the member listing, for its pages (keyset pagination)

Revision ID: 0010
Revises: 0009
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_members_listing", "members",
                    ["cooperative_id", "last_name", "first_name", "id"])


def downgrade() -> None:
    op.drop_index("ix_members_listing", table_name="members")
