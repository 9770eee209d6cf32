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


def test_instruction_count_programs_run_and_bad_names_are_refused(monkeypatch, capsys):
    """benchmarks/instructions.py: every workload's program runs as plain Python (so
    the counted runs measure a working step), unknown names are a usage error, and a
    machine without valgrind gets a message and exit status 2."""
    from benchmarks import instructions

    for name in instructions.SETUP:
        code = instructions.program(ROOT, name, 2)
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"{name}: {result.stderr[-2000:]}"
    try:
        instructions.main(["no-such-workload"])
    except SystemExit as exit:
        assert exit.code == 2
    else:
        raise AssertionError("an unknown workload name was accepted")
    assert "unknown workload 'no-such-workload'" in capsys.readouterr().err
    monkeypatch.setattr(instructions.shutil, "which", lambda _: None)
    assert instructions.main(["chain"]) == 2
    assert "valgrind is not installed" in capsys.readouterr().out
