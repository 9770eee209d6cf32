"""How Python and NumPy data become a tensor's array: the contract's dtype rules.

- ``_to_array``: data given to ``Tensor(...)`` (and the creation functions): Python
  floats become the default float dtype, ints int64, bools bool, arrays keep theirs;
  what NumPy would coerce silently (None, text, complex, objects, ragged lists) is a
  TypeError or ValueError naming the op.
- ``number_array``: a Python number next to a tensor, as NumPy 2 (NEP 50) types it.

``tensor.py`` (the Tensor class) imports this module first; it reaches ``Tensor``
through the ``tensor`` module at call time, which closes the import cycle.

Read next: ``tensor.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import tensor
from .dtypes import get_default_dtype


def _to_array(data: Any, dtype: Any, op: str = "Tensor") -> np.ndarray:
    """The contract's dtype rule: Python floats become the default float dtype.

    Data that would be coerced silently is refused with a TypeError naming ``op``:
    None, text, complex numbers, objects, a ``dtype`` that is not bool/int/float,
    and Tensors that require grad inside a list (a new Tensor is a leaf, so their
    graph would be dropped: ``tg.stack`` keeps it).
    """
    if dtype is not None and dtype.kind not in "biuf":
        raise TypeError(f"{op}: dtype must be bool, int or float, got {dtype}")
    if isinstance(data, np.ndarray):
        if type(data) is not np.ndarray:
            data = _plain_array(data, op)
        if data.dtype.kind not in "biuf":
            raise TypeError(
                f"{op}: expected a numeric array (bool, int or float), got dtype "
                f"{data.dtype}"
            )
        return data if dtype is None or data.dtype == dtype else data.astype(dtype)
    if isinstance(data, tensor.Tensor):
        return _to_array(data.data, dtype, op)
    from_tensors = isinstance(data, (list, tuple)) and bool(_tensors_inside(data))
    if from_tensors:
        data = _arrays_for_tensors(data, op)
    try:
        array = np.asarray(data)  # no dtype here: np.asarray(None, float) would be nan
    except ValueError as error:
        if "inhomogeneous" in str(error) or "sequence" in str(error):
            raise ValueError(
                f"{op}: nested lists must be rectangular, got a ragged (inhomogeneous) "
                f"list: {error}"
            ) from None
        raise
    _check_numeric(array, data, op)
    if dtype is not None:
        return array.astype(dtype, copy=False)
    if array.dtype == np.float64 and not (
        from_tensors or isinstance(data, np.generic) or _numpy_values_inside(data)
    ):
        array = array.astype(get_default_dtype())  # Python float / float list
    return array


def _plain_array(data: np.ndarray, op: str) -> np.ndarray:
    """An ndarray subclass as a plain ndarray: ``np.matrix`` would turn ``*`` into a
    matrix product and keep every result 2-D. A masked array's masked entries
    have no value to give, so they are refused rather than unmasked silently."""
    if isinstance(data, np.ma.MaskedArray) and np.ma.is_masked(data):
        raise ValueError(
            f"{op}: the masked array has masked entries, which have no value; fill "
            "them first (a.filled(value)) or drop them (a.compressed())"
        )
    return np.asarray(data)


def _numpy_values_inside(data: Any) -> bool:
    """True when nested lists/tuples hold NumPy values (``np.float64(1.0)``, arrays):
    they are strongly typed (NEP 50), so ``[np.float64(1)]`` stays float64 as in
    NumPy, while a list of Python floats takes the default float dtype."""
    if not isinstance(data, (list, tuple)):
        return False
    pending = [data]
    while pending:
        items = pending.pop()
        kinds = set(map(type, items))  # (one C-level pass per list)
        if any(issubclass(k, (np.generic, np.ndarray)) for k in kinds):
            return True
        if any(issubclass(k, (list, tuple)) for k in kinds):
            pending.extend(v for v in items if isinstance(v, (list, tuple)))
    return False


def _check_numeric(array: np.ndarray, data: Any, op: str) -> None:
    """TypeError unless ``array`` (made from ``data``) is bool, int or float."""
    kind = array.dtype.kind
    if kind in "biuf":
        return
    if kind == "c":
        raise TypeError(
            f"{op}: complex numbers are not supported, got {data!r}"
            if array.ndim == 0
            else f"{op}: complex numbers are not supported, got {array.dtype} data"
        )
    if kind in "USV":
        raise TypeError(f"{op}: expected numeric data, got {array.dtype} (text/bytes)")
    where = ""
    if array.ndim:
        odd = next((v for v in array.flat if not isinstance(v, (int, float))), None)
        where = f" holding {odd!r} ({type(odd).__name__})"
    raise TypeError(
        f"{op}: cannot make a numeric tensor from {type(data).__name__}{where}; pass "
        "numbers, nested lists of numbers or an ndarray"
    )


def _tensors_inside(data: list | tuple) -> list[tensor.Tensor]:
    """The Tensors found in nested lists/tuples (``[x, y]``, ``[[x], [y]]``)."""
    found, pending = [], [data]
    while pending:
        items = pending.pop()
        # the types first (one C-level pass): a list of numbers is done at once
        kinds = (list, tuple, tensor.Tensor)
        if not any(issubclass(k, kinds) for k in set(map(type, items))):
            continue
        for item in items:
            if isinstance(item, tensor.Tensor):
                found.append(item)
            elif isinstance(item, (list, tuple)):
                pending.append(item)
    return found


def _arrays_for_tensors(data: Any, op: str) -> Any:
    """``data`` with each Tensor replaced by its array; a Tensor that requires grad
    is refused, since a new Tensor is a leaf and its graph would be lost."""
    if isinstance(data, tensor.Tensor):
        if data.requires_grad:
            raise TypeError(
                f"{op}: the data holds Tensors that require grad, and a new Tensor is "
                "a leaf, so their graph would be dropped; use tg.stack([...]) to "
                "combine them and keep the graph (or .detach() them first)"
            )
        return data.data
    if isinstance(data, (list, tuple)):
        return [_arrays_for_tensors(item, op) for item in data]
    return data


def is_python_number(x: Any) -> bool:
    """True for a Python int or float: NEP 50's "weak" scalars, whose dtype comes from
    the array next to them. Not bool, and not NumPy's scalars (``np.float64`` is a
    ``float`` subclass, but strongly typed: ``float32_array * np.float64(2)`` is
    float64)."""
    return isinstance(x, (int, float)) and not isinstance(x, (bool, np.generic))


def number_array(x: int | float, strong: np.dtype) -> np.ndarray:
    """A Python number as the 0-d array NumPy 2 (NEP 50) would use next to an array of
    dtype ``strong``: the array's dtype when that keeps the number's kind (any number
    next to floats, an int next to ints), else NumPy's own (float64 for a float next
    to ints or bools: ``np.array([1, 2]) * 0.1`` is float64, exactly 0.1).

    >>> number_array(0.1, np.dtype(np.float32)).dtype
    dtype('float32')
    >>> number_array(0.1, np.dtype(np.int64)).dtype
    dtype('float64')
    """
    kind = strong.kind
    if kind == "f" or (kind in "iu" and isinstance(x, int)):
        return np.asarray(x, dtype=strong)  # out of an int's range: OverflowError
    return np.asarray(x)
