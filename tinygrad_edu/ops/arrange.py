"""Rearranging elements, NumPy's "Array manipulation" and "Sorting" families: sort,
tile, repeat, roll, flip/fliplr/flipud/rot90, tril/triu, ravel, moveaxis; and
``linspace`` (creation, no gradient). Splitting and joining: ``ops/joining.py``.

Every one is a composite of the shape ops (indexing, reshape, transpose,
broadcast_to, concatenate, where): each moves numbers without changing them, so its
gradient comes from its parts and moves the gradient back the same way (``sort``'s
scatters back through the sort permutation, ``tile``'s sums over the copies).

Read next: ``ops/joining.py`` (splitting and joining).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..creation import check_size
from ..dtypes import get_default_dtype
from ..tensor import Tensor, as_tensor
from ._util import normalize_axes, one_axis
from .binary import where
from .shape import broadcast_to, concatenate, getitem, reshape, transpose


def _along(axis: int, index: Any) -> tuple:
    """An index that applies ``index`` to ``axis`` and keeps every other axis."""
    return (slice(None),) * axis + (index,)


def _axes_order(
    ndim: int, source: Sequence[int], destination: Sequence[int]
) -> list[int]:
    """The transpose order that moves ``source`` axes to ``destination``
    (np.moveaxis)."""
    order = [i for i in range(ndim) if i not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return order


# ---- sorting ---------------------------------------------------------------------


def sort(x: Any, axis: Any = -1, kind: str | None = None) -> Tensor:
    """Sorted copy along ``axis`` (None: flattened), as ``np.sort``. Composite: an
    integer-array index by the sort permutation, so the gradient scatters back to
    where each element came from (ties keep their order: a stable sort).

    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor([3.0, 1.0, 2.0], requires_grad=True)
    >>> y = tg.sort(x); y.backward(tg.Tensor([10.0, 20.0, 30.0])); x.grad.tolist()
    [30.0, 10.0, 20.0]
    """
    x = as_tensor(x)
    if axis is None:
        x, axis = reshape(x, -1), 0
    if x.ndim == 0:
        raise ValueError("sort: cannot sort a 0-d tensor (give axis=None to flatten)")
    axis = one_axis(axis, x.ndim, "sort")
    order = np.argsort(x.data, axis=axis, kind=kind or "stable")
    grids = list(np.indices(x.shape, sparse=True))
    grids[axis] = order
    return getitem(x, tuple(grids))


# ---- repeating -------------------------------------------------------------------


def tile(x: Any, reps: Any) -> Tensor:
    """x repeated ``reps`` times along each axis, as ``np.tile`` (composite: a
    broadcast then a reshape; the gradient sums over the copies).

    >>> import tinygrad_edu as tg
    >>> tg.tile(tg.Tensor([1.0, 2.0]), (2, 2)).tolist()
    [[1.0, 2.0, 1.0, 2.0], [1.0, 2.0, 1.0, 2.0]]
    """
    x = as_tensor(x)
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    if any(not isinstance(r, (int, np.integer)) or r < 0 for r in reps):
        raise ValueError(f"tile: reps must be non-negative ints, got {reps!r}")
    ndim = max(len(reps), x.ndim)
    reps = (1,) * (ndim - len(reps)) + reps
    shape = (1,) * (ndim - x.ndim) + x.shape
    interleaved = [n for pair in zip((1,) * ndim, shape) for n in pair]
    stretched = [n for pair in zip(reps, shape) for n in pair]
    check_size(tuple(stretched), x.dtype.itemsize, "tile")  # (before allocating)
    out = broadcast_to(reshape(x, interleaved), stretched)
    return reshape(out, tuple(r * n for r, n in zip(reps, shape)))


def repeat(x: Any, repeats: Any, axis: int | None = None) -> Tensor:
    """Each element repeated ``repeats`` times along ``axis`` (None: flattened), as
    ``np.repeat`` (composite: an index, or for an int a broadcast).

    >>> import tinygrad_edu as tg
    >>> tg.repeat(tg.Tensor([1.0, 2.0]), [1, 2]).tolist()
    [1.0, 2.0, 2.0]
    """
    x = as_tensor(x)
    if axis is None:
        x, axis = reshape(x, -1), 0
    axis = one_axis(axis, x.ndim, "repeat")
    counts = np.asarray(repeats)
    if counts.dtype.kind not in "iu" or counts.ndim > 1 or np.any(counts < 0):
        raise ValueError(f"repeat: repeats must be non-negative ints, got {repeats!r}")
    n = x.shape[axis]
    # the result's length along axis, checked before anything is allocated
    total = int(counts.sum()) if counts.size != 1 else int(counts.reshape(-1)[0]) * n
    wide_shape = x.shape[:axis] + (total,) + x.shape[axis + 1 :]
    check_size(wide_shape, x.dtype.itemsize, "repeat")
    if counts.ndim == 0:
        r = int(counts)
        wide = broadcast_to(
            x.expand_dims(axis + 1), x.shape[: axis + 1] + (r,) + x.shape[axis + 1 :]
        )
        return reshape(wide, x.shape[:axis] + (n * r,) + x.shape[axis + 1 :])
    if counts.size not in (1, n):
        raise ValueError(
            f"repeat: {counts.size} repeats for axis {axis} of size {n} (shape "
            f"{x.shape})"
        )
    return getitem(x, _along(axis, np.repeat(np.arange(n), counts)))


# ---- flipping and rolling --------------------------------------------------------


def flip(x: Any, axis: Any = None) -> Tensor:
    """Reverse the order of elements along ``axis`` (None: all axes), as ``np.flip``.

    >>> import tinygrad_edu as tg
    >>> tg.flip(tg.Tensor([[1.0, 2.0], [3.0, 4.0]]), 1).tolist()
    [[2.0, 1.0], [4.0, 3.0]]
    """
    x = as_tensor(x)
    axes = normalize_axes(axis, x.ndim, "flip")
    return getitem(
        x,
        tuple(
            slice(None, None, -1) if i in axes else slice(None) for i in range(x.ndim)
        ),
    )


def fliplr(x: Any) -> Tensor:
    """Reverse the columns (axis 1; needs ≥ 2 dims), as ``np.fliplr``."""
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(
            f"fliplr: needs a tensor of at least 2 dims, got shape {x.shape}"
        )
    return flip(x, 1)


def flipud(x: Any) -> Tensor:
    """Reverse the rows (axis 0; needs ≥ 1 dim), as ``np.flipud``."""
    x = as_tensor(x)
    if x.ndim < 1:
        raise ValueError("flipud: needs a tensor of at least 1 dim, got a 0-d one")
    return flip(x, 0)


def rot90(x: Any, k: int = 1, axes: Sequence[int] = (0, 1)) -> Tensor:
    """Rotate by 90° ``k`` times in the plane of ``axes``, as ``np.rot90``.

    >>> import tinygrad_edu as tg
    >>> tg.rot90(tg.Tensor([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [[2.0, 4.0], [1.0, 3.0]]
    """
    x = as_tensor(x)
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError(f"rot90: axes must name 2 axes, got {axes!r}")
    a, b = (one_axis(ax, x.ndim, "rot90") for ax in axes)
    if a == b:
        raise ValueError(f"rot90: axes must be different, got {axes!r}")
    k = int(k) % 4
    order = list(range(x.ndim))
    order[a], order[b] = order[b], order[a]
    if k == 0:
        return x + 0  # a copy in the graph, as NumPy returns a new view
    if k == 2:
        return flip(x, (a, b))
    if k == 1:
        return transpose(flip(x, b), *order)
    return flip(transpose(x, *order), b)


def roll(x: Any, shift: Any, axis: Any = None) -> Tensor:
    """Shift elements cyclically along ``axis`` (None: flattened), as ``np.roll``.

    >>> import tinygrad_edu as tg
    >>> tg.roll(tg.Tensor([1.0, 2.0, 3.0]), 1).tolist()
    [3.0, 1.0, 2.0]
    """
    x = as_tensor(x)
    if axis is None:
        return reshape(roll(reshape(x, -1), shift, 0), x.shape)
    for ax in axis if isinstance(axis, (tuple, list)) else (axis,):
        one_axis(ax, x.ndim, "roll")  # a float or out-of-range axis, named
    shifts, axes = np.broadcast_arrays(np.asarray(shift), np.asarray(axis))
    if shifts.dtype.kind not in "iu" or axes.dtype.kind not in "iu" or shifts.ndim > 1:
        raise TypeError(
            f"roll: shift and axis must be ints or sequences of ints, got {shift!r}, "
            f"{axis!r}"
        )
    for s, ax in zip(shifts.reshape(-1), axes.reshape(-1)):
        ax = one_axis(int(ax), x.ndim, "roll")
        n = x.shape[ax]
        s = int(s) % n if n else 0
        if s:
            x = concatenate(
                [
                    getitem(x, _along(ax, slice(n - s, None))),
                    getitem(x, _along(ax, slice(None, n - s))),
                ],
                axis=ax,
            )
    return x


# ---- triangles -------------------------------------------------------------------


def _triangle(x: Any, k: int, op: str, lower: bool) -> Tensor:
    x = as_tensor(x)
    if x.ndim < 1:
        raise ValueError(f"{op}: needs a tensor of at least 1 dim, got a 0-d one")
    rows, cols = (
        (x.shape[-2], x.shape[-1]) if x.ndim >= 2 else (x.shape[-1], x.shape[-1])
    )
    keep = (
        np.tri(rows, cols, k, dtype=bool)
        if lower
        else ~np.tri(rows, cols, k - 1, dtype=bool)
    )
    return where(keep, x, 0)


def tril(x: Any, k: int = 0) -> Tensor:
    """The lower triangle (on and below diagonal ``k``) of the last two axes, zeros
    above, as ``np.tril`` (composite: a ``where`` with a constant mask).

    >>> import tinygrad_edu as tg
    >>> tg.tril(tg.ones(2, 2)).tolist()
    [[1.0, 0.0], [1.0, 1.0]]
    """
    return _triangle(x, k, "tril", lower=True)


def triu(x: Any, k: int = 0) -> Tensor:
    """The upper triangle (on and above diagonal ``k``), zeros below, as ``np.triu``."""
    return _triangle(x, k, "triu", lower=False)


# ---- reshaping -------------------------------------------------------------------


def ravel(x: Any) -> Tensor:
    """The elements as a 1-D tensor, as ``np.ravel`` (composite: a reshape)."""
    return reshape(x, -1)


def moveaxis(x: Any, source: Any, destination: Any) -> Tensor:
    """Move axes to new positions, the others keeping their order, as ``np.moveaxis``.

    >>> import tinygrad_edu as tg
    >>> tg.moveaxis(tg.zeros(2, 3, 4), 0, -1).shape
    (3, 4, 2)
    """
    x = as_tensor(x)
    single = isinstance(source, (int, np.integer))
    src = [
        normalize_axes(a, x.ndim, "moveaxis")[0]
        for a in ((source,) if single else source)
    ]
    single = isinstance(destination, (int, np.integer))
    dst = [
        normalize_axes(a, x.ndim, "moveaxis")[0]
        for a in ((destination,) if single else destination)
    ]
    if len(src) != len(dst):
        raise ValueError(
            f"moveaxis: source {source!r} and destination {destination!r} must have "
            "the same number of elements"
        )
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"moveaxis: repeated axis in {source!r} or {destination!r}")
    return transpose(x, *_axes_order(x.ndim, src, dst))


# ---- creation --------------------------------------------------------------------


def linspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: Any = None,
    axis: int = 0,
    *,
    requires_grad: bool = False,
) -> Any:
    """``num`` evenly spaced numbers from ``start`` to ``stop``, as ``np.linspace``, in
    the default float dtype (creation: no gradient flows to start or stop).

    >>> import tinygrad_edu as tg
    >>> tg.linspace(0, 1, 5).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    if not isinstance(num, (int, np.integer)) or num < 0:
        raise ValueError(f"linspace: num must be a non-negative int, got {num!r}")
    check_size((int(num),), 8, "linspace")  # (drawn in float64 first)
    start, stop = np.asarray(start), np.asarray(stop)  # a Tensor gives its data
    values, step = np.linspace(start, stop, num, endpoint, retstep=True, axis=axis)
    out = Tensor(
        values.astype(dtype or get_default_dtype()), requires_grad=requires_grad
    )
    return (out, step) if retstep else out
