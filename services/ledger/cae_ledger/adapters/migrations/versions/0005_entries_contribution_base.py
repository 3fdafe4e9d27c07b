"""each entry records the revenue it added to its year's contribution bands, so that a
reversal takes back exactly that after the cooperative changed its contribution basis
(the entries posted before are filled as the code then assumed: their revenue if
their kind is the cooperative's basis now)

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_BACKFILL = (
    "UPDATE entries SET contribution_base_cents = revenue_cents "
    "WHERE revenue_cents <> 0 AND reverses IS NULL AND origin_entry IS NULL "
    "AND kind = COALESCE((SELECT c.contribution_basis FROM cooperatives c "
    "WHERE c.cooperative_id = entries.cooperative_id), 'payment')")


def upgrade() -> None:
    # ADD COLUMN, not a batch: SQLite would copy the table and lose its triggers
    op.add_column("entries", sa.Column("contribution_base_cents", sa.BigInteger(), nullable=True))
    _unguarded(_BACKFILL)


def downgrade() -> None:  # in place on both (SQLite 3.35+), the triggers kept
    op.execute("ALTER TABLE entries DROP COLUMN contribution_base_cents")


def _unguarded(statement: str) -> None:
    """``statement`` run past the trigger that keeps entries immutable (0003), then put back."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE entries DISABLE TRIGGER entries_immutable")
        op.execute(statement)
        op.execute("ALTER TABLE entries ENABLE TRIGGER entries_immutable")
    else:
        op.execute("DROP TRIGGER entries_no_update")
        op.execute(statement)
        op.execute("CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries BEGIN SELECT "
                   "RAISE(ABORT, 'ledger entries are immutable: post a reversing entry'); END")
