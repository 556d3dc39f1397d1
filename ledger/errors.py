"""Ledger errors: one clear line each, so a CLI can print them without a traceback."""

from __future__ import annotations


class LedgerError(RuntimeError):
    """Anything the ledger refuses or cannot do (bad URL, schema mismatch, bad input)."""


class SchemaError(LedgerError):
    """The database's schema revision is not the one this code needs."""


class ImmutableTrialError(LedgerError):
    """A finished trial was asked to change: finished trials are the record and never move."""


class NotFoundError(LedgerError):
    """No row matches the given id, hash, key or prefix."""
