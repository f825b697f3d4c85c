"""Persistence and configuration: the workspace (its directory, `coldmail.toml`, the database engine
and the keys), the tables, the state enums and the Alembic migrations.

Imports nothing else of coldmail's but `errors`, so every capability package can build on it."""
