"""Load and scale benchmarks with their baselines (see docs/PERFORMANCE.md)."""
