"""Hypothesis strategies for property tests of tinygrad_edu code (yours or ours).

Thin, documented wrappers of ``hypothesis.extra.numpy``: shapes, broadcastable
shapes, finite float64 arrays, leaf Tensors, reduction axes and matmul shapes.
Nothing here changes hypothesis' settings; choose ``max_examples`` and friends in
your own ``conftest.py`` (this project's is in ``tests/``).

>>> from hypothesis import given
>>> from tinygrad_edu.testing import gradcheck
>>> from tinygrad_edu.testing.strategies import floats, tensors
>>> @given(tensors(elements=floats(-3, 3)))
... def test_tanh_gradient(x):
...     assert gradcheck(lambda t: t.tanh(), [x])
>>> test_tanh_gradient()

Read next: ``tests/ops/specs.py``, which drives every op's tests with these.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

try:
    import hypothesis.extra.numpy as hnp
    from hypothesis import strategies as st
except ImportError as error:  # hypothesis is a test-only dependency
    raise ImportError(
        "tinygrad_edu.testing.strategies needs hypothesis: "
        "pip install 'tinygrad-edu[test]'"
    ) from error

from ..tensor import Tensor

__all__ = [
    "shapes",
    "broadcastable_shapes",
    "floats",
    "elements_away_from",
    "arrays",
    "tensors",
    "broadcastable_tensors",
    "axes",
    "matmul_shapes",
]


# ---- shapes -------------------------------------------------------------------------


def shapes(
    *, min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4
) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes with ``min_dims..max_dims`` axes of ``min_side..max_side`` each.

    ``()`` (a 0-d array) is included when ``min_dims == 0``.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(shapes(min_dims=1, max_dims=2, max_side=3))
    ... def test(shape):
    ...     assert 1 <= len(shape) <= 2 and all(1 <= n <= 3 for n in shape)
    >>> test()
    """
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def broadcastable_shapes(
    shape: tuple[int, ...],
    *,
    min_dims: int = 0,
    max_dims: int = 3,
    min_side: int = 1,
    max_side: int = 4,
) -> st.SearchStrategy[tuple[int, ...]]:
    """Shapes that broadcast against ``shape``, e.g. ``(3, 1)`` for ``(2, 3, 4)``.

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given
    >>> @given(broadcastable_shapes((2, 3)))
    ... def test(other):
    ...     assert np.broadcast_shapes((2, 3), other)
    >>> test()
    """
    return hnp.broadcastable_shapes(
        shape,
        min_dims=min_dims,
        max_dims=max_dims,
        min_side=min_side,
        max_side=max_side,
    )


def matmul_shapes(
    *, max_batch_dims: int = 2, max_side: int = 4
) -> st.SearchStrategy[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Pairs ``(shape_a, shape_b)`` that ``np.matmul`` accepts.

    Covers 1-D operands (vector @ matrix, matrix @ vector, vector @ vector) and
    batched operands whose batch dimensions broadcast against each other; drawn
    from the gufunc signature ``(n?,k),(k,m?)->(n?,m?)``.

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given
    >>> @given(matmul_shapes())
    ... def test(pair):
    ...     a, b = pair
    ...     assert np.matmul(np.ones(a), np.ones(b)) is not None
    >>> test()
    """
    signature = hnp.mutually_broadcastable_shapes(
        signature="(n?,k),(k,m?)->(n?,m?)", max_dims=max_batch_dims, max_side=max_side
    )
    return signature.map(lambda shapes: tuple(shapes.input_shapes))


def axes(ndim: int) -> st.SearchStrategy[Any]:
    """A reduction ``axis`` argument for an ``ndim``-d array.

    ``None``, an int in ``[-ndim, ndim)`` or a non-empty tuple of distinct axes
    (each possibly negative). For ``ndim == 0`` only ``None``.

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given
    >>> @given(axes(3))
    ... def test(axis):
    ...     assert np.zeros((2, 3, 4)).sum(axis=axis) is not None
    >>> test()
    """
    if ndim == 0:
        return st.none()
    single = st.integers(-ndim, ndim - 1)
    # distinct axes first, then each one maybe written as its negative alias
    several = st.lists(
        st.tuples(st.integers(0, ndim - 1), st.booleans()),
        min_size=1,
        max_size=ndim,
        unique_by=lambda pair: pair[0],
    ).map(lambda pairs: tuple(a - ndim if negative else a for a, negative in pairs))
    return st.none() | single | several


# ---- values -------------------------------------------------------------------------


def floats(
    lo: float = -10.0, hi: float = 10.0, *, width: int = 64
) -> st.SearchStrategy[float]:
    """Finite floats in ``[lo, hi]``: no NaN, no infinity; ``width`` bits (64).

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(floats(-1, 1))
    ... def test(x):
    ...     assert -1 <= x <= 1
    >>> test()
    """
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=width)


def elements_away_from(
    points: Iterable[float],
    lo: float = -10.0,
    hi: float = 10.0,
    margin: float = 1e-3,
) -> st.SearchStrategy[float]:
    """Finite floats in ``[lo, hi]``, farther than ``margin`` from each of ``points``.

    For functions with kinks (``relu`` and ``abs`` at 0, ``clip`` at its bounds),
    where central differences straddling the kink disagree with any gradient.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(elements_away_from([0.0], -1, 1))
    ... def test(x):
    ...     assert abs(x) > 1e-3
    >>> test()
    """
    points = tuple(float(p) for p in points)
    return floats(lo, hi).filter(lambda x: all(abs(x - p) > margin for p in points))


def _default_elements(dtype: np.dtype) -> st.SearchStrategy[Any] | None:
    if dtype.kind == "f":
        return floats(width=8 * dtype.itemsize)
    return None  # hypothesis' own choice for ints and bools


def arrays(
    shape: Any = None,
    dtype: Any = np.float64,
    elements: st.SearchStrategy[Any] | None = None,
) -> st.SearchStrategy[np.ndarray]:
    """NumPy arrays of ``dtype``; floats are finite and in ``[-10, 10]`` by default.

    Parameters
    ----------
    shape : tuple or strategy of tuples, optional
        ``shapes()`` by default.
    dtype : dtype
        Of the array, float64 by default.
    elements : strategy, optional
        Of the values, e.g. ``floats(0.1, 10)`` for ``log``.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(arrays((2, 3), elements=floats(0, 1)))
    ... def test(a):
    ...     assert a.shape == (2, 3) and a.dtype == np.float64 and a.min() >= 0
    >>> test()
    """
    dtype = np.dtype(dtype)
    if shape is None:
        shape = shapes()
    if elements is None:
        elements = _default_elements(dtype)
    return hnp.arrays(dtype, shape, elements=elements)


def tensors(
    shape: Any = None,
    dtype: Any = np.float64,
    elements: st.SearchStrategy[Any] | None = None,
    requires_grad: bool = True,
) -> st.SearchStrategy[Tensor]:
    """Leaf Tensors wrapping ``arrays(shape, dtype, elements)``.

    Parameters
    ----------
    shape : tuple or strategy of tuples, optional
        ``shapes()`` by default.
    dtype : dtype
        Float64 by default; only floating dtypes may have ``requires_grad=True``.
    elements : strategy, optional
        Of the values; finite floats in ``[-10, 10]`` by default.
    requires_grad : bool
        Of the Tensors drawn.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(tensors(shape=(3,)))
    ... def test(x):
    ...     assert x.shape == (3,) and x.requires_grad and x.dtype == np.float64
    >>> test()
    """
    dtype = np.dtype(dtype)
    if requires_grad and dtype.kind != "f":
        raise TypeError(
            f"tensors: only floating tensors can require grad, got dtype {dtype}; "
            "pass requires_grad=False"
        )
    return arrays(shape, dtype, elements).map(
        lambda data: Tensor(data, requires_grad=requires_grad)
    )


@st.composite
def broadcastable_tensors(
    draw: Any,
    n: int = 2,
    *,
    elements: st.SearchStrategy[Any] | None = None,
    min_dims: int = 0,
    max_dims: int = 3,
    max_side: int = 4,
    requires_grad: bool = True,
) -> tuple[Tensor, ...]:
    """A tuple of ``n`` float64 leaf Tensors whose shapes broadcast together.

    The shapes come from ``mutually_broadcastable_shapes``, so size-1 and missing
    axes appear on either side, as in ``(3, 1)`` with ``(4,)``.

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given
    >>> @given(broadcastable_tensors(3, elements=floats(-1, 1)))
    ... def test(xyz):
    ...     assert len(xyz) == 3
    ...     assert np.broadcast_shapes(*(t.shape for t in xyz)) is not None
    >>> test()
    """
    shapes_ = draw(
        hnp.mutually_broadcastable_shapes(
            num_shapes=n, min_dims=min_dims, max_dims=max_dims, max_side=max_side
        )
    ).input_shapes
    return tuple(
        draw(tensors(shape, elements=elements, requires_grad=requires_grad))
        for shape in shapes_
    )
