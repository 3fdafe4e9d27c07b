from caekit.migrations import run_migrations

from cae_members.store import Base

run_migrations(Base.metadata)
