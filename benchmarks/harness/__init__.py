"""The benchmark harness behind benchmarks/bench; see docs/BENCHMARKS.md."""
