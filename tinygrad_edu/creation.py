"""Creation functions: zeros, ones, full, eye, rand, randn, arange, zeros_like,
ones_like (also ``Tensor.zeros`` ... classmethods and ``tg.zeros`` ...), with the
dtype rule and the size guard (``MAX_CREATE_BYTES``) they share.

Read next: ``autograd.py``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._rng import get_rng
from .dtypes import get_default_dtype
from .convert import _to_array
from .tensor import Tensor, TensorLike, _grad_flag, _shape_arg


def _dtype_arg(dtype: Any, op: str, floating: bool = False) -> np.dtype:
    """The dtype a creation function makes: the default float dtype for None; a
    bool/int/float dtype otherwise (only a float one where ``floating``)."""
    if dtype is None:
        return get_default_dtype()
    dtype = np.dtype(dtype)
    allowed = "f" if floating else "biuf"
    if dtype.kind not in allowed:
        kinds = "a floating" if floating else "a bool, int or float"
        raise TypeError(f"{op}: dtype must be {kinds} dtype, got {dtype}")
    return dtype


# The most memory one creation call may take (a setting: assign to
# tinygrad_edu.creation.MAX_CREATE_BYTES). A typo such as zeros(2**40) then fails at
# once with a ValueError instead of a MemoryError or minutes of swapping.
MAX_CREATE_BYTES = 2**32  # 4 GiB


def check_size(shape: tuple[int, ...], itemsize: int, op: str) -> None:
    """ValueError naming ``op`` when an array of ``shape`` (``itemsize`` bytes per
    element) would take more than ``MAX_CREATE_BYTES``; checked before allocating.

    >>> check_size((2**40,), 4, "zeros")
    Traceback (most recent call last):
    ValueError: zeros: shape (1099511627776,) needs 4398046511104 bytes, ...
    """
    nbytes = math.prod(shape) * itemsize  # Python ints: no overflow
    if nbytes > MAX_CREATE_BYTES:
        raise ValueError(
            f"{op}: shape {shape} needs {nbytes} bytes, more than MAX_CREATE_BYTES="
            f"{MAX_CREATE_BYTES} (raise tinygrad_edu.creation.MAX_CREATE_BYTES to "
            "allow it)"
        )


def _sizes(shape: tuple, op: str, itemsize: int) -> tuple[int, ...]:
    """A creation function's shape: integer sizes, none negative, and an array of
    them small enough (``check_size``)."""
    sizes = _shape_arg(shape, op)
    if any(n < 0 for n in sizes):
        raise ValueError(
            f"{op}: negative dimensions are not allowed, got shape {sizes}"
        )
    check_size(sizes, itemsize, op)
    return sizes


def _new(data: np.ndarray, requires_grad: bool, op: str) -> Tensor:
    t = Tensor._from_array(data)
    if requires_grad is False or requires_grad is None:
        return t
    return t.requires_grad_(_grad_flag(requires_grad, op))


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros (default float dtype). ``zeros(2, 3)`` or ``zeros((2, 3))``.
    More than ``MAX_CREATE_BYTES`` (4 GiB) is a ValueError before allocating."""
    dtype = _dtype_arg(dtype, "zeros")
    data = np.zeros(_sizes(shape, "zeros", dtype.itemsize), dtype)
    return _new(data, requires_grad, "zeros")


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones (default float dtype).
    More than ``MAX_CREATE_BYTES`` (4 GiB) is a ValueError before allocating."""
    dtype = _dtype_arg(dtype, "ones")
    data = np.ones(_sizes(shape, "ones", dtype.itemsize), dtype)
    return _new(data, requires_grad, "ones")


def full(
    shape: Any, value: float, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """A tensor filled with ``value``; the dtype follows the value as in NumPy, floats
    becoming the default float dtype.
    More than ``MAX_CREATE_BYTES`` (4 GiB) is a ValueError before allocating.

    >>> full((2,), 7).tolist(), full((2,), 0.5).dtype
    ([7, 7], dtype('float32'))
    """
    value = _to_array(value, None, "full")
    if value.ndim:
        raise ValueError(
            f"full: value must be a single number, got shape {value.shape}"
        )
    dtype = value.dtype if dtype is None else _dtype_arg(dtype, "full")
    sizes = _sizes((shape,), "full", dtype.itemsize)
    return _new(np.full(sizes, value, dtype=dtype), requires_grad, "full")


def eye(
    n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """The identity matrix (default float dtype).
    More than ``MAX_CREATE_BYTES`` (4 GiB) is a ValueError before allocating."""
    dtype = _dtype_arg(dtype, "eye")
    sizes = _sizes(((n,) if m is None else (n, m),), "eye", 1)  # n, m: ints each
    check_size((sizes[0], sizes[-1]), dtype.itemsize, "eye")
    return _new(np.eye(*sizes, dtype=dtype), requires_grad, "eye")


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform [0, 1) samples from the library's generator (see ``manual_seed``).
    More than ``MAX_CREATE_BYTES`` (4 GiB) is a ValueError before allocating."""
    dtype = _dtype_arg(dtype, "rand", floating=True)  # int samples in [0, 1) are all 0
    data = get_rng().random(_sizes(shape, "rand", 8))  # drawn in float64
    return _new(data.astype(dtype, copy=False), requires_grad, "rand")


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from the library's generator (see ``manual_seed``).
    More than ``MAX_CREATE_BYTES`` (4 GiB) is a ValueError before allocating."""
    dtype = _dtype_arg(dtype, "randn", floating=True)
    data = get_rng().standard_normal(_sizes(shape, "randn", 8))  # drawn in float64
    return _new(data.astype(dtype, copy=False), requires_grad, "randn")


def arange(*args: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """``np.arange`` as a Tensor, with NumPy's dtype rule (the contract's): ints give
    int64 and floats float64. This is the one creation function where a Python float
    does not become the default float dtype; pass ``dtype=`` for float32.
    More than ``MAX_CREATE_BYTES`` (4 GiB) is a ValueError before allocating.

    >>> arange(3).tolist(), arange(0.0, 1.0, 0.5).dtype
    ([0, 1, 2], dtype('float64'))
    """
    if not 1 <= len(args) <= 3:
        raise TypeError(
            f"arange: expected 1 to 3 numbers (start, stop, step), got {args!r}"
        )
    for a in args:
        if isinstance(a, Tensor) or _to_array(a, None, "arange").ndim:
            raise TypeError(f"arange: start, stop and step must be numbers, got {a!r}")
    start, stop, step = (0, args[0], 1) if len(args) == 1 else (*args, 1)[:3]
    if not all(math.isfinite(a) for a in (start, stop, step)):
        raise ValueError(f"arange: start, stop and step must be finite, got {args!r}")
    if step == 0:
        raise ValueError("arange: step must not be 0")
    dtype = None if dtype is None else _dtype_arg(dtype, "arange")
    length = max(0, math.ceil((stop - start) / step))
    check_size((length,), 8 if dtype is None else dtype.itemsize, "arange")
    return _new(np.arange(*args, dtype=dtype), requires_grad, "arange")


def zeros_like(t: TensorLike, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape and dtype of ``t``."""
    data = t.data if isinstance(t, Tensor) else _to_array(t, None, "zeros_like")
    dtype = data.dtype if dtype is None else _dtype_arg(dtype, "zeros_like")
    return _new(np.zeros(data.shape, dtype=dtype), requires_grad, "zeros_like")


def ones_like(t: TensorLike, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape and dtype of ``t``."""
    data = t.data if isinstance(t, Tensor) else _to_array(t, None, "ones_like")
    dtype = data.dtype if dtype is None else _dtype_arg(dtype, "ones_like")
    return _new(np.ones(data.shape, dtype=dtype), requires_grad, "ones_like")
