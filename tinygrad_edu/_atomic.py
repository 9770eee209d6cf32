"""Atomic file replacement, and cleaning up after writers that were killed.

``atomic_write(path, write)`` writes to ``.NAME.<pid>.<random>.tmp`` beside the target,
flushes it to disk, and renames it over the target (``os.replace``). While it writes,
the writer holds an exclusive ``flock`` on its temporary file; the kernel releases it
when the writer dies, however it dies (SIGKILL included). So before writing, a save
removes the temporary files of the same target that

- nobody holds a lock on (the writer is gone), and
- whose writer's pid is not running, or that have not been written for
  ``STALE_SECONDS`` (the pid was reused by another process).

A live writer's file is never touched: it holds the lock from microseconds after
creating the file until after the rename, and in those microseconds its pid is alive
and its file is new. Where ``flock`` is missing (Windows) nothing is cleaned up.

Symbolic links: ``path`` is resolved first, so saving to a link replaces the file it
points to (atomically, in the target's directory) and the link stays a link.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
import time
from typing import IO, Callable

try:
    import fcntl
except ImportError:  # Windows: no flock, no cleanup of dead writers' files
    fcntl = None  # type: ignore[assignment]

STALE_SECONDS = 60.0  # a live writer locks its file microseconds after creating it


def atomic_write(path: str, write: Callable[[IO[bytes]], object]) -> None:
    """Replace ``path`` (or the file a symlink at ``path`` points to) with what
    ``write(file)`` writes, atomically and durably."""
    target = _resolve(path)
    directory, name = os.path.split(target)
    remove_dead_temporaries(directory, name)
    mode = _mode_for(target)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{name}.{os.getpid()}.", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(fd, "wb") as file:
            if fcntl is not None:
                fcntl.flock(
                    file.fileno(), fcntl.LOCK_EX
                )  # "a live writer owns this file"
            write(file)
            file.flush()
            os.fsync(
                file.fileno()
            )  # the bytes are on disk before the rename shows them
            os.chmod(tmp, mode)  # mkstemp makes 0600; give the usual (or the old) mode
            if fcntl is not None:
                os.replace(tmp, target)  # atomic; renamed while still locked
        if fcntl is None:
            os.replace(tmp, target)  # Windows cannot rename an open file
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_directory(directory)


def _resolve(path: str) -> str:
    """The file to replace: ``path`` itself, or the end of its chain of symlinks."""
    if not os.path.islink(path):
        return os.path.abspath(path)
    target = os.path.realpath(path)
    if os.path.islink(target):  # realpath stops at a loop
        raise OSError(errno.ELOOP, "save: too many levels of symbolic links", path)
    return target


def _mode_for(target: str) -> int:
    """The permission bits for the new file: the old file's, else 0666 minus umask."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX; not possible on Windows)."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def remove_dead_temporaries(directory: str, name: str) -> list[str]:
    """Remove the temporary files that dead writers of ``name`` left in ``directory``;
    returns the names removed. Never raises: cleaning up is a courtesy."""
    if fcntl is None:
        return []
    pattern = re.compile(rf"\.{re.escape(name)}\.(\d+)\.[A-Za-z0-9_]+\.tmp")
    try:
        candidates = [
            entry
            for entry in os.listdir(directory)
            if entry.startswith(f".{name}.") and pattern.fullmatch(entry)
        ]
    except OSError:
        return []
    removed = []
    for entry in candidates:
        pid = int(pattern.fullmatch(entry)[1])
        if _remove_if_dead(os.path.join(directory, entry), pid):
            removed.append(entry)
    return removed


def _remove_if_dead(path: str, pid: int) -> bool:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return False
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # a live writer holds it (or this file system has no locks)
        if _pid_running(pid) and time.time() - info.st_mtime < STALE_SECONDS:
            return False  # maybe a writer between creating and locking its file
        now = os.lstat(path)
        if (now.st_dev, now.st_ino) != (info.st_dev, info.st_ino):
            return False  # the name was reused meanwhile
        os.unlink(path)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _pid_running(pid: int) -> bool:
    if pid <= 0:
        return True  # not a pid we wrote: rely on the file's age alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # EPERM: it runs, under another user
        return True
    return True
