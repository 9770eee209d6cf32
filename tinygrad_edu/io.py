"""Checkpoints: ``save(obj, path)`` and ``load(path)`` on NumPy ``.npz`` files.

Safe and portable:

- never pickle: arrays are stored as ``.npy`` members and read back with
  ``allow_pickle=False``, so loading a file cannot run code;
- atomic: the file is written to a temporary file in the same directory, flushed to
  disk (``fsync``) and renamed over the target (``os.replace``), so a crash mid-write
  leaves the old checkpoint, never half a new one;
- checked: a truncated, corrupt or foreign file raises ``ValueError`` saying what is
  wrong (and which key), and nothing is half-loaded.

Format. Nested containers (dicts, lists, tuples) of arrays, Tensors and plain
scalars are flattened: every array becomes one member named by its path
(``"layers.0.weight"``, ``"state/0/velocity"``), and a JSON manifest under the
marker key ``__tinygrad_edu__`` records the tree: containers, scalars (exactly, as
JSON), and for each array its member name, shape and dtype. Any NumPy can read the
arrays back with ``np.load(path)``.

Read next: ``optim/optimizer.py`` (what an optimizer's state dict holds).
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from typing import Any

import numpy as np

from .tensor import Tensor

MARKER = "__tinygrad_edu__"
FORMAT = "tinygrad_edu.checkpoint"
VERSION = 1


# ---- flattening ------------------------------------------------------------------------


def _flatten(obj: Any, path: str, arrays: dict[str, np.ndarray]) -> Any:
    """The manifest node for ``obj``; its arrays are added to ``arrays``."""
    if isinstance(obj, Tensor):
        return {"type": "tensor", **_add_array(obj.data, path or "tensor", arrays),
                "requires_grad": bool(obj.requires_grad)}
    if isinstance(obj, np.ndarray):
        return {"type": "array", **_add_array(obj, path or "array", arrays)}
    if isinstance(obj, np.generic):  # a NumPy scalar keeps its dtype
        return {"type": "numpy_scalar", **_add_array(np.asarray(obj), path or "scalar", arrays)}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"type": "scalar", "value": obj}
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise TypeError(f"save: dict keys must be str or int, got {key!r}")
            items.append([key, _flatten(value, f"{path}/{key}" if path else str(key), arrays)])
        return {"type": "dict", "items": items}
    if isinstance(obj, (list, tuple)):
        items = [_flatten(v, f"{path}/{i}" if path else str(i), arrays) for i, v in enumerate(obj)]
        return {"type": "list" if isinstance(obj, list) else "tuple", "items": items}
    hint = " (save model.state_dict(), not the model)" if hasattr(obj, "state_dict") else ""
    raise TypeError(
        f"save: cannot store a {type(obj).__name__} at {path or 'the top level'!r}; "
        f"expected arrays, Tensors, numbers, strings and dicts/lists of them{hint}"
    )


def _add_array(array: np.ndarray, path: str, arrays: dict[str, np.ndarray]) -> dict:
    if array.dtype.hasobject or array.dtype.kind == "V":
        raise TypeError(
            f"save: {path!r} has dtype {array.dtype}, which would need pickle; "
            "use a numeric array"
        )
    base = _member_name(path)
    key, n = base, 1
    while key in arrays or key == MARKER:  # "a/b" as one key and as a nested path
        key, n = f"{base}#{n}", n + 1
    arrays[key] = array
    return {"key": key, "shape": list(array.shape), "dtype": array.dtype.str}


def _member_name(path: str) -> str:
    """A zip-safe member name for a path: the manifest keeps the real keys, so odd
    characters (NUL, "..", empty parts) are simply replaced."""
    parts = []
    for part in path.split("/"):
        part = "".join(c if c.isalnum() or c in "._-" else "_" for c in part)
        if part and part.strip("."):
            parts.append(part)
        elif part:
            parts.append("_")
    return "/".join(parts) or "array"


def _unflatten(node: Any, arrays: dict[str, np.ndarray], where: str) -> Any:
    """Rebuild the object from its manifest node, checking every array against it."""
    if not isinstance(node, dict) or "type" not in node:
        raise ValueError(f"corrupt manifest at {where!r}: expected a node, got {node!r}")
    kind = node["type"]
    if kind == "scalar":
        return node.get("value")
    if kind in ("array", "tensor", "numpy_scalar"):
        key = node.get("key")
        if key not in arrays:
            raise ValueError(f"array {key!r} is listed in the manifest but missing from the file")
        array = arrays[key]
        if list(array.shape) != node.get("shape") or array.dtype.str != node.get("dtype"):
            raise ValueError(
                f"array {key!r} has shape {array.shape} and dtype {array.dtype.str}, but "
                f"the manifest says shape {tuple(node.get('shape') or ())} and dtype "
                f"{node.get('dtype')}"
            )
        if kind == "tensor":
            return Tensor(array, requires_grad=bool(node.get("requires_grad")))
        if kind == "numpy_scalar":
            return array[()]
        return array
    if kind == "dict":
        return {k: _unflatten(v, arrays, f"{where}/{k}") for k, v in node.get("items", [])}
    if kind in ("list", "tuple"):
        items = [_unflatten(v, arrays, f"{where}/{i}") for i, v in enumerate(node.get("items", []))]
        return items if kind == "list" else tuple(items)
    raise ValueError(f"corrupt manifest at {where!r}: unknown node type {kind!r}")


# ---- save ------------------------------------------------------------------------------


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write a state dict, Tensor, array, or nested dict/list of them to ``path``.

    The exact ``path`` is used (no ``.npz`` is appended). The write is atomic: the
    previous file at ``path``, if any, stays intact until the new one is complete.

    >>> import os, tempfile, numpy as np, tinygrad_edu as tg
    >>> from tinygrad_edu import nn
    >>> from tinygrad_edu.io import save, load
    >>> model = nn.Linear(2, 1)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
    >>> save(model.state_dict(), path)
    >>> sorted(load(path))
    ['bias', 'weight']
    """
    arrays: dict[str, np.ndarray] = {}
    tree = _flatten(obj, "", arrays)  # fails (TypeError) before any file is touched
    manifest = {"format": FORMAT, "version": VERSION, "tree": tree}
    arrays[MARKER] = np.array(json.dumps(manifest))

    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the rename makes them visible
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        os.replace(tmp, path)  # atomic on POSIX and Windows
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable (POSIX; not possible on Windows)
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


# ---- load ------------------------------------------------------------------------------


def load(path: str | os.PathLike) -> Any:
    """Read what ``save`` wrote: a dict of arrays for a state dict, a Tensor for a Tensor.

    Raises ``ValueError`` naming the problem for a truncated, corrupt, pickled or
    foreign file (``FileNotFoundError`` when there is no file).
    """
    path = os.fspath(path)
    with open(path, "rb") as f:  # FileNotFoundError / PermissionError as usual
        magic = f.read(4)
    if magic != b"PK\x03\x04":  # every .npz is a zip archive
        what = "empty" if not magic else "not an .npz (zip) archive"
        if magic[:1] == b"\x80":
            what += "; it looks like a pickle, which is never loaded (it could run code)"
        raise ValueError(f"load: {path!r} is not a tinygrad_edu checkpoint ({what})")
    try:
        archive = np.load(path, allow_pickle=False)
    except ValueError as error:  # np.load's answer to anything that is not .npy/.npz
        raise ValueError(
            f"load: {path!r} is not a tinygrad_edu checkpoint (not an .npz archive; "
            f"pickled files are refused): {error}"
        ) from None
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise ValueError(f"load: {path!r} is truncated or corrupt: {error}") from None
    with archive:
        arrays = {}
        for key in archive.files:
            try:
                arrays[key] = archive[key]  # reads and CRC-checks the member
            except ValueError as error:
                raise ValueError(
                    f"load: {path!r}: member {key!r} cannot be read without pickle "
                    f"(refused): {error}"
                ) from None
            except Exception as error:  # zlib, CRC, truncated member, bad header...
                raise ValueError(
                    f"load: {path!r} is corrupt: member {key!r} cannot be read: {error}"
                ) from None
    if MARKER not in arrays:
        raise ValueError(
            f"load: {path!r} is an .npz archive but not a tinygrad_edu checkpoint (no "
            f"{MARKER!r} manifest); read it with np.load"
        )
    try:
        manifest = json.loads(str(arrays.pop(MARKER)[()]))
    except (ValueError, TypeError) as error:
        raise ValueError(f"load: {path!r}: the manifest is corrupt: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"load: {path!r}: unknown format in the manifest")
    if manifest.get("version") != VERSION:
        raise ValueError(
            f"load: {path!r} has format version {manifest.get('version')}, this "
            f"tinygrad_edu reads version {VERSION}"
        )
    try:
        return _unflatten(manifest.get("tree"), arrays, "")
    except ValueError as error:
        raise ValueError(f"load: {path!r}: {error}") from None
