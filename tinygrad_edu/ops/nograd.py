"""Results without a gradient: comparisons, argmax, masks, running statistics.

They are not differentiable, but they are computed from tensors' values, so
``tinygrad_edu.compile`` must compute them again from each call's values. The
recorder sees what runs through ``apply``, and nothing else: a mask made with
``np.isnan(x.data)`` would be recorded as a constant, frozen at its first value.
So every such result in the library is made by ``no_grad_result``: one op,
``NoGrad``, whose forward runs the given NumPy computation on the inputs' arrays,
applied with grad mode off (it records no graph, as a comparison should not).

Read next: ``ops/binary.py`` (the comparisons use it).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd import Function, no_grad
from ..tensor import Tensor, as_tensor


class NoGrad(Function):
    """out = compute(*arrays) -- any NumPy computation on the inputs' arrays; no
    gradient. ``name`` says what it is (``greater``, ``argmax``, ...), in errors and
    in a compiled function's plan."""

    name = "no_grad"

    @staticmethod
    def forward(
        ctx: Any, *arrays: np.ndarray, compute: Callable, name: str
    ) -> np.ndarray:
        return compute(*arrays)

    @classmethod
    def explain_error(cls, error: Exception, tensors: Any, params: dict) -> Exception:
        name = params["name"]
        if str(error).startswith(f"{name}:"):
            return error
        shapes = " and ".join(str(t.shape) for t in tensors)
        if isinstance(error, ValueError) and len(tensors) == 2:
            return ValueError(f"{name}: shapes {shapes} cannot be broadcast together")
        if not isinstance(error, (TypeError, ValueError)):
            return error
        dtypes = ", ".join(str(t.dtype) for t in tensors)
        kind = TypeError if isinstance(error, TypeError) else ValueError
        return kind(f"{name}: cannot apply to shapes {shapes} (dtypes {dtypes}): {error}")


def no_grad_result(name: str, compute: Callable, *inputs: Tensor) -> Tensor:
    """``compute(*arrays)`` of the inputs as a Tensor without a graph, made by an op
    (so a compiled function replays it with each call's values).

    >>> import numpy as np, tinygrad_edu as tg
    >>> no_grad_result("isnan", np.isnan, tg.Tensor([1.0, float("nan")])).tolist()
    [False, True]
    """
    with no_grad():
        return NoGrad.apply(*inputs, compute=compute, name=name)


def all(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Whether every element (over ``axis``) is true: a bool tensor without a
    gradient, as ``np.all``.

    >>> import tinygrad_edu as tg
    >>> tg.Tensor([[1.0, 0.0], [2.0, 3.0]]).all(axis=1).tolist()
    [False, True]
    """
    return no_grad_result(
        "all", lambda a: np.asarray(a.all(axis=axis, keepdims=keepdims)), as_tensor(x)
    )


def any(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Whether some element (over ``axis``) is true: a bool tensor without a
    gradient, as ``np.any``."""
    return no_grad_result(
        "any", lambda a: np.asarray(a.any(axis=axis, keepdims=keepdims)), as_tensor(x)
    )
