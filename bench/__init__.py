"""Tollgate's benchmark harness: see docs/performance.md."""
