"""Speed, load and fault tools: a real `lhl serve` in a subprocess, the benchmark, the soak and
the kill loops. Used by scripts and tests; never imported by the service itself."""
