"""Siaran's benchmark: `python bench/run.py` (see bench/README.md). Not a test suite."""
