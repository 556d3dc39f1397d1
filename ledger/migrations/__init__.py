"""Alembic migrations of the ledger schema (run through `ledger.schema`, not imported)."""
