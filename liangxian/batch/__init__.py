"""Batch work beside the ORM: vectorised frames and bulk loading.

COPY on PostgreSQL; on SQLite, ADBC staging files for large frames and executemany for small ones.
"""
