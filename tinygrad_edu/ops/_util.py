"""Helpers shared by the op families: operand conversion, axes, the array backend."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor, as_tensor


def backend(x: Any):
    """``numpy`` for arrays, ``tinygrad_edu.ops`` for Tensors.

    A backward formula written with ``xp = backend(grad)`` runs as plain NumPy in an
    ordinary backward and records a graph under ``create_graph=True``.
    """
    if isinstance(x, Tensor):
        from tinygrad_edu import ops  # here, not at the top: ops imports this file

        return ops
    return np


_ZEROS: dict = {}


def zero_of(dtype: np.dtype) -> np.ndarray:
    """A 0-d zero of ``dtype``, for comparisons and max/min against 0. NumPy runs
    ``x > zero`` about twice as fast as ``x > 0`` on small arrays: the Python int
    needs a scalar conversion per call, a 0-d array of x's own dtype does not."""
    zero = _ZEROS.get(dtype)
    if zero is None:
        zero = _ZEROS[dtype] = np.zeros((), dtype)
    return zero


def operands(a: Any, b: Any, op: str = "Tensor") -> tuple[Tensor, Tensor]:
    """Both operands as Tensors; a Python number takes the other side's dtype.
    Errors name ``op``."""
    if isinstance(a, Tensor):
        return a, (b if isinstance(b, Tensor) else as_tensor(b, a, op))
    if isinstance(b, Tensor):
        return as_tensor(a, b, op), b
    return as_tensor(a, op=op), as_tensor(b, op=op)


def normalize_axes(axis: Any, ndim: int, op: str) -> tuple[int, ...]:
    """``axis`` (None, int or tuple of ints) as a sorted tuple of non-negative axes.

    Errors name ``op``, the public function the user called: a float or bool axis, or
    a list or array of axes (NumPy refuses them too), is a TypeError, an out-of-range
    one NumPy's ``AxisError`` (a ValueError and an IndexError, so either ``except``
    catches it).
    """
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if is_int(axis) else _axis_tuple(axis, op)
    result = []
    for a in axes:
        if not is_int(a):
            raise TypeError(
                f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}"
            )
        bound = max(ndim, 1)  # a 0-d tensor takes axis 0 or -1, as NumPy's argmax
        if not -bound <= a < bound:
            raise np.exceptions.AxisError(
                f"{op}: axis {a} is out of bounds for a tensor of {ndim} dims"
            )
        result.append(int(a) % bound)
    if len(set(result)) != len(result):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(result))


def reduction_axes(axis: Any, ndim: int, op: str) -> tuple[int, ...]:
    """``normalize_axes`` for a reduction. On a 0-d tensor axis 0 or -1 names its
    one element, so the reduction is over no axes at all (NumPy's ufunc reductions:
    ``np.sum(np.array(3.0), axis=0)`` is 3.0).

    >>> reduction_axes(0, 0, "sum"), reduction_axes(-1, 2, "sum")
    ((), (1,))
    """
    axes = normalize_axes(axis, ndim, op)
    return axes if ndim else ()


def one_axis(axis: Any, ndim: int, op: str) -> int:
    """A single ``axis`` (an int, as argmax and concatenate take) made non-negative."""
    if not is_int(axis):
        raise TypeError(f"{op}: axis must be an int, got {axis!r}")
    return normalize_axes(axis, ndim, op)[0]


def is_int(value: Any) -> bool:
    """True for Python and NumPy ints; False for bools (True is not axis 1)."""
    return isinstance(value, (int, np.integer)) and not isinstance(
        value, (bool, np.bool_)
    )


def _axis_tuple(axis: Any, op: str) -> tuple:
    if not isinstance(axis, tuple):
        raise TypeError(
            f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}"
        )
    return axis


def real_number(value: Any, op: str, name: str) -> float | int:
    """A numeric parameter (clip bound, alpha, slope, pad value) as a Python number,
    so it keeps the tensor's dtype (NumPy 2 promotes float32 by np.float64 scalars).
    Strings, None, complex and bools are a TypeError naming ``op`` and ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.number)
    ):
        raise TypeError(
            f"{op}: {name} must be a real number, "
            f"got {value!r} ({type(value).__name__})"
        )
    if isinstance(value, np.complexfloating):
        raise TypeError(f"{op}: {name} must be a real number, got complex {value!r}")
    return int(value) if isinstance(value, (int, np.integer)) else float(value)


def keepdims_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape a reduction over ``axes`` has with keepdims=True."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))
