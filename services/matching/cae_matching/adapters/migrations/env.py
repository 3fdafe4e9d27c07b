from cae_matching.adapters.store import Base
from caekit.migrations import run_migrations

run_migrations(Base.metadata)
