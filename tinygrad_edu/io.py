"""Checkpoints: ``save(obj, path)`` and ``load(path)`` on NumPy ``.npz`` files.

Safe and portable:

- never pickle: arrays are stored as ``.npy`` members and read back with
  ``allow_pickle=False``, so loading a file cannot run code;
- atomic: the file is written to a temporary file in the same directory, flushed to
  disk (``fsync``) and renamed over the target (``os.replace``), so a crash mid-write
  leaves the old checkpoint, never half a new one; a temporary file left by a killed
  save is removed by the next save of the same path (see ``_atomic.py``);
- symlinks: saving to a symbolic link writes (atomically) to the file it points to,
  and the link stays a link;
- checked: a truncated, corrupt, hostile or foreign file raises ``ValueError`` naming
  the file and what is wrong (and which key); nothing is half-loaded, sizes are checked
  before anything is decompressed, and the file is closed on every path.

Format. Nested containers (dicts, lists, tuples) of arrays, Tensors and plain
scalars are flattened: every array becomes one member named by its path
(``"layers.0.weight"``, ``"state/0/velocity"``; a name already taken, or one that
``np.savez`` keeps for its own arguments, gets a ``#1`` suffix), and a JSON manifest
under the marker key ``__tinygrad_edu__`` records the tree: containers, scalars
(exactly, as JSON), and for each array its member name, shape and dtype. Any NumPy
can read the arrays back with ``np.load(path)``.

Read next: ``optim/optimizer.py`` (what an optimizer's state dict holds).
"""

from __future__ import annotations

import inspect
import json
import numbers
import os
import re
from typing import Any, Callable

import numpy as np

from ._atomic import atomic_write
from ._npz import NpzReader
from .tensor import Tensor

MARKER = "__tinygrad_edu__"
FORMAT = "tinygrad_edu.checkpoint"
VERSION = 1
MAX_DEPTH = 64  # containers nested deeper than this are refused by save and load
# How much larger than the file itself its arrays may be when load's max_bytes is None
# (a setting: assign to tinygrad_edu.io.MAX_EXPANSION). save never compresses, so the
# files it writes never come near this; a zip bomb does.
MAX_EXPANSION = 256 * 2**20
__all__ = ["save", "load", "MAX_DEPTH", "MAX_EXPANSION"]

_SCALARS = (bool, int, float, str, type(None))
# np.savez(file, **members) takes its own arguments by keyword too: a member named
# "file" or "allow_pickle" would collide with them (a TypeError, or an array silently
# taken as NumPy's flag and never written), so members never get those names.
_SAVEZ_ARGUMENTS = frozenset(
    name
    for name, parameter in inspect.signature(np.savez).parameters.items()
    if parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
)
_RESERVED = _SAVEZ_ARGUMENTS | {MARKER}
_ARRAY_KINDS = ("array", "tensor", "numpy_scalar")


# ---- flattening ----------------------------------------------------------------------


def _flatten(obj: Any, path: str, arrays: dict[str, np.ndarray], depth: int = 0) -> Any:
    """The manifest node for ``obj``; its arrays are added to ``arrays``."""
    if isinstance(obj, Tensor):
        return {
            "type": "tensor",
            **_add_array(obj.data, path or "tensor", arrays),
            "requires_grad": bool(obj.requires_grad),
        }
    if isinstance(obj, np.ndarray):
        return {"type": "array", **_add_array(obj, path or "array", arrays)}
    if isinstance(obj, np.generic):  # a NumPy scalar keeps its dtype
        return {
            "type": "numpy_scalar",
            **_add_array(np.asarray(obj), path or "scalar", arrays),
        }
    if isinstance(obj, _SCALARS):
        return {"type": "scalar", "value": obj}
    if isinstance(obj, (dict, list, tuple)) and depth >= MAX_DEPTH:
        raise ValueError(
            f"save: containers nested deeper than {MAX_DEPTH} levels at {path!r} "
            "(does a container hold itself?)"
        )
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise TypeError(f"save: dict keys must be str or int, got {key!r}")
            child = f"{path}/{key}" if path else str(key)
            items.append([key, _flatten(value, child, arrays, depth + 1)])
        return {"type": "dict", "items": items}
    if isinstance(obj, (list, tuple)):
        items = [
            _flatten(v, f"{path}/{i}" if path else str(i), arrays, depth + 1)
            for i, v in enumerate(obj)
        ]
        return {"type": "list" if isinstance(obj, list) else "tuple", "items": items}
    hint = (
        " (save model.state_dict(), not the model)"
        if hasattr(obj, "state_dict")
        else ""
    )
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
    while key in arrays or key in _RESERVED:  # "a/b" as a key and as a nested path
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


# ---- unflattening: every node is checked against the schema save writes --------------


def _place(where: str) -> str:
    return repr(where) if where else "the top level"


def _fields(node: dict, where: str, names: set[str]) -> dict:
    if set(node) != names:
        raise ValueError(
            f"corrupt manifest at {_place(where)}: a {node['type']!r} node needs the "
            f"fields {sorted(names)}, got {sorted(node)!r:.200}"
        )
    return node


def _unflatten(
    node: Any, read: Callable[..., np.ndarray], where: str = "", depth: int = 0
) -> Any:
    """Rebuild the object from its manifest node; ``read(key, shape, dtype)`` returns
    a member's array after checking it against the manifest."""
    if not isinstance(node, dict):
        raise ValueError(
            f"corrupt manifest at {_place(where)}: expected a node, got "
            f"{type(node).__name__}"
        )
    kind = node.get("type")
    if kind == "scalar":
        value = _fields(node, where, {"type", "value"})["value"]
        if not isinstance(value, _SCALARS):
            raise ValueError(
                f"corrupt manifest at {_place(where)}: a scalar cannot be {value!r:.80}"
            )
        return value
    if kind in _ARRAY_KINDS:
        return _unflatten_array(node, kind, read, where)
    if kind not in ("dict", "list", "tuple"):
        raise ValueError(
            f"corrupt manifest at {_place(where)}: unknown node type {kind!r:.40}"
        )
    items = _fields(node, where, {"type", "items"})["items"]
    if not isinstance(items, list):
        raise ValueError(f"corrupt manifest at {_place(where)}: 'items' must be a list")
    if depth >= MAX_DEPTH:
        raise ValueError(
            f"the manifest nests containers deeper than {MAX_DEPTH} levels"
        )
    if kind != "dict":
        values = [
            _unflatten(v, read, f"{where}/{i}", depth + 1) for i, v in enumerate(items)
        ]
        return values if kind == "list" else tuple(values)
    result: dict = {}
    for item in items:
        ok = isinstance(item, list) and len(item) == 2
        key = item[0] if ok else None
        if (
            not ok
            or not isinstance(key, (str, int))
            or isinstance(key, bool)
            or key in result
        ):
            raise ValueError(
                f"corrupt manifest at {_place(where)}: a dict item must be a "
                f"[str-or-int key, node] pair with a new key, got {item!r:.80}"
            )
        result[key] = _unflatten(item[1], read, f"{where}/{key}", depth + 1)
    return result


def _unflatten_array(node: dict, kind: str, read: Callable, where: str) -> Any:
    names = {"type", "key", "shape", "dtype"} | (
        {"requires_grad"} if kind == "tensor" else set()
    )
    _fields(node, where, names)
    key, shape, dtype = node["key"], node["shape"], node["dtype"]
    shape_ok = (
        isinstance(shape, list)
        and all(type(n) is int and n >= 0 for n in shape)
        and (kind != "numpy_scalar" or not shape)
    )
    if not isinstance(key, str) or not isinstance(dtype, str) or not shape_ok:
        raise ValueError(
            f"corrupt manifest at {_place(where)}: bad key {key!r:.40}, shape "
            f"{shape!r:.80} or dtype {dtype!r:.40} for a {kind}"
        )
    array = read(key, tuple(shape), dtype)
    if kind == "numpy_scalar":
        return array[()]
    if kind == "array":
        return array
    if not isinstance(node["requires_grad"], bool):
        raise ValueError(
            f"corrupt manifest at {_place(where)}: requires_grad must be true/false"
        )
    try:
        return Tensor(array, requires_grad=node["requires_grad"])
    except (TypeError, ValueError) as error:  # e.g. an int tensor that requires grad
        raise ValueError(f"corrupt manifest at {_place(where)}: {error}") from None


def _json_depth(text: str) -> int:
    """How deeply the JSON ``text`` nests brackets (outside strings), found without
    parsing, so a hostile manifest cannot exhaust the parser's recursion."""
    bare = re.sub(r'"[^"\\]*(?:\\.[^"\\]*)*"', '""', text)
    codes = np.frombuffer(bare.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    steps = np.isin(codes, (ord("["), ord("{"))).astype(np.int64)
    steps -= np.isin(codes, (ord("]"), ord("}")))
    return int(np.cumsum(steps).max(initial=0))


def _parse_manifest(text: str) -> Any:
    # a dict level is 3 JSON levels (node, items, pair), plus the manifest object
    if _json_depth(text) > 3 * MAX_DEPTH + 4:
        raise ValueError(f"the manifest nests deeper than {MAX_DEPTH} containers")
    try:
        manifest = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ValueError(f"the manifest is corrupt: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError("unknown format in the manifest")
    if manifest.get("version") != VERSION:
        raise ValueError(
            f"format version {manifest.get('version')!r:.40}, this tinygrad_edu reads "
            f"version {VERSION}"
        )
    if set(manifest) != {"format", "version", "tree"}:
        raise ValueError(f"the manifest has unexpected fields {sorted(manifest)}")
    return manifest["tree"]


# ---- save ----------------------------------------------------------------------------


def _path(path: Any, function: str) -> str:
    """``path`` as a str, or a TypeError/ValueError naming ``function``."""
    try:
        path = os.fspath(path)
    except TypeError:
        raise TypeError(
            f"{function}: path must be a str or os.PathLike, got {type(path).__name__}"
        ) from None
    path = os.fsdecode(path)
    if "\x00" in path:
        raise ValueError(f"{function}: the path {path!r} contains a NUL byte")
    return path


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write a state dict, Tensor, array, or nested dict/list of them to ``path``.

    The exact ``path`` is used (no ``.npz`` is appended). The write is atomic: the
    previous file at ``path``, if any, stays intact until the new one is complete. If
    ``path`` is a symbolic link, the file it points to is replaced (atomically) and the
    link stays. Temporary files left beside ``path`` by saves that were killed are
    removed. Containers may nest up to ``MAX_DEPTH`` (64) levels.

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
    atomic_write(_path(path, "save"), lambda file: np.savez(file, **arrays))


# ---- load ----------------------------------------------------------------------------


def load(path: str | os.PathLike, max_bytes: int | None = None) -> Any:
    """Read what ``save`` wrote: a dict of arrays for a state dict, a Tensor for a
    Tensor.

    Raises ``ValueError`` naming the file and the problem for a truncated, corrupt,
    pickled, hostile or foreign file (``FileNotFoundError`` when there is no file).

    ``max_bytes`` limits the memory the arrays may take (the sum of the members'
    decompressed sizes), checked from the zip directory before anything is
    decompressed. The default, ``None``, allows the file's own size plus
    ``MAX_EXPANSION`` (256 MiB): a file ``save`` wrote (stored uncompressed) always
    loads, while a compressed "zip bomb" is refused. ``max_bytes`` that is not an int
    is a ``TypeError``, a negative one a ``ValueError``. Every member must also hold
    exactly the bytes its ``.npy`` header's shape and dtype need: shorter is reported
    as truncated, longer is refused.

    >>> import os, tempfile, numpy as np
    >>> from tinygrad_edu.io import save, load
    >>> path = os.path.join(tempfile.mkdtemp(), "big.npz")
    >>> save({"w": np.zeros(1000)}, path)
    >>> load(path, max_bytes=100)
    Traceback (most recent call last):
    ...
    ValueError: load: '...big.npz': its arrays need ... bytes, more than ...
    """
    if max_bytes is not None:
        if not isinstance(max_bytes, numbers.Integral) or isinstance(max_bytes, bool):
            raise TypeError(
                "load: max_bytes must be None or an int, got "
                f"{type(max_bytes).__name__}"
            )
        if max_bytes < 0:
            raise ValueError(f"load: max_bytes must be >= 0, got {max_bytes}")
        max_bytes = int(max_bytes)
    path = _path(path, "load")
    with open(path, "rb") as file:  # FileNotFoundError / PermissionError as usual
        magic = file.read(4)
        if magic != b"PK\x03\x04":  # every .npz is a zip archive
            what = "empty" if not magic else "not an .npz (zip) archive"
            if magic[:1] == b"\x80":
                what += (
                    "; it looks like a pickle, which is never loaded (it could run "
                    "code)"
                )
            raise ValueError(
                f"load: {path!r} is not a tinygrad_edu checkpoint ({what})"
            )
        file.seek(0)
        try:
            with NpzReader(file, max_bytes, MAX_EXPANSION) as reader:
                return _read_checkpoint(reader)
        except ValueError as error:  # every check below says what; add which file
            raise ValueError(f"load: {path!r}: {error}") from None


def _read_checkpoint(reader: NpzReader) -> Any:
    if MARKER not in reader.headers:
        raise ValueError(
            f"an .npz archive but not a tinygrad_edu checkpoint (no {MARKER!r} "
            "manifest); read it with np.load"
        )
    manifest = reader.read(MARKER)
    if manifest.dtype.kind != "U" or manifest.shape != ():
        raise ValueError(
            f"the manifest is corrupt: a {manifest.dtype} array, not a string"
        )
    obj = _unflatten(_parse_manifest(str(manifest[()])), reader.read_listed)
    reader.check_all_read()
    return obj
