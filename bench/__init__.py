"""Benchmarks: the project against its baselines, side by side (`make bench`)."""
