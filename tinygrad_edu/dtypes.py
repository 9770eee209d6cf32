"""The library's default floating dtype (float32, as in PyTorch) and dtype checks.

Read next: ``tensor.py``.
"""

from __future__ import annotations

import numpy as np

_default_float = np.dtype(np.float32)


def set_default_dtype(dtype) -> None:
    """Set the dtype that Python floats and float lists become (``float32`` to start).

    >>> import numpy as np, tinygrad_edu as tg
    >>> tg.set_default_dtype(np.float64); tg.Tensor(1.5).dtype
    dtype('float64')
    >>> tg.set_default_dtype(np.float32)
    """
    global _default_float
    if dtype is None:  # (np.dtype(None) is float64: a silent choice)
        raise TypeError("set_default_dtype: expected a floating dtype, got None")
    try:
        dt = np.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"set_default_dtype: {error}") from None
    if dt.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {dt}")
    _default_float = dt


def get_default_dtype() -> np.dtype:
    """The dtype that Python floats and float lists become."""
    return _default_float


def is_float(dtype: np.dtype) -> bool:
    """Only floating tensors can carry gradients."""
    return dtype.kind == "f"
