"""The Dagster shell: assets, checks, resources and partitions, each a thin adapter over plain functions."""
