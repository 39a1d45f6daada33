"""Benchmarks: `python -m bench` runs them all and prints ratios against in-process baselines."""
