"""Module and Parameter: how a model finds its own weights.

A ``Module`` is a plain Python object. Whatever ``Parameter``s and sub-modules you
assign as attributes (directly, or inside lists, tuples, dicts, ``ModuleList`` and
``Sequential``) are discovered by walking ``vars(self)`` in assignment order. There
is no ``__setattr__``/``__getattr__`` magic: a typo raises ``AttributeError``, and
the order of ``parameters()`` is the order you wrote them in. A parameter shared by
two layers is listed once.

Subclasses write ``__init__`` (no ``super().__init__()`` needed) and ``forward``.

Read next: ``nn/layers.py`` (Linear, MLP, ...), then ``optim/optimizer.py``.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, NamedTuple

import numpy as np

from .. import autograd
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that a Module owns and an optimizer updates (``requires_grad=True``).

    Built from an array (shared, not copied) or anything ``Tensor`` accepts; only
    floating-point data can be a parameter.

    >>> import numpy as np
    >>> from tinygrad_edu import nn
    >>> w = nn.Parameter(np.zeros((2, 3), dtype=np.float32))
    >>> w.requires_grad, w.shape
    (True, (2, 3))
    """

    def __init__(self, data: Any, requires_grad: bool = True, name: str | None = None):
        super().__init__(data, name=name)
        if self.data.dtype.kind != "f":
            raise TypeError(
                f"Parameter: only floating-point data can be trained, got dtype "
                f"{self.data.dtype}; convert it first (e.g. np.asarray(x, np.float32))"
            )
        self.requires_grad = bool(requires_grad)

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__()[len("Tensor"):]


class Buffer(Tensor):
    """A Tensor a Module keeps and saves in its ``state_dict`` but does not train
    (BatchNorm's running statistics): discovered like a Parameter, never given to
    an optimizer.

    >>> import numpy as np
    >>> from tinygrad_edu import nn
    >>> nn.Buffer(np.zeros(3)).requires_grad
    False
    """

    def __repr__(self) -> str:
        return "Buffer" + super().__repr__()[len("Tensor"):]


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped (as PyTorch reports it)."""

    missing_keys: list
    unexpected_keys: list


# ---- discovery -------------------------------------------------------------------


def _members(value: Any, name: str) -> Iterator[tuple[str, Any]]:
    """(name, Parameter, Buffer or Module) found in one attribute value; lists, tuples
    and dicts are searched too, their items named ``name.0``, ``name.key``."""
    if isinstance(value, (Parameter, Buffer, Module)):
        yield name, value
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _members(item, f"{name}.{i}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _members(item, f"{name}.{key}")


def _walk(module: Module, prefix: str, seen: set[int]) -> Iterator[tuple[str, Any]]:
    """Depth-first (dotted name, object) for the module, then everything it holds.

    A module reached a second time (shared, or a reference back to a parent) is
    skipped, so shared weights appear once and cycles cannot loop forever.
    """
    seen.add(id(module))
    yield prefix, module
    for name, value in module._named_members():
        full = f"{prefix}.{name}" if prefix else name
        if isinstance(value, Module):
            if id(value) not in seen:
                yield from _walk(value, full, seen)
        else:
            yield full, value


def _indent(text: str, spaces: int = 2) -> str:
    """Indent every line but the first (minitorch's / PyTorch's ``_addindent``)."""
    return text.replace("\n", "\n" + " " * spaces)


# ---- Module ----------------------------------------------------------------------


def _numeric_array(value: Any, key: str, owner: str) -> np.ndarray:
    """A state-dict value as a bool/int/float array; TypeError naming ``key`` if not
    (np.asarray makes "abc" or None a 0-d array, which looked like a bad shape)."""
    found = value.data if isinstance(value, Tensor) else value
    try:
        array = np.asarray(found)
    except (TypeError, ValueError):  # a ragged list
        array = None
    if array is None or array.dtype.kind not in "biuf":
        what = type(value).__name__
        if array is not None and isinstance(found, np.ndarray):
            what += f" of dtype {array.dtype}"
        raise TypeError(
            f"load_state_dict into {owner}: the value of {key!r} must be a numeric "
            f"(bool, int or float) array, got {what}"
        )
    return array

class Module:
    """Base class of every layer and model: write ``__init__`` and ``forward``.

    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn
    >>> class TwoLayer(nn.Module):
    ...     def __init__(self):
    ...         self.hidden = nn.Linear(2, 3)
    ...         self.out = nn.Linear(3, 1)
    ...     def forward(self, x):
    ...         return self.out(self.hidden(x).relu())
    >>> model = TwoLayer()
    >>> [name for name, p in model.named_parameters()]
    ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
    >>> model(tg.ones(4, 2)).shape
    (4, 1)
    """

    #: a class attribute until ``train()``/``eval()`` sets it on the instance, so a
    #: subclass does not need to call ``super().__init__()``
    training: bool = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"abstract: {type(self).__name__} must define forward(self, ...)"
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if autograd._trace_hook is not None:  # compile: train/eval mode is assumed
            autograd._trace_hook.record_module(self)
        return self.forward(*args, **kwargs)

    def _named_members(self) -> Iterator[tuple[str, Any]]:
        """This module's own parameters and direct sub-modules (not recursive)."""
        for name, value in vars(self).items():
            yield from _members(value, name)

    # ---- walking the tree --------------------------------------------------------

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs in assignment order, each parameter once."""
        seen: set[int] = set()
        for name, value in _walk(self, prefix, set()):
            if isinstance(value, Parameter) and id(value) not in seen:
                seen.add(id(value))
                yield name, value

    def named_buffers(self) -> Iterator[tuple[str, Buffer]]:
        """(dotted name, buffer) pairs in assignment order, each buffer once."""
        for name, value in self._named_state().items():
            if isinstance(value, Buffer):
                yield name, value

    def parameters(self) -> Iterator[Parameter]:
        """Every parameter of this module and its sub-modules, each once."""
        for _, p in self.named_parameters():
            yield p

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module (name ``""``) and all sub-modules."""
        for name, value in _walk(self, prefix, set()):
            if isinstance(value, Module):
                yield name, value

    def modules(self) -> Iterator[Module]:
        """This module and every sub-module, depth first, each once."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules with their names."""
        seen: set[int] = set()
        for name, value in self._named_members():
            if isinstance(value, Module) and id(value) not in seen:
                seen.add(id(value))
                yield name, value

    def children(self) -> Iterator[Module]:
        """The direct sub-modules."""
        for _, m in self.named_children():
            yield m

    def num_parameters(self) -> int:
        """How many numbers the model learns (shared parameters counted once)."""
        return sum(p.size for p in self.parameters())

    # ---- modes and gradients -----------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Training mode (Dropout active) for this module and all sub-modules."""
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(
                f"{type(self).__name__}.train: mode must be True or False, got {mode!r}"
            )
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)`` (Dropout becomes the identity)."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``.grad = None``)."""
        if autograd._trace_hook is not None:  # tinygrad_edu.compile records this call
            autograd._trace_hook.record_call(self.zero_grad, self)
        for p in self.parameters():
            p._grad = None  # (the slot behind .grad: compile replays this call)

    # ---- state dicts -------------------------------------------------------------

    def _named_state(self) -> dict[str, Tensor]:
        """Parameters and buffers by dotted name, in assignment order, each once."""
        seen: set[int] = set()
        state = {}
        for name, value in _walk(self, "", set()):
            if isinstance(value, (Parameter, Buffer)) and id(value) not in seen:
                seen.add(id(value))
                state[name] = value
        return state

    def state_dict(self) -> dict[str, np.ndarray]:
        """``{dotted name: copy of the array}`` for every parameter and buffer
        (running statistics such as BatchNorm's), in assignment order as PyTorch.

        >>> from tinygrad_edu import nn
        >>> list(nn.Linear(2, 1).state_dict())
        ['weight', 'bias']
        """
        return {name: t.data.copy() for name, t in self._named_state().items()}

    def load_state_dict(
        self, state_dict: dict[str, Any], strict: bool = True
    ) -> IncompatibleKeys:
        """Copy the arrays of ``state_dict`` into the parameters and buffers (in place).

        With ``strict`` (the default) the keys must match exactly; every shape must
        match always. Errors are ``ValueError``s that name the keys and shapes, and a
        ``TypeError`` naming the key of a value that is not a numeric array.
        Returns the missing and unexpected keys (empty when strict).
        """
        if not isinstance(state_dict, dict):
            raise TypeError(
                "load_state_dict: expected a dict of arrays, "
                f"got {type(state_dict).__name__}"
            )
        own = self._named_state()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems = []
        if strict and missing:
            problems.append(f"missing keys {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys {unexpected}")
        values = {}
        for name, p in own.items():
            if name not in state_dict:
                continue
            value = _numeric_array(state_dict[name], name, type(self).__name__)
            if value.shape != p.shape:
                problems.append(
                    f"shape mismatch for {name!r}: the file has {value.shape}, "
                    f"the model has {p.shape}"
                )
            values[name] = value
        if problems:
            raise ValueError(
                f"load_state_dict into {type(self).__name__}: " + "; ".join(problems)
            )
        for name, value in values.items():
            np.copyto(own[name].data, value, casting="unsafe")
        return IncompatibleKeys(missing, unexpected)

    # ---- repr --------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The text between the parentheses of this module's repr (its settings)."""
        return ""

    def __repr__(self) -> str:
        n = self.num_parameters()
        count = f"  # {n:,} params" if n else ""
        children = list(self.named_children())
        extra = self.extra_repr()
        if not children:
            return f"{type(self).__name__}({extra})" + count
        lines = [f"{type(self).__name__}("] + ([f"  {extra}"] if extra else [])
        for name, child in children:
            lines.append(f"  ({name}): " + _indent(repr(child)))
        return "\n".join(lines) + "\n)" + count


# ---- containers ------------------------------------------------------------------


class ModuleList(Module):
    """A list of modules whose parameters are discovered (named ``0``, ``1``, ...).

    >>> from tinygrad_edu import nn
    >>> layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 1)])
    >>> len(layers), [name for name, _ in layers.named_parameters()]
    (2, ['0.weight', '0.bias', '1.weight', '1.bias'])
    """

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        self._items: list[Module] = []
        self.extend(modules)

    def _named_members(self) -> Iterator[tuple[str, Any]]:
        for i, m in enumerate(self._items):
            yield str(i), m
        for name, value in vars(self).items():  # extra attributes of a subclass
            if name != "_items":
                yield from _members(value, name)

    def append(self, module: Module) -> ModuleList:
        """Add a module at the end."""
        if not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}: expected a Module, got {type(module).__name__}"
                " (wrap functions as modules, e.g. nn.ReLU() instead of tg.relu)"
            )
        self._items.append(module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Add several modules at the end."""
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return type(self)(self._items[index])
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._items)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        # abstract by design: a ModuleList holds modules; your forward calls them
        raise NotImplementedError(
            "abstract: call a ModuleList's modules, or use nn.Sequential"
        )


class Sequential(ModuleList):
    """Modules applied one after another: ``Sequential(a, b, c)(x) = c(b(a(x)))``.

    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn
    >>> model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    >>> model(tg.ones(3, 2)).shape
    (3, 1)
    """

    def __init__(self, *modules: Module) -> None:
        if len(modules) == 1 and isinstance(modules[0], (list, tuple)):
            modules = tuple(modules[0])  # Sequential([a, b]) works too
        super().__init__(modules)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(*self._items[index])
        return self._items[index]

    def forward(self, x: Any) -> Any:
        for module in self._items:
            x = module(x)
        return x
