"""Gradient checks for tinygrad_edu ops, built-in or your own ``Function``.

``numerical_grad`` (central differences), ``gradcheck`` (backward against central
differences, with a random cotangent) and ``gradgradcheck`` (the same for second
derivatives) live in ``_gradcheck.py``. Hypothesis strategies for property tests are
in ``tinygrad_edu.testing.strategies`` (imported separately: it needs hypothesis,
this module does not).

>>> import tinygrad_edu as tg
>>> from tinygrad_edu.testing import gradcheck
>>> gradcheck(lambda x: tg.sin(x) * x, [[0.5, -1.0, 2.0]])
True

Read next: ``_gradcheck.py``, then ``strategies.py``.
"""

from __future__ import annotations

from ._gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad

__all__ = ["numerical_grad", "gradcheck", "gradgradcheck", "GradcheckError"]


def __getattr__(name: str):
    # `tinygrad_edu.testing.strategies` works without its own import line, yet
    # hypothesis is imported only when the strategies are first used
    if name == "strategies":
        import importlib

        return importlib.import_module(f"{__name__}.strategies")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
