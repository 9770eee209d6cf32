"""tinygrad_edu: a small, readable, fast autograd engine on NumPy.

Read it in this order: ``tensor.py`` (the Tensor) → ``tensor_methods.py`` (its
one-line op methods) → ``autograd.py`` (the graph, backward) → ``grad_mode.py`` and
``function.py`` (no_grad; the op base class Function) → ``ops/binary.py`` →
``ops/reduce.py`` (ops, forward and backward side by side) → ``nn/module.py`` →
``optim/optimizer.py``. ``creation.py`` holds zeros, ones, rand, arange ...
"""

# tensor first: it imports autograd, creation and ops at its end, once Tensor exists
from .tensor import Tensor  # isort: skip
from .creation import (  # isort: skip
    arange, eye, full, ones, ones_like, rand, randn, zeros, zeros_like,
)
from ._rng import manual_seed
from .autograd import (
    Context, Function, enable_grad, is_grad_enabled, no_grad, set_grad_enabled,
)
from .dtypes import get_default_dtype, set_default_dtype
from .functional import grad, gradients, hessian, jacobian, jvp, value_and_grad, vjp
from .ops import *  # noqa: F401,F403  (every op as a module-level function)
from .ops import __all__ as _ops_all

# the fused op stays tinygrad_edu.ops.linear / nn.functional.linear / Tensor.linear:
# the name tinygrad_edu.linear belongs to the linear-models module
del linear  # noqa: F821
_ops_all = [name for name in _ops_all if name != "linear"]

from . import nn, optim  # noqa: E402

# ---- NumPy surface (issue 16): the new ops come with `from .ops import *` above;
# linspace is a creation function (no gradient), so it sits with zeros/ones/arange
from .ops.arrange import linspace  # noqa: E402
from .io import load, save  # noqa: E402

# tg.compile: trace a training step once, replay it as flat NumPy (issue 15)
from .compiler import compile  # noqa: E402,A004

__version__ = "0.1.0"

# the rest is imported on first use (tg.viz.to_dot(...) works without an import line),
# so `import tinygrad_edu` stays fast
_SUBMODULES = ("data", "debug", "linear", "testing", "train", "viz")


def __getattr__(name: str):
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list:
    return sorted([*globals(), *_SUBMODULES])

__all__ = [
    "Tensor", "Function", "Context", "no_grad", "enable_grad", "set_grad_enabled",
    "is_grad_enabled", "grad", "value_and_grad", "gradients", "manual_seed",
    # functional transforms (issue 16), beside grad / value_and_grad above
    "vjp", "jvp", "jacobian", "hessian",
    "set_default_dtype", "get_default_dtype", "zeros", "ones", "full", "eye", "rand",
    "randn", "arange", "zeros_like", "ones_like", "nn", "optim", "save", "load",
    "compile",
    *_ops_all,
    "linspace",  # NumPy surface (issue 16)
]
