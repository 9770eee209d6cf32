"""Reliability tests (issue 9): extreme values, memory, determinism, threads,
checkpoints under SIGKILL, and bad input at every public entry point."""
