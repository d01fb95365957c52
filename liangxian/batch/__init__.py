"""Batch work beside the ORM: vectorised frames and bulk loading (COPY on PostgreSQL, executemany on SQLite)."""
