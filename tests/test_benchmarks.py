"""The benchmark runs: ``python -m benchmarks --quick`` exits 0 and prints every
workload. Timings are never asserted (they belong to benchmarks/, not to tests)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = [
    "op overhead",
    "deep chain",
    "MLP training step",
    "scalar-scale network",
    "memory",
    "fit(): one epoch",
    "optimizer step",
    "conv nets",
    "tg.compile",
    "einsum forward + backward",
]


def test_quick_benchmark_runs_and_prints_every_workload(tmp_path):
    json_path = tmp_path / "results.json"
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(json_path)],
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
        timeout=600,  # --quick takes well under a minute; a loaded CI box gets slack
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for name in WORKLOADS:
        assert name in result.stdout, f"workload {name!r} missing from the output"
    assert "tinygrad_edu" in result.stdout
    assert json_path.exists()
    assert "[met]" in result.stdout or "[MISSED]" in result.stdout  # the targets list
