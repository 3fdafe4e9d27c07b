"""Alembic, the same way for every service: ``cae migrate <service>``.

Each service keeps its migrations in ``cae_<service>/adapters/migrations`` with an
``env.py`` that calls ``run_migrations(metadata)``. Migrations run as their own
step (a Kubernetes Job, ``make demo`` before starting), never in a replica's start.
"""

from __future__ import annotations

import importlib
import os

from alembic import command, context
from alembic.config import Config

from caekit.db import make_engine
from caekit.tables import kit_metadata


def alembic_config(service: str, url: str) -> Config:
    package = importlib.import_module(f"cae_{service}")
    location = os.path.join(os.path.dirname(package.__file__), "adapters", "migrations")
    cfg = Config()
    cfg.set_main_option("script_location", location)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(service: str, url: str, revision: str = "head") -> None:
    """Migrate, then load the reference data the service ships with its code, if any: the
    ``after_migrate(url)`` of ``cae_<service>.entrypoints.cli`` (e.g. matching's skill
    taxonomy), which must be idempotent."""
    command.upgrade(alembic_config(service, url), revision)
    if revision == "head":
        try:
            cli = importlib.import_module(f"cae_{service}.entrypoints.cli")
        except ModuleNotFoundError:
            return
        after = getattr(cli, "after_migrate", None)
        if after is not None:
            after(url)


def run_migrations(target_metadata) -> None:
    """Body of every service's migrations/env.py (online mode only)."""
    url = context.config.get_main_option("sqlalchemy.url")
    engine = make_engine(url)
    with engine.connect() as connection:
        # the kit's tables too, so that autogenerate neither drops nor ignores them
        context.configure(connection=connection, target_metadata=[target_metadata, kit_metadata],
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
