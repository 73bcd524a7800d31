"""Serving: the HTTP API and web page over the registry and the warehouse's Parquet files (no Dagster)."""
