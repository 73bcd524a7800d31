"""Data sources: objects with one method per raw table, returning frames in the warehouse shape."""

from smart_money.sources.base import Source

__all__ = ["Source"]
