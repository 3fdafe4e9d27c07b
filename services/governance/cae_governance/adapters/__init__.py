"""Adapters: SQLAlchemy models and queries, Alembic migrations, marshmallow schemas. (None yet.)"""
