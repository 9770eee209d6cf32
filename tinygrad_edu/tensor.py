"""Tensor: a NumPy array that remembers how it was made.

This file holds storage, properties, the autograd entry points, the op record that
serves as ctx, and in-place changes; how data becomes its array (the dtype rules) is
in convert.py. It has no math: the operator
dunders and op methods, one-line calls into ``tinygrad_edu.ops`` (where each op's
forward and backward sit side by side), are inherited from ``TensorMethods``
(tensor_methods.py); the creation functions live in creation.py.

Read next: ``tensor_methods.py``, then ``autograd.py`` (the graph and the backward
engine).
"""

from __future__ import annotations

import operator
import threading
from typing import Any, Callable, Iterator, Sequence, Union

import numpy as np

from .convert import _tensors_inside, _to_array, is_python_number, number_array
from .tensor_methods import TensorMethods

TensorLike = Union["Tensor", np.ndarray, float, int, bool, Sequence]


def _grad_flag(value: Any, op: str) -> bool:
    """A ``requires_grad`` argument as a bool: True, False or NumPy's bool (None means
    False); anything else is a TypeError naming ``op`` (an array's truth value would
    be ambiguous, a number is a likely mix-up of arguments)."""
    if value is None:
        return False
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(
        f"{op}: requires_grad must be a bool (True or False), got "
        f"{type(value).__name__} {value!r}"
    )


def _raise_bad_grad(t: Tensor, value: Any) -> None:
    """Why ``value`` cannot be ``t.grad`` (PyTorch's rules and exception types)."""
    if not isinstance(value, Tensor):
        raise TypeError(
            f"grad: an assigned grad must be a Tensor or None, got "
            f"{type(value).__name__}; wrap an array as Tensor(array)"
        )
    if value.shape != t.shape:
        raise RuntimeError(
            f"grad: the assigned grad has shape {value.shape}, but the tensor has "
            f"shape {t.shape}; they must match (a gradient is never broadcast)"
        )
    raise TypeError(
        f"grad: the assigned grad has dtype {value.dtype}, but the tensor has dtype "
        f"{t.dtype}; convert it first (grad.astype(np.{t.dtype}))"
    )


class _Tracing(threading.local):
    """Per thread: while tinygrad_edu.compile traces a call, ``refuse(call)`` raises
    for a method that would read a traced value into Python (its value would be
    frozen into the recording)."""

    refuse: Callable[[str], None] | None = None


_tracing = _Tracing()


def _shape_arg(shape: tuple, op: str) -> tuple[int, ...]:
    """zeros(2, 3), zeros((2, 3)) and zeros([2, 3]) mean the same. Every size must
    be an integer: a float (2.9) or a bool is a TypeError, never truncated."""
    first = shape[0] if len(shape) == 1 else None
    if isinstance(first, (tuple, list)) or (
        isinstance(first, np.ndarray) and first.ndim
    ):
        shape = tuple(first)  # a 0-d array is one size, as in NumPy
    sizes = []
    for n in shape:
        try:
            if isinstance(n, (bool, np.bool_)):
                raise TypeError
            sizes.append(operator.index(n))
        except TypeError:
            raise TypeError(
                f"{op}: a shape is a sequence of ints, got {n!r} in {shape!r}"
            ) from None
    return tuple(sizes)


class Tensor(TensorMethods):
    """An n-dimensional array with automatic differentiation.

    >>> import tinygrad_edu as tg
    >>> x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    Tensor([2., 4., 6.], dtype=float32)
    """

    # A tensor made by an op that records the graph carries that op's record in these
    # slots (autograd.apply writes them; the tensor *is* the graph node and the ctx of
    # forward/backward): _fn the Function class (None for a leaf), _inputs the input
    # tensors, _saved what forward saved (None once backward freed it), _needs which
    # inputs want a gradient, _stamp the in-place clock when it ran, _out the tensor
    # itself while a create_graph backward runs (ctx.out then shows the Tensor, else
    # the array); _grad_acc sums the gradient during backward. The
    # rest are class-level defaults that an instance overrides only when it needs
    # to: a grad (_grad, behind the checked ``grad`` property), a name, the op's
    # keyword parameters (_params), the storage's version cell (_vc, shared with
    # every alias: see autograd.mark_modified).
    __slots__ = (
        "data", "_requires_grad", "_fn", "_inputs", "_saved", "_needs", "_stamp",
        "_out", "_grad_acc", "__dict__", "__weakref__",
    )
    _grad: "Tensor | None" = None
    name: "str | None" = None
    _params: "dict | None" = None
    _vc: "list[int] | None" = None
    _hooks: tuple = ()
    _retains_grad = False
    _watched = False  # has hooks or retains grad: backward must stop by

    # NumPy functions and ufuncs on Tensors: __array_ufunc__ / __array_function__ in
    # tensor_methods.py's "NumPy surface" section (NEP 13 / NEP 18, via interop.py)

    def __init__(
        self,
        data: TensorLike,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ) -> None:
        self.data = _to_array(data, None if dtype is None else np.dtype(dtype))
        self._requires_grad, self._fn, self._grad_acc = False, None, None
        if isinstance(data, Tensor) and self.data is data.data:
            autograd.share_version(self, data)  # Tensor(t) aliases t's storage
        if name is not None:
            self.name = name
        if requires_grad is not False and requires_grad is not None:
            self.requires_grad_(_grad_flag(requires_grad, "Tensor"))

    @classmethod
    def _from_array(cls, data: np.ndarray) -> Tensor:
        """The hot path: wrap an array that is known to be fine (no checks, no copy)."""
        t = object.__new__(Tensor)
        t.data, t._requires_grad, t._fn, t._grad_acc = data, False, None, None
        return t

    # ---- properties ----------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors the user made (no grad_fn), as in PyTorch."""
        return self._fn is None

    @property
    def grad_fn(self) -> autograd.Node | None:
        """The op that made this tensor (``.name``, ``.inputs``); None for a leaf."""
        if self._fn is None:
            return None
        node = self.__dict__.get("_node")
        if node is None:
            node = self.__dict__["_node"] = autograd.Node(self)
        return node

    @property
    def T(self) -> Tensor:
        return ops.transpose(self)

    @property
    def requires_grad(self) -> bool:
        """Whether backward computes a gradient for this tensor. Assigning it is
        ``requires_grad_(flag)``, checked as in PyTorch (only floating tensors can
        require grad; a non-leaf cannot stop: ``.detach()`` it). The engine reads
        and writes the slot ``_requires_grad`` itself (no property on its hot
        path)."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    @property
    def grad(self) -> Tensor | None:
        """The gradient backward accumulated (a Tensor of this shape and dtype), or
        None.

        Assigning it is checked, as in PyTorch: None, or a Tensor of exactly this
        shape (else RuntimeError) and dtype (else TypeError); anything else, an
        ndarray too, is a TypeError (wrap it: ``Tensor(array)``).
        """
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if _tracing.refuse is not None:  # (compile could not replay the assignment)
            _tracing.refuse(".grad = ... (assigning a gradient)")
        if value is not None and not (
            isinstance(value, Tensor)
            and value.data.shape == self.data.shape
            and value.data.dtype == self.data.dtype
        ):
            _raise_bad_grad(self, value)
        self._grad = value

    # ---- conversion ----------------------------------------------------------

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        if _tracing.refuse is not None:
            _tracing.refuse("numpy()")
        return self.data

    def item(self) -> float | int | bool:
        if _tracing.refuse is not None:
            _tracing.refuse("item()")
        if self.data.size != 1:
            raise ValueError(
                "item: only a one-element tensor converts to a Python scalar, got "
                f"shape {self.shape}"
            )
        return self.data.item()

    def tolist(self) -> Any:
        if _tracing.refuse is not None:
            _tracing.refuse("tolist()")
        return self.data.tolist()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """NumPy's protocol: ``np.asarray(t)`` is ``t.data`` itself (copy=None: no
        copy needed), ``np.array(t)`` a copy (NumPy 2 passes copy=True); copy=False
        raises ValueError when a dtype change would need a copy, as NumPy documents."""
        if _tracing.refuse is not None:
            _tracing.refuse("np.asarray() / np.array() (the tensor's values)")
        data = self.data
        if dtype is not None and np.dtype(dtype) != data.dtype:
            if copy is False:
                raise ValueError(
                    f"__array__: converting {data.dtype} to {np.dtype(dtype)} needs a "
                    "copy, but copy=False was requested"
                )
            return data.astype(dtype)
        return data.copy() if copy else data

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        if _tracing.refuse is not None:
            _tracing.refuse("bool() (an `if` or `while` on a tensor)")
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.data)

    def __contains__(self, value: Any) -> bool:
        """``v in t``: whether any element equals v (NumPy's ``(t == v).any()``)."""
        if _tracing.refuse is not None:
            _tracing.refuse("`in` (a membership test on a tensor)")
        value = value.data if isinstance(value, Tensor) else value
        return bool((self.data == value).any())

    def __format__(self, format_spec: str) -> str:
        """``f"{t:.2f}"`` formats the value of a one-element tensor (as torch does for
        0-d); without a spec, any tensor formats as ``str(t)``."""
        if not format_spec:
            return str(self)
        if self.data.size != 1:
            raise TypeError(
                f"format: only a one-element tensor takes a format spec "
                f"({format_spec!r}), got shape {self.shape}; format t.tolist() or "
                "its elements"
            )
        return format(self.item(), format_spec)

    def __float__(self) -> float:
        if _tracing.refuse is not None:
            _tracing.refuse("float()")
        return float(self.item())

    def __int__(self) -> int:
        if _tracing.refuse is not None:
            _tracing.refuse("int()")
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer scalar tensors can be used as an index")
        return int(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extras = [f"dtype={self.dtype}"]
        if self._fn is not None:
            extras.append(f"grad_fn=<{self._fn.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return f"Tensor({body}, {', '.join(extras)})"

    # ---- autograd ------------------------------------------------------------

    def backward(
        self,
        grad: TensorLike | None = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
    ) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        ``grad`` (the upstream gradient) is required when self is not a scalar.
        ``create_graph=True`` records the backward pass too (gradients of gradients);
        ``retain_graph`` defaults to ``create_graph``, as in PyTorch.
        """
        if retain_graph is None:
            retain_graph = create_graph
        autograd.backpropagate(self, grad, retain_graph, create_graph)

    def detach(self) -> Tensor:
        """The same data (shared, with its in-place version counter), cut from the
        graph."""
        t = Tensor._from_array(self.data)
        autograd.share_version(t, self)
        return t

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set requires_grad in place (only floating tensors can require grad)."""
        if type(requires_grad) is not bool:
            requires_grad = _grad_flag(requires_grad, "requires_grad_")
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                "only floating-point tensors can require grad, got dtype "
                f"{self.dtype}; make it with float data (e.g. Tensor([1.0, 2.0], "
                "requires_grad=True) or dtype=np.float32)"
            )
        if not requires_grad and self._fn is not None:
            raise RuntimeError(
                "requires_grad_(False) on a non-leaf tensor; use .detach() instead"
            )
        self._requires_grad = requires_grad
        return self

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (sets ``.grad`` to None)."""
        self.grad = None

    def register_hook(
        self, hook: Callable[[Tensor], Tensor | None]
    ) -> Callable[[], None]:
        """Call ``hook(grad)`` when this tensor's gradient is known; it may return a
        replacement.

        Returns a function that removes the hook.
        """
        if not callable(hook):
            raise TypeError(
                f"register_hook: the hook must be callable (hook(grad) -> Tensor or "
                f"None), got {type(hook).__name__} {hook!r}"
            )
        if not self.requires_grad:
            raise RuntimeError("register_hook: the tensor does not require grad")
        self._hooks = (*self._hooks, hook)
        self._watched = True

        def remove() -> None:
            self._hooks = tuple(h for h in self._hooks if h is not hook)

        return remove

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: the tensor does not require grad")
        self._retains_grad = self._watched = True

    # ---- the op record as ctx: what forward and backward read and write ------------

    def save_for_backward(self, *arrays: Any) -> None:
        """(ctx API) Keep arrays for backward; freed after backward unless
        retain_graph."""
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple | None:
        """(ctx API) What forward saved; None once backward has freed it."""
        return self._saved if self._fn is not None else ()

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        """(ctx API) One bool per input of the op that made this tensor."""
        return self._needs if self._fn is not None else ()

    @property
    def inputs(self) -> tuple:
        """(ctx API) The input tensors of the op that made this tensor (() for a
        leaf)."""
        return self._inputs if self._fn is not None else ()

    @property
    def values(self) -> tuple:
        """(ctx API) The inputs as backward should see them: arrays, or the Tensors
        themselves under create_graph (so one formula serves both)."""
        if self._fn is None:
            return ()
        inputs = self._inputs
        if self._out is self:
            return inputs
        if len(inputs) == 2:  # (the common case, spelled out: it is on the hot path)
            return inputs[0].data, inputs[1].data
        return tuple([x.data for x in inputs])

    @property
    def out(self) -> Any:
        """(ctx API) The op's output as backward should see it: this tensor's array,
        or the Tensor itself while a create_graph backward runs; None for a leaf."""
        if self._fn is None:
            return None
        return self if self._out is self else self.data

    @property
    def fn(self) -> type | None:
        """(ctx API) The Function class of the op that made this tensor."""
        return self._fn

    @property
    def params(self) -> dict:
        """(ctx API) The op's keyword parameters (a fresh dict: changing it changes
        nothing)."""
        return dict(self._params or {}) if self._fn is not None else {}

    # ---- in-place arithmetic -------------------------------------------------

    def _inplace(self, op_name: str, fn: Callable, other: TensorLike) -> Tensor:
        from .autograd import is_grad_enabled

        if self.requires_grad and is_grad_enabled():
            raise RuntimeError(
                f"in-place {op_name} on a tensor that requires grad would corrupt the "
                f"graph; write x = x {op_name[0]} y, or update it under "
                "tinygrad_edu.no_grad()"
            )
        value = other.data if isinstance(other, Tensor) else other
        try:
            fn(self.data, value, out=self.data, casting="same_kind")
        except (ValueError, TypeError) as error:  # e.g. int tensor += 0.5
            operands = (self.data, np.asarray(value))
            name = f"in-place {op_name}"
            raise function.explain_numpy_error(name, error, operands) from None
        autograd.mark_modified(self)  # a graph that saved us (or an alias) can tell
        return self

    def __iadd__(self, other: TensorLike) -> Tensor:
        return self._inplace("+=", np.add, other)

    def __isub__(self, other: TensorLike) -> Tensor:
        return self._inplace("-=", np.subtract, other)

    def __imul__(self, other: TensorLike) -> Tensor:
        return self._inplace("*=", np.multiply, other)

    def __itruediv__(self, other: TensorLike) -> Tensor:
        return self._inplace("/=", np.true_divide, other)

    def __setitem__(self, index: Any, value: TensorLike) -> None:
        from .autograd import is_grad_enabled

        if self.requires_grad and is_grad_enabled():
            raise RuntimeError(
                "item assignment on a tensor that requires grad would corrupt the "
                "graph; build a new tensor (e.g. with where or concatenate), or assign "
                "under tinygrad_edu.no_grad()"
            )
        # the value as an array of this tensor's dtype, converted as NumPy assigns
        # (None, text, complex: TypeError)
        if isinstance(value, Tensor):
            value = value.data
        else:
            value = _to_array(value, self.data.dtype, "setitem")
        try:
            self.data[ops.shape.normalize_index(index)] = value
        except (ValueError, IndexError, TypeError) as error:
            kind = type(error) if type(error) in (ValueError, IndexError) else TypeError
            raise kind(
                f"setitem: cannot assign a value of shape {value.shape} ({value.dtype}) "
                f"to index {index!r} of a tensor of shape {self.shape} "
                f"({self.dtype}): {error}"
            ) from None
        autograd.mark_modified(self)


def as_tensor(x: TensorLike, like: Tensor | None = None, op: str = "Tensor") -> Tensor:
    """x as a Tensor (no copy for Tensors and arrays); errors name ``op``, the
    function the user called.

    A Python number next to tensor ``like`` follows NumPy 2's rule for it
    (``number_array``): ``float32_tensor * 2.0`` stays float32, ``int_tensor * 0.1``
    is float64. A NumPy scalar keeps its own dtype (``np.float64(2)``), as in NumPy.
    A list holding Tensors is stacked with ``tg.stack``, recording the graph:
    ``tg.mean([x, y])`` treats the list as one array, as ``np.mean([a, b])`` does.
    """
    if isinstance(x, Tensor):
        return x
    if like is not None and is_python_number(x):
        return Tensor._from_array(number_array(x, like.data.dtype))
    if isinstance(x, (list, tuple)):
        inside = _tensors_inside(x)
        if inside:
            return _stack_items(x, like if like is not None else inside[0], op)
    return Tensor._from_array(_to_array(x, None, op))


def _stack_items(items: list | tuple, like: Tensor, op: str) -> Tensor:
    """A (nested) list holding Tensors as one Tensor, stacked so the graph is kept."""
    parts = [as_tensor(item, like, op) for item in items]
    shapes = list(dict.fromkeys(p.shape for p in parts))
    if len(shapes) > 1:
        raise ValueError(
            f"{op}: a list holding Tensors is stacked into one tensor (as tg.stack), "
            f"so its items must have one shape; got shapes {shapes}"
        )
    return ops.stack(parts)


# imported last: ops, autograd, creation and interop import Tensor from this module
from . import autograd, creation, function, interop, ops, tensor_methods  # noqa: E402

# tensor_methods could not import these while Tensor did not exist: bind them now
# (module globals, read at call time like any import, with no per-call cost)
tensor_methods.ops, tensor_methods.interop, tensor_methods.creation = (
    ops, interop, creation,
)
