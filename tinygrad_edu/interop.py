"""NumPy functions on Tensors (NEP 13 ``__array_ufunc__`` and NEP 18
``__array_function__``, as MyGrad does).

One table maps each NumPy ufunc or function that has a tinygrad_edu op to that op, so
``np.exp(t)``, ``np.sum(t, axis=0)``, ``np.concatenate([t, u])`` or ``ndarray + t``
return Tensors and record the graph. The rules:

- in the table: the op runs (Tensor in, Tensor out, graph recorded);
- ``ON_DATA`` in the table (questions about values: ``np.shape``, ``np.allclose``,
  ...): NumPy answers them on the arrays, as plain NumPy results;
- a ufunc writing into an ndarray ``out=`` computes on plain arrays: that is what
  ``w.data -= lr * w.grad`` means (an in-place ndarray update, no graph);
- anything else raises ``TypeError`` naming the NumPy function and pointing at
  ``t.data``, rather than silently dropping the gradient.

``np.asarray(t)`` is ``t.data`` (``Tensor.__array__``, no graph).

Read next: ``docs/numpy.md`` (the user's view of the same rules).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import ops
from .creation import ones_like, zeros_like
from .ops.arrange import linspace
from .ops.nograd import no_grad_result
from .tensor import Tensor, _tracing

#: the table's marker for functions answered on the arrays (no graph, NumPy results)
ON_DATA = "on data"


def _arrays(value: Any) -> Any:
    """Tensors replaced by their arrays, also inside lists and tuples."""
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, (list, tuple)):
        return type(value)(_arrays(v) for v in value)
    return value


def no_grad_ufunc(ufunc: np.ufunc, *inputs: Any) -> Tensor:
    """``ufunc`` on the inputs, as a Tensor without a graph: how the NumPy surface
    makes results that have no gradient (tests like isnan, logic and bitwise ops on
    bool/int tensors, ``//``). One op (``no_grad_result``), so a compiled function
    computes it again at every call; numbers take NumPy 2's dtypes as in any op.

    >>> import numpy as np, tinygrad_edu as tg
    >>> no_grad_ufunc(np.invert, tg.Tensor([True, False])).tolist()
    [False, True]
    """
    return no_grad_result(ufunc.__name__, ufunc, *inputs)


def _no_grad(ufunc: np.ufunc) -> Callable[..., Tensor]:
    """``no_grad_ufunc`` for ``ufunc``, as the table needs it (a function of the
    inputs)."""

    def on_arrays(*inputs: Any) -> Tensor:
        return no_grad_ufunc(ufunc, *inputs)

    return on_arrays


def _transpose(a: Any, axes: Any = None) -> Tensor:
    return ops.transpose(a) if axes is None else ops.transpose(a, *axes)


def _reshape(a: Any, shape: Any) -> Tensor:
    return ops.reshape(a, shape)


def _clip(a: Any, a_min: Any = None, a_max: Any = None) -> Tensor:
    return ops.clip(a, a_min, a_max)


def _pad(
    array: Any, pad_width: Any, mode: str = "constant", constant_values: float = 0.0
):
    if mode != "constant":
        raise ValueError(
            f"pad: only mode='constant' has a tinygrad_edu op, got {mode!r}"
        )
    return ops.pad(array, pad_width, constant_values)


def _reduce(op: Callable) -> Callable[..., Tensor]:
    """``ufunc.reduce(x, axis=0, keepdims=False)``: ufunc.reduce's default axis is 0."""

    def reduce(x: Any, axis: Any = 0, keepdims: bool = False) -> Tensor:
        return op(x, axis, keepdims)

    return reduce


def _accumulate(op: Callable) -> Callable[..., Tensor]:
    def accumulate(x: Any, axis: int = 0) -> Tensor:
        return op(x, axis)

    return accumulate


# NumPy ufunc / function (ufunc methods other than __call__: (ufunc, method)) → op
# fmt: off
TABLE: dict[Any, Any] = {
    # ---- arithmetic ufuncs ----
    np.add: ops.add, np.subtract: ops.subtract, np.multiply: ops.multiply,
    np.divide: ops.divide, np.power: ops.power, np.negative: ops.negative,
    np.positive: Tensor.__pos__, np.matmul: ops.matmul, np.mod: ops.mod,
    np.fmod: ops.fmod, np.maximum: ops.maximum, np.minimum: ops.minimum,
    np.fmax: ops.fmax, np.fmin: ops.fmin,
    # ---- elementwise math ufuncs ----
    np.exp: ops.exp, np.exp2: ops.exp2, np.expm1: ops.expm1, np.log: ops.log,
    np.log2: ops.log2, np.log10: ops.log10, np.log1p: ops.log1p,
    np.logaddexp: ops.logaddexp, np.sqrt: ops.sqrt, np.square: ops.square,
    np.absolute: ops.abs, np.sign: ops.sign, np.floor: ops.floor, np.ceil: ops.ceil,
    np.trunc: ops.trunc, np.rint: ops.round, np.sin: ops.sin, np.cos: ops.cos,
    np.tan: ops.tan, np.arcsin: ops.arcsin, np.arccos: ops.arccos,
    np.arctan: ops.arctan, np.arctan2: ops.arctan2, np.hypot: ops.hypot,
    np.sinh: ops.sinh, np.cosh: ops.cosh, np.tanh: ops.tanh, np.arcsinh: ops.arcsinh,
    np.arccosh: ops.arccosh, np.arctanh: ops.arctanh,
    # ---- comparisons and tests: boolean results, no graph ----
    np.less: ops.less, np.less_equal: ops.less_equal, np.greater: ops.greater,
    np.greater_equal: ops.greater_equal, np.equal: ops.equal,
    np.not_equal: ops.not_equal, np.isnan: _no_grad(np.isnan),
    np.isfinite: _no_grad(np.isfinite), np.isinf: _no_grad(np.isinf),
    np.signbit: _no_grad(np.signbit), np.logical_not: _no_grad(np.logical_not),
    np.logical_and: _no_grad(np.logical_and), np.logical_or: _no_grad(np.logical_or),
    np.logical_xor: _no_grad(np.logical_xor), np.invert: _no_grad(np.invert),
    np.bitwise_and: _no_grad(np.bitwise_and), np.bitwise_or: _no_grad(np.bitwise_or),
    np.bitwise_xor: _no_grad(np.bitwise_xor),
    np.floor_divide: _no_grad(np.floor_divide),
    # ---- ufunc methods ----
    (np.add, "reduce"): _reduce(ops.sum), (np.multiply, "reduce"): _reduce(ops.prod),
    (np.maximum, "reduce"): _reduce(ops.max), (np.minimum, "reduce"): _reduce(ops.min),
    (np.add, "accumulate"): _accumulate(ops.cumsum),
    (np.multiply, "accumulate"): _accumulate(ops.cumprod),
    # ---- reductions ----
    np.sum: ops.sum, np.mean: ops.mean, np.max: ops.max, np.amax: ops.max,
    np.min: ops.min, np.amin: ops.min, np.prod: ops.prod, np.var: ops.var,
    np.std: ops.std, np.argmax: ops.argmax, np.argmin: ops.argmin,
    np.cumsum: ops.cumsum, np.cumprod: ops.cumprod, np.diff: ops.diff,
    # ---- other elementwise functions ----
    np.where: ops.where, np.clip: _clip, np.round: ops.round, np.around: ops.round,
    np.nan_to_num: ops.nan_to_num, np.sinc: ops.sinc,
    # ---- shape and arrangement ----
    np.reshape: _reshape, np.transpose: _transpose, np.swapaxes: ops.swapaxes,
    np.squeeze: ops.squeeze, np.expand_dims: ops.expand_dims,
    np.broadcast_to: ops.broadcast_to, np.concatenate: ops.concatenate,
    np.stack: ops.stack, np.pad: _pad, np.ravel: ops.ravel, np.moveaxis: ops.moveaxis,
    np.sort: ops.sort, np.tile: ops.tile, np.repeat: ops.repeat, np.roll: ops.roll,
    np.flip: ops.flip, np.fliplr: ops.fliplr, np.flipud: ops.flipud,
    np.rot90: ops.rot90, np.tril: ops.tril, np.triu: ops.triu, np.split: ops.split,
    np.array_split: ops.array_split, np.hsplit: ops.hsplit, np.vsplit: ops.vsplit,
    np.dsplit: ops.dsplit, np.append: ops.append, np.hstack: ops.hstack,
    np.vstack: ops.vstack, np.dstack: ops.dstack, np.column_stack: ops.column_stack,
    np.atleast_1d: ops.atleast_1d, np.atleast_2d: ops.atleast_2d,
    np.atleast_3d: ops.atleast_3d,
    # ---- products ----
    np.dot: ops.dot, np.inner: ops.inner, np.outer: ops.outer,
    np.tensordot: ops.tensordot, np.einsum: ops.einsum, np.cross: ops.cross,
    np.kron: ops.kron, np.trace: ops.trace, np.diagonal: ops.diagonal,
    np.diag: ops.diag,
    # ---- creation from a Tensor's shape or values (no graph) ----
    np.zeros_like: zeros_like, np.ones_like: ones_like, np.linspace: linspace,
    # ---- questions about values: answered by NumPy on the arrays ----
    np.shape: ON_DATA, np.ndim: ON_DATA, np.size: ON_DATA, np.copy: ON_DATA,
    np.allclose: ON_DATA, np.isclose: ON_DATA, np.array_equal: ON_DATA,
    np.array_equiv: ON_DATA, np.count_nonzero: ON_DATA, np.nonzero: ON_DATA,
    np.argsort: ON_DATA, np.any: ON_DATA, np.all: ON_DATA, np.iscomplexobj: ON_DATA,
    np.isrealobj: ON_DATA, np.may_share_memory: ON_DATA, np.shares_memory: ON_DATA,
}
# fmt: on


def _public_name(func: Any) -> str:
    """Where a NumPy function lives, as users spell it: ``numpy.linalg.norm``,
    ``numpy.sum`` (ufuncs have no module: ``numpy.exp``)."""
    module = getattr(func, "__module__", None) or "numpy"
    return f"{module}.{getattr(func, '__qualname__', func.__name__)}"


def _no_op_error(name: str) -> TypeError:
    """``name``: the full name (``numpy.linalg.norm``)."""
    return TypeError(
        f"{name} has no tinygrad_edu op, so it cannot record a graph on a Tensor; "
        f"call it on the array, {name}(t.data), if you need no gradient "
        "(see docs/numpy.md for the functions that work on Tensors)"
    )


def _call(op: Any, name: str, args: Any, kwargs: dict) -> Any:
    """Run the op; a NumPy keyword that the op lacks becomes an error naming both."""
    try:
        return op(*args, **kwargs)
    except TypeError as error:
        if "argument" not in str(error):
            raise
        raise TypeError(
            f"{name} on a Tensor: {error} (the tinygrad_edu op takes NumPy's "
            "axis/keepdims-style arguments but no out=, dtype=, where=)"
        ) from None


def array_ufunc(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
    """``Tensor.__array_ufunc__``: a ufunc called with at least one Tensor."""
    out = kwargs.get("out")
    if out is not None:
        if any(isinstance(o, Tensor) for o in out):
            raise TypeError(
                f"numpy.{ufunc.__name__}: out= cannot be a Tensor (it would change the "
                "tensor behind autograd's back); write into its array, out=t.data"
            )
        if _tracing.refuse is not None:  # (compile would not see this write)
            _tracing.refuse(f"numpy.{ufunc.__name__}(..., out=array) on a Tensor")
        # an ndarray receives the result: plain arrays in, no graph (w.data -= lr * g)
        return getattr(ufunc, method)(*_arrays(inputs), **kwargs)
    name = f"numpy.{ufunc.__name__}"
    name = name if method == "__call__" else f"{name}.{method}"
    op = TABLE.get(ufunc if method == "__call__" else (ufunc, method))
    if op is None:
        raise _no_op_error(name)
    return _call(op, name, inputs, kwargs)


def array_function(func: Callable, types: tuple, args: tuple, kwargs: dict) -> Any:
    """``Tensor.__array_function__``: a NumPy function called with a Tensor argument."""
    if not all(issubclass(t, (Tensor, np.ndarray)) for t in types):
        return NotImplemented  # another library's array type: let it answer
    op = TABLE.get(func)
    if op is None:
        raise _no_op_error(_public_name(func))
    if op is ON_DATA:
        return func(*_arrays(args), **{k: _arrays(v) for k, v in kwargs.items()})
    return _call(op, _public_name(func), args, kwargs)
