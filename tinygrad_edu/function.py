"""The op base class ``Function``, what ``grad_fn`` shows (``Node``), a stand-alone
``Context``, and the checks the engine makes on a user-written op (its ctx names,
its backward's results). Re-exported by ``autograd``: ``from .autograd import
Function`` works as before.

``Function.apply`` is ``autograd.apply``, so this module is imported at the end of
autograd.py, once ``apply`` exists.

Read next: ``ops/binary.py``.
"""

from __future__ import annotations

import weakref
from typing import Any, ClassVar, Sequence

import numpy as np

from .autograd import apply
from .tensor import Tensor


class Function:
    """Base class of every differentiable op: subclass it to write your own.

    ``forward(ctx, *arrays, **params)`` and ``backward(ctx, grad)`` are static methods
    on NumPy arrays; backward returns one gradient per input (``None`` for an input
    that needs none; a bare array for a single input). ``ctx`` is the op's output
    tensor, which carries the op's record: ``ctx.save_for_backward(...)``,
    ``ctx.saved_tensors``, ``ctx.needs_input_grad``, ``ctx.inputs``, and any attribute
    you set (``ctx.axis = axis``) -- except names a Tensor already has (``shape``,
    ``data``, ``grad``, ``name``, ...).

    >>> import numpy as np, tinygrad_edu as tg
    >>> class Cube(tg.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved_tensors
    ...         return grad * 3 * x ** 2
    >>> x = tg.Tensor([2.0], requires_grad=True)
    >>> Cube.apply(x).backward(np.ones(1)); x.grad
    Tensor([12.], dtype=float32)
    """

    #: True for the built-ins: backward works on arrays *and* on Tensors (create_graph)
    differentiable_backward: ClassVar[bool] = False
    #: the op's public name, used in error messages and graph pictures
    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("name"):
            cls.name = cls.__name__.lower()

    @staticmethod
    def forward(ctx: Any, *args: Any, **params: Any) -> np.ndarray:
        raise NotImplementedError("abstract: a Function subclass defines forward")

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        raise NotImplementedError("abstract: a Function subclass defines backward")

    apply = classmethod(apply)  # the module-level apply above: Op.apply(*inputs)

    @classmethod
    def explain_error(cls, error: Exception, tensors: Sequence[Tensor], params: dict):
        """The error to raise for a forward's NumPy error: a plain TypeError,
        ValueError or IndexError (the same kind) naming the op, shapes and dtypes.
        ``apply`` chains it to the original (``raise ... from error``)."""
        return explain_numpy_error(cls.name, error, tensors, params)


def explain_numpy_error(
    name: str, error: Exception, operands: Sequence[Any], params: dict | None = None
) -> Exception:
    """NumPy's ``error`` from op ``name`` as a plain TypeError, ValueError or
    IndexError (the same kind; else RuntimeError) naming the op and its operands'
    shapes and dtypes (Tensors or arrays). A plain class, because some of NumPy's
    (``_UFuncOutputCastingError``) cannot be made again from a message."""
    if str(error).startswith(f"{name}:"):
        return error  # our own check already said it all
    shapes = ", ".join(str(x.shape) for x in operands)
    dtypes = ", ".join(str(x.dtype) for x in operands)
    extra = f" with {params}" if params else ""
    message = (
        f"{name}: cannot apply to shapes {shapes} (dtypes {dtypes}){extra}: {error}"
    )
    kind = next(
        (k for k in (TypeError, ValueError, IndexError) if isinstance(error, k)),
        RuntimeError,
    )
    return kind(message)


class Node:
    """What ``t.grad_fn`` answers for a tensor made by an op: a handle on the record
    that ``t`` itself carries (``name``, ``inputs``, ``params``, ``saved_tensors``,
    ``freed``, user attributes ...), usable as ``ctx`` for the op's forward/backward
    (viz does). Made on first access and kept in ``t``, so ``id(t.grad_fn)`` is
    stable; it holds ``t`` weakly (no reference cycle) but its op and inputs
    strongly, so ``(x * 2).grad_fn.inputs`` works after the product is gone."""

    __slots__ = ("fn", "inputs", "_params", "_ref", "__weakref__")

    def __init__(self, tensor: Tensor) -> None:
        set_slot = object.__setattr__
        set_slot(self, "fn", tensor._fn)
        set_slot(self, "inputs", tensor._inputs)
        set_slot(self, "_params", tensor._params)
        set_slot(self, "_ref", weakref.ref(tensor))

    @property
    def name(self) -> str:
        return self.fn.name

    @property
    def params(self) -> dict:
        """The op's keyword parameters (a fresh dict: changing it changes nothing)."""
        return dict(self._params or {})

    @property
    def tensor(self) -> Tensor:
        """The tensor that carries this record (the op's output)."""
        t = self._ref()
        if t is None:
            raise RuntimeError(
                f"grad_fn <{self.name}>: its output tensor no longer exists; only "
                ".name, .inputs and .params remain"
            )
        return t

    @property
    def freed(self) -> bool:
        return self.tensor._saved is None

    @property
    def stamp(self) -> int:
        return self.tensor._stamp

    @property
    def tensor_mode(self) -> bool:
        """True while backward runs on Tensors (create_graph): ctx.out is then t."""
        t = self.tensor
        return t._out is t

    def __getattr__(self, attr: str) -> Any:  # the rest of the ctx API, user attributes
        return getattr(self.tensor, attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        if attr != "tensor_mode":  # (derived from out)
            setattr(self.tensor, attr, value)

    def __repr__(self) -> str:
        return f"<{self.name}>"


class Context:
    """A stand-alone ctx, to call an op's forward or backward outside the engine
    (viz does, for numerical derivatives). Inside the engine, ctx is the output
    tensor; this class offers the same ``save_for_backward`` / ``saved_tensors``."""

    saved_tensors: tuple = ()

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays for backward."""
        self.saved_tensors = arrays

    @property
    def name(self) -> str:
        return self.fn.name

    @property
    def params(self) -> dict:
        return {}  # (a fresh dict each time: never shared between contexts)


# ==== checks on a user-written op (autograd calls them) ===============================


def _user_backward(t: Tensor, grad: Any, create_graph: bool) -> tuple:
    """A user Function's backward works on arrays and may return arrays, Tensors,
    numbers or None: check each against its input."""
    fn, inputs = t._fn, t._inputs
    if create_graph:
        raise RuntimeError(
            f"{fn.name}.backward works on NumPy arrays, so it cannot be "
            "differentiated; create_graph=True is unsupported through it"
        )
    result = fn.backward(t, np.ascontiguousarray(grad))  # (ctx.out: t's array)
    if not isinstance(result, (tuple, list)):
        result = (result,)
    if len(result) != len(inputs):
        raise RuntimeError(
            f"{fn.name}.backward returned {len(result)} gradients for "
            f"{len(inputs)} inputs"
        )
    checked = []
    for i, (x, g) in enumerate(zip(inputs, result)):
        if g is not None:
            g = np.asarray(g.data if isinstance(g, Tensor) else g, dtype=x.dtype)
            try:
                np.broadcast_shapes(g.shape, x.shape)
            except ValueError:
                raise RuntimeError(
                    f"{fn.name}.backward returned a gradient of shape {g.shape} for "
                    f"input {i} of shape {x.shape}"
                ) from None
        checked.append(g)
    return tuple(checked)


def _check_ctx_names(fn: type, out: Tensor) -> None:
    """A user forward's ``ctx.sum = ...`` would hide ``Tensor.sum`` on the output."""
    for name in out.__dict__:
        if hasattr(Tensor, name) and name not in ("_grad", "name"):
            _raise_ctx_name(fn, f"ctx.{name} would hide Tensor.{name}", None)


def _raise_ctx_name(fn: type, problem: str, error: Exception | None) -> None:
    raise AttributeError(
        f"{fn.name}.forward: {problem}; ctx is the op's output tensor, so attributes "
        "set on it must not reuse a Tensor name (shape, data, sum, ...): pick another "
        "(e.g. ctx.in_shape)"
    ) from error
