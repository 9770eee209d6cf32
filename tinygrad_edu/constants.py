"""Read-only arrays the engine shares instead of making new ones per op.

- A Python number next to a tensor (``y * 2.0``) becomes a 0-d tensor of that
  tensor's dtype, cached per (type, value, dtype) in a bounded table, so a long
  chain makes no new tensor per number.
- The seed of ``loss.backward()`` (a 1 of the loss's shape and dtype) is cached too.

Both are read-only, so no op, backward formula or ``.grad`` can change a shared one
(``autograd._store_grad`` copies read-only gradients before keeping them).

Read next: ``function.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .tensor import Tensor, as_tensor

_CONSTANTS: dict = {}
_MAX_CONSTANTS = 512  # bounded: emptied when full


def as_tensors(inputs: tuple, fn: type) -> tuple:
    """Inputs as Tensors; a Python number takes the dtype of the first tensor among
    them, as NumPy 2 does (``float32_tensor * 2.0`` stays float32). A value that is
    no tensor (None, text) is a TypeError naming op ``fn``."""
    like = next((x for x in inputs if isinstance(x, Tensor)), None)
    return tuple(
        [x if isinstance(x, Tensor) else _constant(x, like, fn) for x in inputs]
    )


def _constant(x: Any, like: Tensor | None, fn: type) -> Tensor:
    """``as_tensor(x, like)``; a Python number's tensor is cached, read-only, per
    (type, value, dtype of like), so ``y * 2.0`` makes no new tensor per op. NaN and
    zeros are not cached (NaN != NaN; 0.0 == -0.0 would mix up the signs)."""
    if like is None or type(x) not in (int, float):
        return as_tensor(x, like, fn.name)
    key = (type(x), x, like.data.dtype)
    t = _CONSTANTS.get(key)
    if t is None:
        t = as_tensor(x, like, fn.name)
        if x == x and x != 0:
            t.data.flags.writeable = False  # shared by every op that used it
            if len(_CONSTANTS) >= _MAX_CONSTANTS:
                _CONSTANTS.clear()
            _CONSTANTS[key] = t
    return t


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
