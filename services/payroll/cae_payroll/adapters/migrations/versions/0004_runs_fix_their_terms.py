"""a run fixes its terms when it starts: the cooperative's (runs) and each member's
activity, status, withholding rate and salary in force (run_members); the runs started
before are filled from the terms as they are now

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_MEMBER_TERMS = ("activity_code", "cadre", "withholding_rate")


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("staff", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("at_rate", sa.String(length=12), nullable=True))
    with op.batch_alter_table("run_members") as batch:
        batch.add_column(sa.Column("activity_code", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("cadre", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("withholding_rate", sa.String(length=12), nullable=True))
        batch.add_column(sa.Column("gross_cents", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE runs SET "
        + ", ".join(f"{name} = (SELECT s.{name} FROM payroll_settings s "
                    "WHERE s.cooperative_id = runs.cooperative_id)" for name in ("staff", "at_rate")))
    employee = ("FROM employees e WHERE e.cooperative_id = run_members.cooperative_id "
                "AND e.member_id = run_members.member_id")
    op.execute(
        "UPDATE run_members SET "
        + ", ".join(f"{name} = (SELECT e.{name} {employee})" for name in _MEMBER_TERMS)
        + ", gross_cents = (SELECT c.gross_cents FROM salary_choices c "
        "WHERE c.cooperative_id = run_members.cooperative_id "
        "AND c.member_id = run_members.member_id "
        "AND c.period <= (SELECT r.period FROM runs r WHERE r.id = run_members.run_id) "
        "ORDER BY c.period DESC LIMIT 1)")


def downgrade() -> None:
    with op.batch_alter_table("run_members") as batch:
        for name in (*_MEMBER_TERMS, "gross_cents"):
            batch.drop_column(name)
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("at_rate")
        batch.drop_column("staff")
