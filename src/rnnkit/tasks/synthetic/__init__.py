"""The long-range benchmarks (adding, copy, temporal order, sequential digits), generated."""
