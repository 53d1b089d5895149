"""Benchmark suite (`gan-zoo bench`): arrives with the benchmark issue.

The model core (`zoo`) never imports this package.
"""
