"""The Dagster shell: assets, checks, resources and partitions, each a thin adapter over plain functions."""

import warnings

import dagster as dg

# Single-run backfills and nonexistent-upstream mappings are beta in Dagster 1.13; we rely on both on purpose.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
