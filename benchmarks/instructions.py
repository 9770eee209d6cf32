"""Instructions per iteration, counted by Valgrind: a yardstick that load cannot move.

``python -m benchmarks.instructions [--repo PATH] [NAME ...]`` runs each workload
in a fresh Python under ``valgrind --tool=callgrind`` twice, ``small`` and
``large`` times, and prints ``(count(large) − count(small)) / (large − small)``:
the machine instructions one iteration costs, with start-up and imports cancelled.

Why: on a shared 2-core machine the timed ratios of the Python-bound workloads move
by 10-20% between runs, which hides changes of a few percent. An instruction count
is the same on every run (within ~1%), so it settles "did this change make the
engine do less work" and "is this slower than the first release" (``--repo`` points
at a checkout of another commit, e.g. ``git worktree add /tmp/old <commit>``). It
is not a time: the interpreter runs fewer instructions per nanosecond than NumPy's
and BLAS's loops, so a ratio of instructions understates a ratio of times for
Python-heavy code. OpenBLAS runs on one thread (its idle threads spin, and
Valgrind counts the spinning).

Workloads: ``chain`` (the 1,000-op chain of benchmarks/chain.py, fwd + bwd),
``step`` / ``step-numpy`` (the 2-16-16-1 batch-32 moons step of benchmarks/moons.py,
tinygrad_edu / hand-written NumPy), ``mlp128`` / ``mlp128-numpy`` (the 784-256-128-10
batch-128 step of benchmarks/mlp.py). Needs the ``valgrind`` binary (Debian:
``apt-get install valgrind``); about a minute per workload.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

# each snippet runs with the repository first on sys.path; N is the iteration count
SETUP = {
    "chain": "from benchmarks.chain import ours_chain\nrun = ours_chain(1000)",
    "step": (
        "from benchmarks.moons import OursNet, init_params, make_moons\n"
        "x, y = make_moons(100)\n"
        "net = OursNet(init_params(), x[:32], y[:32])\n"
        "run = lambda: net.step(0.5)"
    ),
    "step-numpy": (
        "from benchmarks.moons import NumpyNet, init_params, make_moons\n"
        "x, y = make_moons(100)\n"
        "net = NumpyNet(init_params(), x[:32], y[:32])\n"
        "run = lambda: net.step(0.5)"
    ),
    "mlp128": (
        "from benchmarks.mlp import OursMLP, SIZES, init_params, make_batch\n"
        "x, y = make_batch(128)\n"
        "run = OursMLP(init_params(SIZES), x, y).step"
    ),
    "mlp128-numpy": (
        "from benchmarks.mlp import NumpyMLP, SIZES, init_params, make_batch\n"
        "x, y = make_batch(128)\n"
        "run = NumpyMLP(init_params(SIZES), x, y).step"
    ),
}
COUNTS = {
    "chain": (5, 20), "step": (20, 120), "step-numpy": (20, 120),
    "mlp128": (3, 13), "mlp128-numpy": (3, 13),
}


def program(repo: Path, name: str, n: int) -> str:
    """The Python program that runs workload ``name`` ``n`` times from ``repo``."""
    return (
        f"import sys\nsys.path.insert(0, {str(repo)!r})\n{SETUP[name]}\n"
        f"for _ in range({n}):\n    run()\n"
    )


def instructions(repo: Path, name: str, n: int) -> int:
    """Instructions Valgrind counts for a whole Python run of ``n`` iterations."""
    code = program(repo, name, n)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONHASHSEED="0")
    result = subprocess.run(
        [
            "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
            sys.executable, "-c", code,
        ],
        capture_output=True, text=True, env=env, check=False,
    )
    found = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or found is None:
        raise RuntimeError(
            f"instructions: the {name!r} run failed under valgrind "
            f"(exit {result.returncode}):\n{result.stderr[-2000:]}"
        )
    return int(found.group(1))


def per_iteration(repo: Path, name: str) -> float:
    small, large = COUNTS[name]
    return (instructions(repo, name, large) - instructions(repo, name, small)) / (
        large - small
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"any of {', '.join(SETUP)} (all)")
    parser.add_argument(
        "--repo",
        type=Path,
        default=Path(__file__).resolve().parent.parent,
        help="the checkout whose tinygrad_edu and benchmarks are measured",
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in SETUP]
    if unknown:
        parser.error(f"unknown workload {unknown[0]!r}; choose from {', '.join(SETUP)}")
    if shutil.which("valgrind") is None:
        print("instructions: valgrind is not installed (apt-get install valgrind)")
        return 2
    print(f"instructions per iteration ({args.repo}):")
    for name in args.names or list(SETUP):
        print(f"  {name:12s} {per_iteration(args.repo.resolve(), name):14,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
