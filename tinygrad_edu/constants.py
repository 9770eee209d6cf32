"""Read-only arrays the engine shares instead of making new ones per op.

- A Python number next to a tensor (``y * 2.0``) becomes a 0-d tensor of the dtype
  NumPy 2 gives it there (``convert.number_array``: the tensor's own for a float
  tensor), cached per (type, value, dtype) in a bounded table, so a long chain
  makes no new tensor per number.
- The seed of ``loss.backward()`` (a 1 of the loss's shape and dtype) is cached too.

Both are read-only, so no op, backward formula or ``.grad`` can change a shared one
(``autograd._store_grad`` copies read-only gradients before keeping them).

Read next: ``function.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .convert import is_python_number, number_array
from .tensor import Tensor, as_tensor

_CONSTANTS: dict = {}
_MAX_CONSTANTS = 512  # bounded: emptied when full


def as_tensors(inputs: tuple, fn: type) -> tuple:
    """Inputs as Tensors; a Python number takes the dtype NumPy 2 gives it next to
    the tensors among them (``float32_tensor * 2.0`` stays float32,
    ``where(mask, int_tensor, 0.1)`` is float64). A value that is no tensor (None,
    text) is a TypeError naming op ``fn``."""
    strong = None  # the dtype the tensors promote to: what a number is measured by
    for x in inputs:
        if isinstance(x, Tensor):
            if strong is None:
                strong = x.data.dtype
            elif x.data.dtype != strong:  # (a where's bool mask counts, never wins)
                strong = np.result_type(
                    *[t.data.dtype for t in inputs if isinstance(t, Tensor)]
                )
                break
    return tuple(
        [x if isinstance(x, Tensor) else _constant(x, strong, fn) for x in inputs]
    )


def _constant(x: Any, strong: np.dtype | None, fn: type) -> Tensor:
    """Python number ``x`` next to tensors of dtype ``strong``, as a tensor cached,
    read-only, per (type, value, strong), so ``y * 2.0`` makes no new tensor per op.
    NaN and zeros are not cached (NaN != NaN; 0.0 == -0.0 would mix up the signs).
    Anything else is made afresh (``_uncached``)."""
    if strong is None or type(x) not in (int, float):
        return _uncached(x, strong, fn)
    key = (type(x), x, strong)
    t = _CONSTANTS.get(key)
    if t is None:
        t = Tensor._from_array(number_array(x, strong))
        if x == x and x != 0:
            t.data.flags.writeable = False  # shared by every op that used it
            if len(_CONSTANTS) >= _MAX_CONSTANTS:
                _CONSTANTS.clear()
            _CONSTANTS[key] = t
    return t


def _uncached(x: Any, strong: np.dtype | None, fn: type) -> Tensor:
    """What the cache does not take: a number with no tensor beside it, an int or
    float subclass (an IntEnum), a NumPy scalar (its own dtype), a list, or a value
    that is no tensor (``as_tensor``'s TypeError names the op)."""
    if strong is not None and is_python_number(x):
        return Tensor._from_array(number_array(x, strong))
    return as_tensor(x, None, fn.name)


_ONES: dict = {}


def one(like: np.ndarray) -> np.ndarray:
    """A read-only 1 of ``like``'s shape (size 1) and dtype, cached: the seed of
    ``loss.backward()``. Read-only, so no backward formula or .grad can change it."""
    key = (like.shape, like.dtype)
    seed = _ONES.get(key)
    if seed is None:
        seed = np.ones(like.shape, dtype=like.dtype)
        seed.flags.writeable = False
        if len(_ONES) < 64:  # (bounded: a handful of loss shapes and dtypes)
            _ONES[key] = seed
    return seed
