"""SEC EDGAR as a source: fair-access HTTP client, disk cache, ownership parsing and the Source itself."""
