"""Local stand-ins of the real services the project talks to (FMP today, EDGAR next).

Tests and benchmarks use them: each serves the real paths and response shapes over loopback HTTP, from the
simulated market, so the HTTP clients are tested end to end without reaching the network.
"""
