"""Tests of the file importers (prices and Congress trades)."""
