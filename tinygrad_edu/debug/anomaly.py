"""detect_anomaly(): the first op whose forward or backward makes NaN/Inf."""

from __future__ import annotations

import contextlib
import linecache
import os
import sys
import weakref
from typing import Any, Callable

import numpy as np

from .. import autograd
from ..tensor import Tensor
from ._common import _array


class AnomalyError(RuntimeError):
    """An op produced NaN or Inf while ``detect_anomaly()`` was on.

    Attributes: ``op`` (the op's public name), ``phase`` (``"forward"`` or
    ``"backward"``), ``input_shapes``, ``filename`` and ``lineno`` of the user's
    line that created the op (``None`` when it was created outside the mode), and
    ``code`` (that line's text).
    """

    def __init__(
        self,
        message: str,
        op: str,
        phase: str,
        input_shapes: list,
        filename: str | None,
        lineno: int | None,
        code: str | None,
    ) -> None:
        super().__init__(message)
        self.op, self.phase, self.input_shapes = op, phase, input_shapes
        self.filename, self.lineno, self.code = filename, lineno, code


# tinygrad_edu's own directory (this file is in tinygrad_edu/debug/): frames in there
# are the library, not the user's code
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_in_package: dict[str, bool] = {}

# why an op typically makes NaN/Inf, for the message
_HINTS = {
    "log": "log of 0 gives -inf and of a negative number NaN",
    "sqrt": "sqrt of a negative number is NaN; at 0 its gradient 1/(2·sqrt(x)) is inf",
    "divide": "division by zero",
    "power": "a negative base to a fractional power, or 0 to a negative power",
    "exp": "exp overflows above ~88 (float32) or ~709 (float64)",
    "multiply": "0 · inf is NaN",
    "subtract": "inf − inf is NaN",
    "add": "inf + (−inf) is NaN",
}


class _AnomalyState:
    """Process-wide: the engine hook is one module-level switch, for all threads."""

    depth = 0
    previous: Callable | None = None
    check_forward = True
    # id(inputs tuple) -> [inputs tuple, (filename, lineno, function), finalizer]
    records: dict[int, list] = {}


_anomaly = _AnomalyState()


def _user_frame() -> tuple[str, int, str] | None:
    """(file, line, function) of the innermost stack frame outside tinygrad_edu."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        inside = _in_package.get(filename)
        if inside is None:
            inside = _in_package[filename] = os.path.abspath(filename).startswith(
                _PACKAGE_DIR
            )
        if not inside:
            return filename, frame.f_lineno, frame.f_code.co_name
        frame = frame.f_back
    return None


def _forget(key: int, entry: list) -> None:
    # the op's output array died: its record can go (unless replaced meanwhile)
    if _anomaly.records.get(key) is entry:
        del _anomaly.records[key]


def _describe(values: np.ndarray) -> str:
    nan = int(np.isnan(values).sum())
    pos = int(np.isposinf(values).sum())
    neg = int(np.isneginf(values).sum())
    parts = [
        f"{n} {what}" for n, what in ((nan, "NaN"), (pos, "+inf"), (neg, "-inf")) if n
    ]
    return ", ".join(parts) + f" among {values.size} values"


def _is_finite(values: Any) -> bool:
    a = values.data if isinstance(values, Tensor) else np.asarray(values)
    return a.dtype.kind not in "fc" or bool(np.isfinite(a).all())


def _raise_anomaly(
    fn: type, inputs: tuple, phase: str, what: str, bad: np.ndarray, where: tuple | None
) -> None:
    shapes = [tuple(np.shape(_array(x))) for x in inputs]
    dtypes = ", ".join(str(_array(x).dtype) for x in inputs)
    code = None
    if where is None:
        place = "it was created before detect_anomaly() was on: its line is unknown"
        filename = lineno = None
    else:
        filename, lineno, function = where
        code = linecache.getline(filename, lineno).strip() or None
        place = f"the op was created at {filename}:{lineno} (in {function})"
        if code:
            place += f":\n    {code}"
    hint = _HINTS.get(fn.name)
    message = (
        f"{fn.name} ({phase}) produced {what}: {_describe(bad)}; inputs of shapes "
        f"{', '.join(map(str, shapes))} ({dtypes}); {place}"
        + (f"\nhint: {hint}" if hint else "")
    )
    raise AnomalyError(message, fn.name, phase, shapes, filename, lineno, code)


def _anomaly_hook(fn: type, inputs: tuple, phase: str, results: tuple) -> None:
    """Installed with ``autograd.set_anomaly_hook`` while ``detect_anomaly`` is on."""
    if phase == "forward":
        out = results[0]
        where = _user_frame()
        # backward receives the same inputs tuple (ctx.inputs), so it is the key; the
        # record lives as long as the op's output array
        key = id(inputs)
        entry: list = [inputs, where, None]  # the finalizer joins it, for exit
        try:
            entry[2] = weakref.finalize(out, _forget, key, entry)
        except TypeError:  # not weak-referenceable: the record stays until exit
            pass
        _anomaly.records[key] = entry
        if _anomaly.check_forward and not _is_finite(out):
            _raise_anomaly(
                fn, inputs, phase, "a non-finite output", np.asarray(out), where
            )
        return
    for i, g in enumerate(results):
        if g is not None and not _is_finite(g):
            entry = _anomaly.records.get(id(inputs))
            where = entry[1] if entry is not None and entry[0] is inputs else None
            _raise_anomaly(
                fn,
                inputs,
                phase,
                f"a non-finite gradient for input {i}",
                np.asarray(_array(g)),
                where,
            )


class detect_anomaly(contextlib.ContextDecorator):
    """Raise at the first op whose forward or backward produces NaN or Inf.

    While the mode is on, every op records the file and line of *your* code that
    created it (the innermost stack frame outside tinygrad_edu), and its output,
    then later its input gradients, are checked. The first non-finite value raises
    :class:`AnomalyError` naming the op, forward or backward, the input shapes and
    that line. Off (the default) the engine pays one ``is None`` test per op.

    The switch is **process-wide** (the engine's module-level hook): it is seen by
    every thread, and nesting is counted (the outermost exit switches it off).
    NumPy may still print its own ``RuntimeWarning`` (divide by zero, invalid value)
    before the error; ``np.errstate`` silences it.

    Parameters
    ----------
    check_forward : bool, default True
        Also check forward outputs (PyTorch checks only backward). Turn it off when
        infinities are intended in the forward pass (e.g. ``-inf`` masks).

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> from tinygrad_edu.debug import AnomalyError, detect_anomaly
    >>> x = tg.Tensor([0.0, 1.0], requires_grad=True)
    >>> with np.errstate(divide="ignore"), detect_anomaly():
    ...     try:
    ...         y = x.log()
    ...     except AnomalyError as err:
    ...         print(err.op, err.phase)
    log forward
    """

    def __init__(self, check_forward: bool = True) -> None:
        self.check_forward = bool(check_forward)
        self._saved_check: list[bool] = []

    def _recreate_cm(self) -> detect_anomaly:
        return type(self)(self.check_forward)  # a decorator: fresh state per call

    def __enter__(self) -> detect_anomaly:
        if _anomaly.depth == 0:
            _anomaly.previous = autograd.set_anomaly_hook(_anomaly_hook)
        _anomaly.depth += 1
        self._saved_check.append(_anomaly.check_forward)
        _anomaly.check_forward = self.check_forward
        return self

    def __exit__(self, *exc: Any) -> None:
        _anomaly.check_forward = self._saved_check.pop()
        _anomaly.depth -= 1
        if _anomaly.depth == 0:
            autograd.set_anomaly_hook(_anomaly.previous)
            _anomaly.previous = None
            for entry in list(_anomaly.records.values()):
                if entry[-1] is not None:
                    entry[-1].detach()
            _anomaly.records.clear()


# ======================================================================================
