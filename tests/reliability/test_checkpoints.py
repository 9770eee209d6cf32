"""Checkpoints: nothing lost, nothing executed.

- A process that saves ~20 MB state dicts over one path, again and again, is
  killed with SIGKILL at random moments (10 times, a fresh process each time):
  afterwards the file always loads and equals one of the two versions it was
  writing, never a truncated mix; and the temporary file of a killed save is removed
  by the next save (the next process's), so at most the last one is ever left.
- Truncated files, random bytes, corrupted bytes, and files carrying a pickle
  (bare, inside a ``.npy``, inside an ``.npz``, or smuggled into a real
  checkpoint) raise ``ValueError`` and never run code: the pickles'
  ``__reduce__`` would create a marker file, which must not exist.
"""

from __future__ import annotations

import io
import os
import pickle
import random
import select
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Tensor, nn

from ._save_loop import versions

SCRIPT = Path(__file__).with_name("_save_loop.py")
MEGABYTES = 20
KILLS = 10


def same(a, b) -> bool:
    """Equal trees: same containers and keys, bit-identical arrays, equal scalars."""
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape
                and a.tobytes() == b.tobytes())
    return type(a) is type(b) and a == b


# ---- SIGKILL in the middle of save ---------------------------------------------------------


def test_sigkill_during_save_leaves_the_old_or_the_new_file(tmp_path):
    path = tmp_path / "checkpoint.npz"
    old_or_new = versions(MEGABYTES)
    rng = random.Random(9)  # fixed delays: the same run every time
    killed_mid_write = 0
    for kill in range(KILLS):
        child = subprocess.Popen(
            [sys.executable, str(SCRIPT), str(path), str(MEGABYTES)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        try:
            if kill == 0:
                time.sleep(0.2)  # maybe before, maybe during the very first save
            else:
                ready, _, _ = select.select([child.stdout], [], [], 120)
                assert ready, "the saving process never reported its first save"
                line = child.stdout.readline()
                assert line.strip() == b"ready", child.stderr.read().decode()
                time.sleep(rng.uniform(0.0, 0.25))
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=60)
            child.stdout.close()
            child.stderr.close()
        assert child.returncode == -signal.SIGKILL
        leftovers = [p.name for p in tmp_path.glob(".checkpoint.npz.*.tmp")]
        # only this child's unfinished save may be left: its save cleaned up the others
        assert all(f".checkpoint.npz.{child.pid}." in name for name in leftovers), leftovers
        killed_mid_write += bool(leftovers)
        if kill == 0 and not path.exists():
            continue  # killed before the first save finished: no file is fine too
        loaded = tg.load(path)
        assert any(same(loaded, version) for version in old_or_new), (
            f"after kill {kill} the checkpoint is neither version: {sorted(loaded)}"
        )
    assert killed_mid_write >= 2, "kills seldom landed during a save; the test proved little"
    tg.save({"w": np.ones(1)}, path)  # this process's save removes the last leftover
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.npz"]


# ---- files that are not checkpoints ------------------------------------------------------------


@pytest.fixture(scope="module")
def valid_bytes(tmp_path_factory) -> tuple[bytes, dict]:
    state = {
        "model": nn.Linear(3, 2).state_dict(),
        "tensor": Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True),
        "optimizer": {"lr": 0.1, "steps": 3, "state": [{"velocity": np.ones(4, np.float32)}]},
        "name": "run-1",
    }
    path = tmp_path_factory.mktemp("valid") / "valid.npz"
    tg.save(state, path)
    return path.read_bytes(), tg.load(path)


def load_bytes(tmp_path: Path, data: bytes, name: str = "file.npz"):
    path = tmp_path / name
    path.write_bytes(data)
    return tg.load(path)


def test_valid_file_round_trips(valid_bytes, tmp_path):
    data, expected = valid_bytes
    loaded = load_bytes(tmp_path, data)
    assert same({k: v for k, v in loaded.items() if k != "tensor"},
                {k: v for k, v in expected.items() if k != "tensor"})
    assert np.array_equal(loaded["tensor"].data, expected["tensor"].data)


def test_every_truncation_raises_value_error(valid_bytes, tmp_path):
    data, _ = valid_bytes
    n = len(data)
    edges = {0, 1, 3, 4, 30, 64, n // 3, n // 2, n - 100, n - 22, n - 1}
    cuts = sorted(edges | set(range(0, n, max(1, n // 40))))
    for cut in cuts:
        with pytest.raises(ValueError):
            load_bytes(tmp_path, data[:cut])


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.binary(max_size=4096),
       prefix=st.sampled_from([b"", b"PK\x03\x04", b"PK\x05\x06", b"\x93NUMPY", b"\x80\x04"]))
def test_random_bytes_raise_value_error(tmp_path, junk, prefix):
    with pytest.raises(ValueError):
        load_bytes(tmp_path, prefix + junk)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)),
                      min_size=1, max_size=4))
def test_corrupted_bytes_raise_value_error_or_load_unchanged(valid_bytes, tmp_path, flips):
    """A flipped byte is caught (zip CRCs, the manifest's checks) or is harmless
    (a timestamp in a header): never a silently different checkpoint, never a
    different exception."""
    data, expected = valid_bytes
    corrupt = bytearray(data)
    for where, xor in flips:
        corrupt[int(where * len(data))] ^= xor
    try:
        loaded = load_bytes(tmp_path, bytes(corrupt))
    except ValueError:
        return
    assert same({k: v for k, v in loaded.items() if k != "tensor"},
                {k: v for k, v in expected.items() if k != "tensor"})
    assert np.array_equal(loaded["tensor"].data, expected["tensor"].data)


# ---- pickles are never unpickled ------------------------------------------------------------


class Payload:
    """Unpickling this creates ``marker`` (as any code an attacker chose would run)."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def pickled_files(marker: Path, valid: bytes) -> dict[str, bytes]:
    payload = Payload(marker)
    evil = np.array([payload, 1], dtype=object)
    npz = io.BytesIO()
    np.savez(npz, weight=evil)
    manifest_npz = io.BytesIO()
    np.savez(manifest_npz, __tinygrad_edu__=evil)
    smuggled = io.BytesIO(valid)
    with zipfile.ZipFile(smuggled, "a") as archive:  # a real checkpoint plus one member
        archive.writestr("extra.npy", npy_bytes(evil))
    replaced = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(valid)) as source, zipfile.ZipFile(replaced, "w") as target:
        for info in source.infolist():  # a real checkpoint with one member swapped
            swap = info.filename.startswith("model/")
            target.writestr(info, npy_bytes(evil) if swap else source.read(info))
    return {
        "pickle protocol 5": pickle.dumps(payload, protocol=5),
        "pickle protocol 2": pickle.dumps(payload, protocol=2),
        "pickle protocol 0": pickle.dumps(payload, protocol=0),
        "torch-style zip of a pickle": _zip_with("archive/data.pkl", pickle.dumps(payload)),
        "npy of objects": npy_bytes(evil),
        "npz of objects": npz.getvalue(),
        "npz with a pickled manifest": manifest_npz.getvalue(),
        "checkpoint plus a pickled member": smuggled.getvalue(),
        "checkpoint with a member swapped for a pickle": replaced.getvalue(),
    }


def _zip_with(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


def test_the_payload_really_runs_code_when_unpickled(tmp_path):
    """Guard for the test below: unpickling the payload does create the marker."""
    marker = tmp_path / "pwned"
    pickle.loads(pickle.dumps(Payload(marker)))
    assert marker.exists()


def test_pickle_bearing_files_raise_value_error_and_run_nothing(valid_bytes, tmp_path):
    marker = tmp_path / "pwned"
    for name, data in pickled_files(marker, valid_bytes[0]).items():
        with pytest.raises(ValueError) as error:
            load_bytes(tmp_path, data, name.replace(" ", "_") + ".npz")
        assert "pickle" in str(error.value) or "not" in str(error.value), (name, error.value)
        assert not marker.exists(), f"loading {name!r} ran the pickle's code"


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        tg.load(tmp_path / "nothing-here.npz")


def test_a_failed_save_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "model.npz"
    tg.save({"w": np.ones(3)}, path)
    with pytest.raises(TypeError):
        tg.save({"w": np.ones(3), "bad": object()}, path)
    assert np.array_equal(tg.load(path)["w"], np.ones(3))
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]
