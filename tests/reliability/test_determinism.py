"""Determinism: the same ``manual_seed`` gives a bit-identical training run.

Two separate processes (with different ``PYTHONHASHSEED``s, so nothing may depend
on set or dict-of-id ordering) run ``_determinism_run.py``: the data set, the
initialisation, the dropout masks and the DataLoader's shuffling all come from
``manual_seed``. Their weights and loss histories must be equal bit for bit, and
equal to the same run inside this process; a different seed must give different
weights.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import tinygrad_edu as tg

from ._determinism_run import run

SCRIPT = Path(__file__).with_name("_determinism_run.py")
EPOCHS = 15


def start(seed: int, out: Path, hash_seed: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), str(seed), str(out), str(EPOCHS)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def finish(process: subprocess.Popen) -> None:
    _stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr.decode()


def assert_bit_identical(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    for key, value in a.items():
        assert value.dtype == b[key].dtype, key
        assert value.shape == b[key].shape, key
        assert value.tobytes() == b[key].tobytes(), f"{key} differs"


def test_same_seed_bit_identical_across_processes_and_different_seed_differs(tmp_path):
    runs = {
        "a": start(7, tmp_path / "a.npz", hash_seed="1"),
        "b": start(7, tmp_path / "b.npz", hash_seed="2"),
        "c": start(8, tmp_path / "c.npz", hash_seed="1"),
    }
    here = run(7, EPOCHS)  # meanwhile, the same run in this process
    for process in runs.values():
        finish(process)
    a, b, c = (tg.load(tmp_path / f"{name}.npz") for name in "abc")

    assert_bit_identical(a, b)
    assert_bit_identical(a, here)
    assert np.all(np.isfinite(a["history/loss"]))
    assert a["history/loss"][-1] < a["history/loss"][0]  # it trained

    assert not np.array_equal(a["data/X"], c["data/X"])
    weights = [k for k in a if k.endswith("weight")]
    assert weights and all(not np.array_equal(a[k], c[k]) for k in weights)


def test_reseeding_in_one_process_repeats_the_run():
    first = run(3, epochs=2)
    run(4, epochs=1)  # other draws in between must not matter
    assert_bit_identical(first, run(3, epochs=2))
