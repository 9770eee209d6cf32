"""Temporary files of killed saves do not pile up (issue 18.1), and a live writer's
temporary file is never touched.

Real processes: each child starts a save that stops half-way through writing its
temporary file (``_save_loop.py PATH MB stall``), so it is a live writer until the
test kills it with SIGKILL. Every wait is bounded.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu._atomic import STALE_SECONDS, remove_dead_temporaries

SCRIPT = Path(__file__).with_name("_save_loop.py")


def stalled_writer(path: Path) -> subprocess.Popen:
    """A child process in the middle of saving ``path`` (its temporary file exists)."""
    child = subprocess.Popen(
        [sys.executable, str(SCRIPT), str(path), "0.01", "stall"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    ready, _, _ = select.select([child.stdout], [], [], 60)
    if not ready or child.stdout.readline().strip() != b"stalled":
        child.kill()
        child.wait(timeout=30)
        raise AssertionError(
            f"the writer did not start: {child.stderr.read().decode()}"
        )
    return child


def kill(child: subprocess.Popen) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()
    child.stderr.close()
    assert child.returncode == -signal.SIGKILL


def temporaries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob(".ckpt.npz.*.tmp"))


def test_a_save_removes_what_killed_saves_left_but_not_a_live_writers_file(tmp_path):
    path = tmp_path / "ckpt.npz"
    tg.save({"w": np.zeros(3)}, path)
    writers = [stalled_writer(path) for _ in range(4)]  # four saves under way at once
    try:
        assert len(temporaries(tmp_path)) == 4  # none removed another's file
        for child in writers[:3]:  # three of them killed mid-write
            kill(child)
        live = writers[3]
        tg.save(
            {"w": np.ones(3)}, path
        )  # cleans up the dead, leaves the live writer alone
        assert (
            temporaries(tmp_path)
            == [name for name in temporaries(tmp_path) if f".{live.pid}." in name]
            and len(temporaries(tmp_path)) == 1
        )
        assert load_w(path) == [1.0, 1.0, 1.0]
    finally:
        for child in writers:
            if child.returncode is None:
                kill(child)
    tg.save({"w": np.full(3, 2.0)}, path)  # now that writer is dead too
    assert sorted(os.listdir(tmp_path)) == ["ckpt.npz"]
    assert load_w(path) == [2.0, 2.0, 2.0]


def load_w(path: Path) -> list[float]:
    return tg.load(path)["w"].tolist()


def exited_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    return child.pid


def test_unlocked_files_go_when_their_pid_is_dead_or_they_are_stale(tmp_path):
    """Files nobody locks, as a dead writer leaves them; the pid decides, and when the
    pid is running (reused by another process) the file's age decides."""
    me, gone = os.getpid(), exited_pid()
    names = {
        "dead pid": f".m.npz.{gone}.abc123_x.tmp",
        "running pid, fresh": f".m.npz.{me}.fresh000.tmp",
        "running pid, stale": f".m.npz.{me}.stale000.tmp",
        "no pid (not ours)": ".m.npz.k2j4h5g6.tmp",
        "another checkpoint": f".other.npz.{gone}.abc123_x.tmp",
        "not a temporary": f"m.npz.{gone}.abc123_x.tmp",
    }
    for name in names.values():
        (tmp_path / name).write_bytes(b"partial")
    old = time.time() - 2 * STALE_SECONDS
    os.utime(tmp_path / names["running pid, stale"], (old, old))
    removed = remove_dead_temporaries(str(tmp_path), "m.npz")
    assert sorted(removed) == sorted([names["dead pid"], names["running pid, stale"]])
    kept = {k for k, v in names.items() if (tmp_path / v).exists()}
    assert kept == {
        "running pid, fresh",
        "no pid (not ours)",
        "another checkpoint",
        "not a temporary",
    }


def test_threads_saving_one_path_never_remove_each_others_files(tmp_path):
    """Each save cleans up while others are writing: none may lose its file."""
    import threading

    path = tmp_path / "ckpt.npz"
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(15):
                tg.save({"w": np.full(20_000, float(k)), "i": i}, path)
        except BaseException as error:  # noqa: B036 - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)
    loaded = tg.load(path)
    assert loaded["i"] == 14 and len(set(loaded["w"].tolist())) == 1
    assert sorted(os.listdir(tmp_path)) == ["ckpt.npz"]
