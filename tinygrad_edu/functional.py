"""Functional transforms: ``grad``, ``value_and_grad``, ``gradients``, as in JAX.

They turn a function of tensors into a function returning its gradient, on top of
the engine's one reverse sweep (``autograd.backpropagate``).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .autograd import GradLike, backpropagate, enable_grad
from .tensor import Tensor



def gradients(
    output: Tensor,
    inputs: Sequence[Tensor],
    grad_output: GradLike = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> list[Tensor]:
    """d output / d inputs as a list of Tensors, leaving every ``.grad`` untouched.

    The analogue of ``torch.autograd.grad``. ``inputs`` may be any tensors of the
    graph, leaves or not; an input the output does not depend on gets zeros.

    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor(3.0, requires_grad=True)
    >>> gradients(x * x, [x])[0].item()
    6.0
    """
    inputs = list(inputs)
    for x in inputs:
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError("gradients: every input must be a Tensor that requires grad")
    if retain_graph is None:
        retain_graph = create_graph
    return backpropagate(output, grad_output, retain_graph, create_graph, inputs)


def _as_argnums(argnums: int | Sequence[int]) -> tuple[tuple[int, ...], bool]:
    if isinstance(argnums, int):
        return (argnums,), True
    return tuple(argnums), False


def value_and_grad(fn: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """Like ``grad`` but the new function returns ``(fn(*args), gradient)``.

    >>> import tinygrad_edu as tg
    >>> value, g = tg.value_and_grad(lambda x: (x ** 2).sum())(tg.Tensor([1.0, 2.0]))
    >>> value.item(), g.tolist()
    (5.0, [2.0, 4.0])
    """
    positions, single = _as_argnums(argnums)

    def wrapped(*args: Any, **kwargs: Any):
        args = list(args)
        for i in positions:
            if not -len(args) <= i < len(args):
                raise ValueError(
                    f"grad: argnums {i} is out of range for a call with {len(args)} "
                    "positional argument(s)"
                )
        # nested grad(grad(f)): an argument already traced by an outer grad keeps its
        # graph, and we build the graph of our backward for the outer one to use
        nested = any(isinstance(args[i], Tensor) and args[i].requires_grad for i in positions)
        with enable_grad():
            leaves = []
            for i in positions:
                x = args[i]
                if isinstance(x, Tensor) and x.requires_grad:
                    leaves.append(x)
                else:
                    data = x.data if isinstance(x, Tensor) else np.asarray(x)
                    if data.dtype.kind != "f":
                        data = data.astype(_default_float())
                    leaves.append(Tensor(data, requires_grad=True))
                args[i] = leaves[-1]
            value = fn(*args, **kwargs)
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"grad: the function must return a Tensor, got {type(value).__name__}"
                )
            if value.size != 1:
                raise ValueError(
                    f"grad: the function must return a scalar, got shape {value.shape}; "
                    "reduce it (e.g. .sum()) or use Tensor.backward with a grad"
                )
            if value.requires_grad:
                found = gradients(value, leaves, create_graph=nested, retain_graph=nested)
            else:
                found = [Tensor(np.zeros(x.shape, dtype=x.dtype)) for x in leaves]
        if not nested:
            value = value.detach()
        return value, (found[0] if single else tuple(found))

    wrapped.__name__ = f"value_and_grad_{getattr(fn, '__name__', 'fn')}"
    return wrapped


def grad(fn: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """A function returning the gradient of scalar ``fn`` w.r.t. argument(s) ``argnums``.

    As in JAX / HIPS autograd; ``grad(grad(f))`` gives second derivatives.

    >>> import tinygrad_edu as tg
    >>> d2 = tg.grad(tg.grad(lambda x: x ** 3))
    >>> d2(tg.Tensor(2.0)).item()      # 6x
    12.0
    """
    value_and_gradient = value_and_grad(fn, argnums)

    def wrapped(*args: Any, **kwargs: Any):
        return value_and_gradient(*args, **kwargs)[1]

    wrapped.__name__ = f"grad_{getattr(fn, '__name__', 'fn')}"
    return wrapped


def _default_float():
    from .dtypes import get_default_dtype

    return get_default_dtype()
