"""Alembic revision scripts (alembic skips this file when it scans for revisions)."""
