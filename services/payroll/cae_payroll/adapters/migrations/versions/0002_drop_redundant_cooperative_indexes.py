"""drop the cooperative_id indexes that a unique constraint already covers

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # uq_payslips_member_period and uq_runs_period lead with cooperative_id
    op.drop_index('ix_payslips_cooperative_id', table_name='payslips')
    op.drop_index('ix_runs_cooperative_id', table_name='runs')


def downgrade() -> None:
    op.create_index('ix_runs_cooperative_id', 'runs', ['cooperative_id'], unique=False)
    op.create_index('ix_payslips_cooperative_id', 'payslips', ['cooperative_id'], unique=False)
