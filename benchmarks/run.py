"""The benchmark command line: ``python -m benchmarks`` or ``python benchmarks/run.py``.

Options: ``--quick`` (a smoke run, under a minute on 2 cores), ``--json PATH``
(write every result and the environment), ``--only NAME ...`` (a subset of the
workloads: chain, deep, mlp, scalar, memory, fit, optim, conv, compile, einsum).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import floor  # noqa: E402
from benchmarks.chain import deep_chain, op_overhead  # noqa: E402
from benchmarks import compile as compiled  # noqa: E402  (issue 15)
from benchmarks.conv import CONV_CASE, conv_nets  # noqa: E402  (issue 16)
from benchmarks.einsum import CASES as EINSUM_CASES  # noqa: E402  (issue 16)
from benchmarks.einsum import NUMPY as EINSUM_NUMPY  # noqa: E402
from benchmarks.einsum import case_name, einsum_workload  # noqa: E402
from benchmarks.common import (  # noqa: E402
    Peers,
    Row,
    blas_info,
    environment,
    print_environment,
    print_table,
    set_clock,
)
from benchmarks.mlp import NUMPY, memory, ours_paths, training_step  # noqa: E402
from benchmarks.moons import scalar_network  # noqa: E402
from benchmarks.training import fit_epoch, optimizer_step  # noqa: E402

Workload = Callable[[Peers, bool], "tuple[list[Row], list[str]]"]

# key: (title printed above the table, function)
WORKLOADS: dict[str, tuple[str, Workload]] = {
    "chain": ("1. op overhead: 1,000-op chain, forward + backward", op_overhead),
    "deep": ("2. deep chain: 100,000 ops, forward + backward", deep_chain),
    "mlp": ("3. MLP training step: 784-256-128-10, float32", training_step),
    "scalar": ("4. scalar-scale network: 2-16-16-1 on moons", scalar_network),
    "memory": ("5. memory: batch-128 step peak, RSS over many steps", memory),
    "fit": ("6. fit(): one epoch against a bare loop of the same steps", fit_epoch),
    "optim": ("7. optimizer step: per parameter element, against NumPy", optimizer_step),
    "conv": ("8. conv nets: conv2d and a LeNet-5 step against PyTorch", conv_nets),
    "compile": (
        "9. tg.compile: compiled steps against NumPy, eager and PyTorch",
        compiled.compiled_steps,
    ),
    "einsum": ("10. einsum forward + backward against NumPy", einsum_workload),
}


def _find(rows: list[Row], case_start: str, impl: str) -> Row | None:
    for row in rows:
        if row.case.startswith(case_start) and row.impl == impl:
            return row
    return None


def targets(rows: list[Row]) -> list[str]:
    """Issue 8's targets, each marked met or missed on the medians (information, never
    a test); the same ratio from the minimums follows in brackets, as the minimum is
    the better estimate when other processes share the machine."""
    ours = "tinygrad_edu"
    checks = []

    def ratios(
        case: str, baseline: str | None, inverse: bool = False, impl: str = ours
    ) -> tuple[float, float] | None:
        row = _find(rows, case, impl)
        if row is None:
            return None
        if baseline is None:
            return row.median, row.median if row.min is None else row.min
        base = _find(rows, case, baseline)
        if base is None:
            return None
        by_median = row.median / base.median
        by_min = (row.min or row.median) / (base.min or base.median)
        return (1 / by_median, 1 / by_min) if inverse else (by_median, by_min)

    def add(
        label: str,
        values: tuple[float, float] | None,
        ok: Callable[[float], bool],
        fmt: str,
    ) -> None:
        if values is not None:
            median, minimum = values
            verdict = "met" if ok(median) else "MISSED"
            shown = f"{fmt.format(median)} (by min: {fmt.format(minimum)})"
            checks.append(f"[{verdict}] {label}: {shown}")

    add(
        "op overhead <= 0.6x torch",
        ratios("1,000-op", "torch"),
        lambda v: v <= 0.6,
        "{:.2f}x",
    )
    for yardstick in (floor.NAME, floor.ONE_OBJECT):
        add(
            f"  yardstick, the {yardstick} (benchmarks/floor.py) on the same target",
            ratios("1,000-op", "torch", impl=yardstick),
            lambda v: v <= 0.6,
            "{:.2f}x",
        )
    for batch, bound in ((128, 1.08), (1024, 1.10)):
        add(
            f"MLP step batch {batch} <= {bound:.2f}x numpy",
            ratios(f"batch {batch}", NUMPY),
            lambda v, bound=bound: v <= bound,
            "{:.2f}x",
        )
    add(
        "2-16-16-1 step batch 32 <= 1.6x numpy",
        ratios("one step, batch 32", NUMPY),
        lambda v: v <= 1.6,
        "{:.2f}x",
    )
    add(
        "moons demo >= 5,000x faster than micrograd",
        ratios("moons demo", "micrograd", inverse=True),
        lambda v: v >= 5000,
        "{:,.0f}x",
    )
    add(
        "100k chain <= 0.5x torch's time",
        ratios("100,000 ops", "torch"),
        lambda v: v <= 0.5,
        "{:.2f}x torch's time",
    )
    for yardstick in (floor.NAME, floor.ONE_OBJECT):
        add(
            f"  yardstick, the {yardstick} (benchmarks/floor.py) on the same target",
            ratios("100,000 ops", "torch", impl=yardstick),
            lambda v: v <= 0.5,
            "{:.2f}x torch's time",
        )
    add(
        "100k chain <= 400 B per op",
        ratios("peak traced memory", None),
        lambda v: v <= 400,
        "{:.0f} B/op",
    )
    add(
        "flat RSS over many steps (< 5 MiB growth)",
        ratios("RSS over", None),
        lambda v: v < 5,
        "{:.1f} MiB",
    )
    add(
        "fit() loader + loop overhead < 5% of the epoch (shuffled)",
        ratios("loader + loop overhead, shuffled", None),
        lambda v: v < 5,
        "{:.1f}%",
    )
    for case in ("SGD momentum 0.9", "Adam"):
        add(
            f"{case} step <= 1.2x the hand-written NumPy update per element",
            ratios(case, "numpy (hand-written)"),
            lambda v: v <= 1.2,
            "{:.2f}x",
        )
        add(
            f"{case} step allocates no new arrays (< 0.01 B/element)",
            ratios(f"{case}: bytes", None),
            lambda v: v < 0.01,
            "{:.3f} B/element",
        )
    add(  # issue 16
        "conv2d fwd+bwd (32,3,32,32), 16 3x3 <= 1.5x torch",
        ratios(CONV_CASE, "torch"),
        lambda v: v <= 1.5,
        "{:.2f}x",
    )
    for case, bound, base in (  # issue 15
        (compiled.SMALL, 1.0, "numpy"),
        (compiled.MNIST, 1.04, "numpy"),
        (compiled.CHAIN, 0.3, "torch"),
        (compiled.TRACE, 3.0, "eager"),
    ):
        add(
            f"{case} <= {bound}x {base}",
            ratios(case, base, impl="compiled"),
            lambda v, bound=bound: v <= bound,
            "{:.2f}x",
        )
    for subscripts, shapes, _ in EINSUM_CASES:  # issue 16
        add(
            f"{case_name(subscripts, shapes)} <= 1.2x numpy",
            ratios(case_name(subscripts, shapes), EINSUM_NUMPY),
            lambda v: v <= 1.2,
            "{:.2f}x",
        )
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer repeats and steps (under a minute)"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument(
        "--only", nargs="+", choices=list(WORKLOADS), help="run only these workloads"
    )
    parser.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="wall: elapsed time (default); cpu: the timing thread's CPU time, which "
        "other processes competing for the cores do not inflate (use it on a shared "
        "machine; BLAS worker threads are not counted)",
    )
    args = parser.parse_args(argv)
    set_clock(args.clock)

    started = time.perf_counter()
    load_before = os.getloadavg()
    blas, blas_threads = blas_info()
    peers = Peers.load(blas_threads)
    env = environment(peers, blas, blas_threads, ours_paths())
    env["mode"] = "quick" if args.quick else "full"
    env["clock"] = args.clock
    print(f"tinygrad_edu benchmarks ({env['mode']} run, {args.clock} clock)\n")
    print_environment(env)

    all_rows: list[Row] = []
    for key in args.only or list(WORKLOADS):
        title, workload = WORKLOADS[key]
        t0 = time.perf_counter()
        rows, notes = workload(peers, args.quick)
        print_table(f"{title}  [{time.perf_counter() - t0:.1f} s]", rows, notes)
        sys.stdout.flush()
        all_rows += rows

    print("== targets (issues 8, 14, 15 and 16; information, not a test) ==")
    for line in targets(all_rows):
        print(f"  {line}")
    load_after = os.getloadavg()
    env["loadavg_1min_before_after"] = [load_before[0], load_after[0]]
    elapsed = time.perf_counter() - started
    print(
        f"\nload average (1 min) before/after: {load_before[0]:.2f} / "
        f"{load_after[0]:.2f} on {env['nproc']} cores; the run itself adds about 1, "
        "more means other processes, which skew every timing (torch's most)"
    )
    print(f"total time: {elapsed:.1f} s")

    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"environment": env, "results": [row.as_dict() for row in all_rows]},
                indent=2,
            )
        )
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
