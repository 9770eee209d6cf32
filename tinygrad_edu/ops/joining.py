"""Splitting and joining, NumPy's "Splitting arrays" and "Joining arrays": split,
array_split, hsplit, vsplit, dsplit; append, hstack, vstack, dstack, column_stack; and
the atleast_1d/2d/3d they use.

Composites: each part of a split is a slice (its gradient lands back in its place),
each join a ``concatenate`` (its gradient is split again).

Read next: ``ops/contract.py`` (einsum and the other products).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..tensor import Tensor, as_tensor
from ._util import one_axis
from .arrange import _along
from .shape import concatenate, getitem, reshape


# ---- splitting -------------------------------------------------------------------


def _split_at(x: Tensor, bounds: Sequence[int], axis: int) -> list[Tensor]:
    edges = [0, *bounds, x.shape[axis]]
    return [
        getitem(x, _along(axis, slice(lo, hi))) for lo, hi in zip(edges[:-1], edges[1:])
    ]


def array_split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """Split into ``n`` nearly equal parts (the first ``size % n`` one longer) or at the
    given indices, as ``np.array_split``; each part is a slice (composite).

    >>> import tinygrad_edu as tg
    >>> [p.tolist() for p in tg.array_split(tg.arange(5.0), 2)]
    [[0.0, 1.0, 2.0], [3.0, 4.0]]
    """
    return _split(x, indices_or_sections, axis, "array_split", equal=False)


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """Split into ``n`` equal parts or at the given indices, as ``np.split``; parts of
    unequal size raise ``ValueError`` (use ``array_split``)."""
    return _split(x, indices_or_sections, axis, "split", equal=True)


def _split(x: Any, sections: Any, axis: int, op: str, equal: bool) -> list[Tensor]:
    x = as_tensor(x)
    if x.ndim == 0:
        raise ValueError(f"{op}: cannot split a 0-d tensor")
    axis = one_axis(axis, x.ndim, op)
    size = x.shape[axis]
    if isinstance(sections, (int, np.integer)):
        n = int(sections)
        if n <= 0:
            raise ValueError(f"{op}: number of sections must be larger than 0, got {n}")
        if equal and size % n:
            raise ValueError(
                f"{op}: array split does not result in an equal division: axis {axis} "
                f"of size {size} into {n} sections (use array_split for unequal parts)"
            )
        lengths = [size // n + 1] * (size % n) + [size // n] * (n - size % n)
        return _split_at(x, list(np.cumsum(lengths)[:-1]), axis)
    bounds = [int(i) for i in sections]
    return _split_at(x, bounds, axis)


def hsplit(x: Any, indices_or_sections: Any) -> list[Tensor]:
    """Split along columns (axis 1, or axis 0 for 1-D), as ``np.hsplit``."""
    x = as_tensor(x)
    if x.ndim == 0:
        raise ValueError("hsplit: only works on tensors of 1 or more dims")
    return _split(x, indices_or_sections, 1 if x.ndim > 1 else 0, "hsplit", equal=True)


def vsplit(x: Any, indices_or_sections: Any) -> list[Tensor]:
    """Split along rows (axis 0; needs ≥ 2 dims), as ``np.vsplit``."""
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(
            f"vsplit: only works on tensors of 2 or more dims, got shape {x.shape}"
        )
    return _split(x, indices_or_sections, 0, "vsplit", equal=True)


def dsplit(x: Any, indices_or_sections: Any) -> list[Tensor]:
    """Split along depth (axis 2; needs ≥ 3 dims), as ``np.dsplit``."""
    x = as_tensor(x)
    if x.ndim < 3:
        raise ValueError(
            f"dsplit: only works on tensors of 3 or more dims, got shape {x.shape}"
        )
    return _split(x, indices_or_sections, 2, "dsplit", equal=True)


# ---- joining ---------------------------------------------------------------------


def append(x: Any, values: Any, axis: int | None = None) -> Tensor:
    """``values`` appended to ``x`` along ``axis`` (None: both flattened), as
    ``np.append``.

    >>> import tinygrad_edu as tg
    >>> tg.append(tg.Tensor([1.0]), [[2.0, 3.0]]).tolist()
    [1.0, 2.0, 3.0]
    """
    x, values = as_tensor(x), as_tensor(values)
    if axis is None:
        return concatenate([reshape(x, -1), reshape(values, -1)])
    return concatenate([x, values], axis=one_axis(axis, x.ndim, "append"))


def _joined(tensors: Sequence[Any], op: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: expects a sequence (list or tuple) of tensors")
    if not tensors:
        raise ValueError(f"{op}: need at least one tensor")
    return [as_tensor(t) for t in tensors]


def hstack(tensors: Sequence[Any]) -> Tensor:
    """Join along columns (axis 1; axis 0 for 1-D inputs), as ``np.hstack``."""
    parts = atleast_1d(*_joined(tensors, "hstack"))
    parts = parts if isinstance(parts, tuple) else (parts,)
    return concatenate(parts, axis=0 if parts[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Any]) -> Tensor:
    """Join along rows (1-D inputs become rows), as ``np.vstack``.

    >>> import tinygrad_edu as tg
    >>> tg.vstack([tg.Tensor([1.0, 2.0]), tg.Tensor([3.0, 4.0])]).shape
    (2, 2)
    """
    parts = atleast_2d(*_joined(tensors, "vstack"))
    return concatenate(parts if isinstance(parts, tuple) else (parts,), axis=0)


def dstack(tensors: Sequence[Any]) -> Tensor:
    """Join along depth (axis 2, after ``atleast_3d``), as ``np.dstack``."""
    parts = atleast_3d(*_joined(tensors, "dstack"))
    return concatenate(parts if isinstance(parts, tuple) else (parts,), axis=2)


def column_stack(tensors: Sequence[Any]) -> Tensor:
    """1-D inputs become columns, 2-D ones are joined as they are, as
    ``np.column_stack``."""
    parts = [
        reshape(t, -1, 1) if t.ndim < 2 else t for t in _joined(tensors, "column_stack")
    ]
    return concatenate(parts, axis=1)


# ---- at least N dims ------------------------------------------------------------


def _at_least(tensors: tuple, shape_of: Any) -> Any:
    out = tuple(reshape(t, shape_of(t.shape)) for t in map(as_tensor, tensors))
    return out[0] if len(out) == 1 else out


def atleast_1d(*tensors: Any) -> Any:
    """Each input with at least 1 dim (a tuple for several inputs), as
    ``np.atleast_1d``."""
    return _at_least(tensors, lambda s: s if len(s) >= 1 else (1,))


def atleast_2d(*tensors: Any) -> Any:
    """Each input with at least 2 dims ((n,) becomes (1, n)), as ``np.atleast_2d``."""
    return _at_least(tensors, lambda s: s if len(s) >= 2 else (1,) * (2 - len(s)) + s)


def atleast_3d(*tensors: Any) -> Any:
    """Each input with at least 3 dims ((n,) → (1, n, 1), (m, n) → (m, n, 1)), as
    ``np.atleast_3d``.

    >>> import tinygrad_edu as tg
    >>> tg.atleast_3d(tg.zeros(2, 3)).shape
    (2, 3, 1)
    """

    def shape_of(s: tuple) -> tuple:
        return {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}.get(len(s), s)

    return _at_least(tensors, shape_of)
