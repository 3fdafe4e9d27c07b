from cae_governance.adapters.store import Base
from caekit.migrations import run_migrations

run_migrations(Base.metadata)
