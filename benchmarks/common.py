"""Shared helpers: interleaved timing, peers, memory probes, environment, tables."""

from __future__ import annotations

import gc
import importlib
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

# ---- timing ----------------------------------------------------------------------


@dataclass
class Timing:
    """Seconds per call: the median and the min over the repeats, and every sample."""

    median: float
    min: float
    samples: list[float]
    result: Any = None  # what the function returned the last time it ran


_CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}
_clock = time.perf_counter


def set_clock(name: str) -> None:
    """Time with the wall clock ("wall") or the timing thread's CPU time ("cpu"): not
    inflated by other processes competing for the cores, but blind to BLAS worker
    threads (and the process time would count their busy-waiting), so use it for
    ratios of the same work, on a shared machine."""
    global _clock
    _clock = _CLOCKS[name]


def interleaved(
    fns: dict[str, Callable[[], Any]],
    repeats: int,
    number: int = 1,
    warmup: int = 1,
) -> dict[str, Timing]:
    """Time every function ``repeats`` times, taking turns within each repeat.

    Each repeat runs every implementation once (``number`` calls, timed together),
    in an order rotated by one each repeat, so drift in the machine's speed (other
    processes, frequency scaling) hits every implementation alike. A full
    ``gc.collect()`` runs before each sample, outside the timed region; the
    collector stays enabled inside it, as in real use.
    """
    names = list(fns)
    results: dict[str, Any] = {}
    for name in names:
        for _ in range(warmup):
            fns[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            fn = fns[name]
            gc.collect()
            start = _clock()
            for _ in range(number):
                results[name] = fn()
            samples[name].append((_clock() - start) / number)
    return {
        name: Timing(statistics.median(s), min(s), s, results.get(name))
        for name, s in samples.items()
    }


# ---- memory ----------------------------------------------------------------------


def traced_peak(fn: Callable[[], Any]) -> tuple[int, Any]:
    """Peak bytes allocated (Python objects and NumPy buffers) while ``fn`` runs,
    above what was allocated before it; and ``fn``'s result."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - before, result


def rss_bytes() -> int:
    """Resident set size of this process (VmRSS in /proc/self/status), 0 if unknown."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# ---- peers -----------------------------------------------------------------------


@dataclass
class Peers:
    """The optional peer libraries that imported, and notes on those that did not."""

    torch: ModuleType | None = None
    mygrad: ModuleType | None = None
    micrograd: ModuleType | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, threads: int) -> Peers:
        peers = cls()
        for name, hint in [
            (
                "torch",
                "pip install torch --index-url https://download.pytorch.org/whl/cpu",
            ),
            ("mygrad", "pip install mygrad"),
            ("micrograd", "pip install micrograd"),
        ]:
            try:
                module = importlib.import_module(name)
                if name == "micrograd":
                    importlib.import_module("micrograd.engine")
                    importlib.import_module("micrograd.nn")
            except ImportError as error:
                peers.notes.append(f"{name} skipped (not installed: {error}); {hint}")
                continue
            setattr(peers, name, module)
        if peers.torch is not None:
            peers.torch.set_num_threads(
                threads
            )  # the same thread count as NumPy's BLAS
        return peers


# ---- environment -----------------------------------------------------------------


def blas_info() -> tuple[str, int]:
    """A description of the BLAS NumPy uses, and its thread count."""
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            if pool.get("user_api") == "blas" and "numpy" in pool.get("filepath", ""):
                arch = pool.get("architecture", "?")
                layer = pool.get("threading_layer", "?")
                name = f"{pool.get('internal_api')} {pool.get('version')}"
                text = f"{name} ({arch}, {layer})"
                return text, int(pool["num_threads"])
    except ImportError:
        pass
    threads = os.cpu_count() or 1
    for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            threads = int(os.environ[var])
            break
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        name = f"{blas.get('name')} {blas.get('version')}"
        text = f"{name} (no threadpoolctl: thread count assumed)"
    except (TypeError, KeyError, AttributeError):  # old NumPy: no dict mode
        text = "unknown (install threadpoolctl to see it)"
    return text, threads


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _dist_version(name: str) -> str:
    try:
        from importlib.metadata import version

        return version(name)
    except ImportError:  # importlib.metadata.PackageNotFoundError is one
        return "installed"


def environment(peers: Peers, blas: str, blas_threads: int, paths: dict) -> dict:
    """Everything a reader needs to judge the numbers."""
    import tinygrad_edu

    versions = {"numpy": np.__version__, "tinygrad_edu": tinygrad_edu.__version__}
    for name in ("torch", "mygrad", "micrograd"):
        module = getattr(peers, name)
        if module is not None:
            versions[name] = getattr(module, "__version__", None) or _dist_version(name)
    env_vars = {
        var: os.environ[var]
        for var in (
            "OPENBLAS_CORETYPE",
            "OPENBLAS_NUM_THREADS",
            "OMP_NUM_THREADS",
            "MKL_NUM_THREADS",
        )
        if var in os.environ
    }
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "nproc": (
            len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else os.cpu_count()
        ),
        "blas": blas,
        "blas_threads": blas_threads,
        "torch_threads": peers.torch.get_num_threads() if peers.torch else None,
        "versions": versions,
        "env": env_vars,
        "tinygrad_edu_paths": paths,
        "peer_notes": peers.notes,
    }


def print_environment(env: dict) -> None:
    print("== environment ==")
    print(f"python {env['python']} on {env['platform']}")
    print(f"cpu: {env['cpu']}; nproc (usable cores): {env['nproc']}")
    print(f"NumPy BLAS: {env['blas']}; BLAS threads: {env['blas_threads']}")
    if env["torch_threads"] is not None:
        print(f"torch threads: {env['torch_threads']} (set to the BLAS thread count)")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in env["versions"].items()))
    env_vars = ", ".join(f"{k}={v}" for k, v in env["env"].items()) or "none set"
    print(f"threading/BLAS environment variables: {env_vars}")
    for what, path in env["tinygrad_edu_paths"].items():
        print(f"tinygrad_edu {what}: {path}")
    for note in env["peer_notes"]:
        print(f"note: {note}")
    print()


# ---- results and tables ----------------------------------------------------------


@dataclass
class Row:
    """One implementation's result in one case of a workload."""

    workload: str
    case: str
    impl: str
    median: float  # in ``unit``
    min: float | None  # in ``unit``; None when there is a single sample
    unit: str
    ratios: dict[str, float] = field(default_factory=dict)  # "x NumPy": 1.05, ...
    note: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def add_ratios(
    rows: list[Row], baseline: str, label: str, inverse: bool = False
) -> None:
    """Give every row of each case its median divided by ``baseline``'s (or, with
    ``inverse``, the baseline's divided by its own: a speed-up)."""
    by_case: dict[str, float] = {
        row.case: row.median for row in rows if row.impl == baseline and row.median > 0
    }
    for row in rows:
        if row.case in by_case and row.median > 0:
            ratio = row.median / by_case[row.case]
            row.ratios[label] = 1 / ratio if inverse else ratio


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _ratio(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}x"
    return f"{value:.2f}x"


def print_table(title: str, rows: list[Row], notes: list[str] = ()) -> None:
    """A plain-text table, one block per case."""
    print(f"== {title} ==")
    labels: list[str] = []
    for row in rows:
        labels += [label for label in row.ratios if label not in labels]
    header = ["case", "impl", "median", "min", "unit", *labels, "note"]
    table = [header]
    for row in rows:
        table.append(
            [
                row.case,
                row.impl,
                _number(row.median),
                _number(row.min),
                row.unit,
                *[_ratio(row.ratios.get(label)) for label in labels],
                row.note,
            ]
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(header) - 1)]
    previous_case = None
    for i, line in enumerate(table):
        if i > 1 and line[0] == previous_case:
            line = ["", *line[1:]]
        else:
            previous_case = line[0]
        cells = [
            cell.ljust(w) if j < 2 else cell.rjust(w)
            for j, (cell, w) in enumerate(zip(line, widths))
        ]
        print("  ".join(cells) + ("  " + line[-1] if line[-1] else ""))
        if i == 0:
            print("-" * (sum(widths) + 2 * len(widths) + 4))
    for note in notes:
        print(f"  * {note}")
    print()
