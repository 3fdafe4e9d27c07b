"""a salary entry records the payroll run of its payslip, and the ledger keeps the runs it
heard of, to reverse a cancelled run's salaries and post nothing for a payslip of it that
arrives later (cae.payroll.run_cancelled.v1)

Salaries posted before this revision have no run recorded (the payslip_issued events
were not kept): a cancellation of such a run reverses nothing, and says so.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN, not a batch: SQLite would copy the table and lose its triggers
    op.add_column("entries", sa.Column("payroll_run_id", sa.String(length=36), nullable=True))
    op.create_index("ix_entries_payroll_run", "entries", ["cooperative_id", "payroll_run_id"])
    op.create_table(
        "payroll_runs",
        sa.Column("cooperative_id", sa.String(length=36), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.Column("cancelled_by", sa.String(length=100), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("cooperative_id", "run_id"),
    )


def downgrade() -> None:  # in place on both (SQLite 3.35+), the triggers kept
    op.drop_table("payroll_runs")
    op.drop_index("ix_entries_payroll_run", table_name="entries")
    op.execute("ALTER TABLE entries DROP COLUMN payroll_run_id")
