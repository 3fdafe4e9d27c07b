"""Adapters: the team solver (HiGHS), later the SQLAlchemy store, Alembic migrations and marshmallow schemas."""
