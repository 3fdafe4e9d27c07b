"""what a French payslip names (the establishment, the employer's dated name, the
employee's job, address and hours), a run's payment date and who it leaves out, runs
cancelled before their payment date (kept with their payslips, out of the month's
uniqueness), and the keys of the payslips' signed document links

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _establishment():
    return (
        sa.Column("payment_day", sa.Integer(), nullable=True),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column("ape_code", sa.String(length=5), nullable=True),
        sa.Column("urssaf_body", sa.String(length=100), nullable=True),
        sa.Column("urssaf_number", sa.String(length=30), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("convention_idcc", sa.String(length=4), nullable=True),
        sa.Column("convention_title", sa.String(length=200), nullable=True),
    )


def _employee():
    return (
        sa.Column("job_title", sa.String(length=100), nullable=True),
        sa.Column("classification", sa.String(length=100), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("monthly_hours_x100", sa.Integer(), nullable=True),
    )


def _run():
    return (
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("cancel_key", sa.String(length=36), nullable=False, server_default=""),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.Column("cancelled_by", sa.String(length=100), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
    )


def _run_member():
    return (
        sa.Column("monthly_hours_x100", sa.Integer(), nullable=True),
        sa.Column("left_out", sa.String(length=40), nullable=True),
    )


def _payslip():
    return (
        sa.Column("monthly_hours_x100", sa.Integer(), nullable=True),
        sa.Column("cancel_key", sa.String(length=36), nullable=False, server_default=""),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
    )


def upgrade() -> None:
    for table, columns in (("payroll_settings", _establishment()), ("employees", _employee()),
                           ("run_members", _run_member())):
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.add_column(column)
    with op.batch_alter_table("runs") as batch:
        for column in _run():
            batch.add_column(column)
        batch.drop_constraint("uq_runs_period", type_="unique")
        batch.create_unique_constraint("uq_runs_live_period",
                                       ["cooperative_id", "period", "cancel_key"])
    with op.batch_alter_table("payslips") as batch:
        for column in _payslip():
            batch.add_column(column)
        batch.drop_constraint("uq_payslips_member_period", type_="unique")
        batch.create_unique_constraint("uq_payslips_live_member_period",
                                       ["cooperative_id", "member_id", "period", "cancel_key"])
    op.create_table(
        "employer_names",
        sa.Column("cooperative_id", sa.String(length=36), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("cooperative_id", "effective_on"),
    )
    op.create_table(
        "document_keys",
        sa.Column("cooperative_id", sa.String(length=36), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("cooperative_id"),
    )


def downgrade() -> None:
    """Refused by the old uniqueness while a cancelled run's month was run again."""
    op.drop_table("document_keys")
    op.drop_table("employer_names")
    with op.batch_alter_table("payslips") as batch:
        batch.drop_constraint("uq_payslips_live_member_period", type_="unique")
        batch.create_unique_constraint("uq_payslips_member_period",
                                       ["cooperative_id", "member_id", "period"])
        for column in reversed(_payslip()):
            batch.drop_column(column.name)
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint("uq_runs_live_period", type_="unique")
        batch.create_unique_constraint("uq_runs_period", ["cooperative_id", "period"])
        for column in reversed(_run()):
            batch.drop_column(column.name)
    for table, columns in (("run_members", _run_member()), ("employees", _employee()),
                           ("payroll_settings", _establishment())):
        with op.batch_alter_table(table) as batch:
            for column in reversed(columns):
                batch.drop_column(column.name)
