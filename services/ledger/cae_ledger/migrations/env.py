from caekit.migrations import run_migrations

from cae_ledger.store import Base

run_migrations(Base.metadata)
