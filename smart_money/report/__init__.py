"""Rendering of the evaluation report (one self-contained HTML file with embedded plots)."""
