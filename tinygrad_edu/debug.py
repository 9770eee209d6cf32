"""Debugging a network: the lecture's closing questions, each with a measured answer.

"Debugging is an art", the lecture ends, and lists what to ask: should we change the
learning rate? initialise differently? get more data? change the architecture? run
for more epochs? are the features relevant? This module gives each question a tool
that measures instead of guessing:

=========================  ==========================================================
``detect_anomaly()``       the first op whose forward or backward makes NaN/Inf
                           raises ``AnomalyError`` naming the op and *your* line
``gradient_stats``         per parameter: gradient mean/std/norm and the
                           update/weight ratio (is the learning rate sensible?)
``activation_stats``       per layer: mean/std/norm, dead ReLUs, saturated units
``check_model_gradients``  backprop against central differences, in float64
``explain_backward``       the four backprop equations written out per layer, in
                           NumPy, checked against autograd
``lr_find``                the learning-rate range test
``overfit_one_batch``      can the model drive one batch's loss to ~0?
``diagnose``               one report with a section per lecture question
=========================  ==========================================================

Every helper leaves the model as it found it (parameters, gradients, train/eval
mode); those that train work on the model and then restore its state.

Read next: ``viz.py`` (pictures of the graph), or the tests in ``tests/test_debug.py``.
"""

from __future__ import annotations

import contextlib
import linecache
import math
import os
import sys
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from . import autograd
from .autograd import enable_grad, gradients, no_grad
from .tensor import Tensor

__all__ = [
    "AnomalyError",
    "detect_anomaly",
    "StatsTable",
    "gradient_stats",
    "activation_stats",
    "GradientCheckReport",
    "check_model_gradients",
    "LayerRecord",
    "BackpropExplanation",
    "explain_backward",
    "LRFinderResult",
    "lr_find",
    "OverfitReport",
    "overfit_one_batch",
    "Section",
    "DiagnosisReport",
    "diagnose",
]

LossFn = Callable[[Tensor, Any], Tensor]


# ---- small shared helpers ------------------------------------------------------------


def _array(x: Any) -> np.ndarray:
    """The ndarray behind a Tensor, array or nested list (no copy for arrays)."""
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _fmt(value: Any) -> str:
    """One table cell: 4 significant digits for numbers, '-' for missing."""
    if value is None:
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    return str(value)


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain-text table: strings left-aligned, numbers right-aligned."""
    raw = [list(row) for row in rows]
    cells = [[_fmt(v) for v in row] for row in raw]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]

    def line(row: Sequence[str], values: Sequence[Any] | None = None) -> str:
        parts = []
        for i, (cell, width) in enumerate(zip(row, widths)):
            numeric = values is not None and isinstance(
                values[i], (int, float, np.number)
            )
            numeric = numeric and not isinstance(values[i], (bool, np.bool_))
            parts.append(cell.rjust(width) if numeric else cell.ljust(width))
        return "  ".join(parts).rstrip()

    out = [line(list(headers)), "  ".join("-" * w for w in widths)]
    out += [line(row, values) for row, values in zip(cells, raw)]
    return "\n".join(out)


class _ModelState:
    """Snapshot of a model (parameters, gradients, train/eval flags), to restore."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.params = _named_parameters(model)
        self.data = {name: p.data.copy() for name, p in self.params}
        self.grads = [(p, p.grad) for _, p in self.params]
        self.modes = [(m, m.training) for m in _modules(model)]

    def restore(self, grads: bool = True) -> None:
        for name, p in self.params:
            np.copyto(p.data, self.data[name])
        if grads:
            for p, g in self.grads:
                p.grad = g
        for m, mode in self.modes:
            m.training = mode
        _bump_versions([p for _, p in self.params])


def _named_parameters(model: Any) -> list[tuple[str, Tensor]]:
    if hasattr(model, "named_parameters"):
        return list(model.named_parameters())
    return [(str(i), p) for i, p in enumerate(model)]  # a plain list of tensors


def _modules(model: Any) -> list[Any]:
    return list(model.modules()) if hasattr(model, "modules") else []


def _set_training(model: Any, mode: bool) -> None:
    for m in _modules(model):
        m.training = mode


def _bump_versions(params: list[Tensor]) -> None:
    """Parameters changed in place: a graph built before must not backprop old values
    (the optimizers do the same after each step)."""
    autograd._inplace_ops.count += 1
    for p in params:
        p._version = autograd._inplace_ops.count


def _loss_value(model: Any, loss_fn: LossFn, X: np.ndarray, y: np.ndarray) -> float:
    """loss_fn(model(X), y) as a float, in eval mode and without a graph."""
    modes = [(m, m.training) for m in _modules(model)]
    _set_training(model, False)
    try:
        with no_grad(), np.errstate(all="ignore"):
            return float(
                loss_fn(model(Tensor._from_array(X)), Tensor._from_array(y)).item()
            )
    except (FloatingPointError, OverflowError):
        return math.nan
    finally:
        for m, mode in modes:
            m.training = mode


# ======================================================================================
# ---- anomaly detection ---------------------------------------------------------------
# ======================================================================================


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


# the package's own directory: frames in here are the library, not the user's code
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
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
    """Installed as ``autograd._anomaly_check`` while ``detect_anomaly`` is on."""
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
            _anomaly.previous = autograd._anomaly_check
            autograd._anomaly_check = _anomaly_hook
        _anomaly.depth += 1
        self._saved_check.append(_anomaly.check_forward)
        _anomaly.check_forward = self.check_forward
        return self

    def __exit__(self, *exc: Any) -> None:
        _anomaly.check_forward = self._saved_check.pop()
        _anomaly.depth -= 1
        if _anomaly.depth == 0:
            autograd._anomaly_check = _anomaly.previous
            _anomaly.previous = None
            for entry in list(_anomaly.records.values()):
                if entry[-1] is not None:
                    entry[-1].detach()
            _anomaly.records.clear()


# ======================================================================================
# ---- layer statistics ----------------------------------------------------------------
# ======================================================================================


class StatsTable(dict):
    """A dict ``{layer name: {statistic: value}}`` whose ``str()`` is a table.

    ``columns`` lists the statistics in display order; ``notes`` are printed below.
    """

    def __init__(
        self,
        rows: dict,
        columns: Sequence[str],
        title: str = "",
        notes: Sequence[str] = (),
    ) -> None:
        super().__init__(rows)
        self.columns, self.title, self.notes = list(columns), title, list(notes)

    def __str__(self) -> str:
        body = _table(
            ["layer"] + self.columns,
            [[name] + [row.get(c) for c in self.columns] for name, row in self.items()],
        )
        parts = ([self.title] if self.title else []) + [body] + list(self.notes)
        return "\n".join(parts)

    __repr__ = __str__


def gradient_stats(
    model: Any, lr: float | Any = None, before: dict[str, np.ndarray] | None = None
) -> StatsTable:
    """Per parameter: the gradient's mean, std and norm, and the update/weight ratio.

    Read after ``loss.backward()``. For a parameter w with gradient g:
    ``grad/weight = ‖g‖ / ‖w‖`` and ``update/weight = ‖Δw‖ / ‖w‖``, where the update
    is either measured (pass ``before=model.state_dict()`` taken before
    ``optimizer.step()``: ``Δw = w − w_before``, right for any optimizer) or
    predicted for plain SGD (pass ``lr``, a number or an optimizer:
    ``Δw = α·g``). A common rule of thumb: about 1e-3 per step is healthy; above
    1e-2 the learning rate is probably too large, below 1e-5 too small.

    Parameters
    ----------
    model : Module
        Its ``named_parameters()`` are reported; ones without a gradient show ``-``.
    lr : float or Optimizer, optional
        Learning rate α (an optimizer's ``current_lr`` is used).
    before : dict of arrays, optional
        A ``state_dict()`` taken before the last step.

    Returns
    -------
    StatsTable
        ``{parameter name: {"shape", "grad_mean", "grad_std", "grad_norm",
        "weight_norm", "grad/weight", "update/weight"}}``.

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn
    >>> layer = nn.Linear(2, 1)
    >>> layer(tg.ones(4, 2)).sum().backward()
    >>> stats = gradient_stats(layer, lr=0.1)
    >>> stats["bias"]["grad_norm"]
    4.0
    """
    if lr is not None and not isinstance(lr, (int, float, np.number)):
        lr = getattr(lr, "current_lr", getattr(lr, "lr", None))
    rows = {}
    for name, p in _named_parameters(model):
        w = p.data.astype(np.float64)
        w_norm = float(np.linalg.norm(w))
        row: dict[str, Any] = {
            "shape": tuple(p.shape),
            "grad_mean": None,
            "grad_std": None,
            "grad_norm": None,
            "weight_norm": w_norm,
            "grad/weight": None,
            "update/weight": None,
        }
        if p.grad is not None:
            g = p.grad.data.astype(np.float64)
            g_norm = float(np.linalg.norm(g))
            row.update(
                grad_mean=float(g.mean()), grad_std=float(g.std()), grad_norm=g_norm
            )
            row["grad/weight"] = g_norm / w_norm if w_norm > 0 else None
            if lr is not None and w_norm > 0:
                row["update/weight"] = float(lr) * g_norm / w_norm
        if before is not None and name in before and w_norm > 0:
            row["update/weight"] = (
                float(np.linalg.norm(w - _array(before[name]))) / w_norm
            )
        rows[name] = row
    notes = (
        [
            "update/weight ≈ 1e-3 per step is healthy; > 1e-2: lr too large; "
            "< 1e-5: lr too small"
        ]
        if (lr is not None or before is not None)
        else []
    )
    return StatsTable(
        rows,
        [
            "shape",
            "grad_mean",
            "grad_std",
            "grad_norm",
            "weight_norm",
            "grad/weight",
            "update/weight",
        ],
        "gradient statistics",
        notes,
    )


def _is_sequential(module: Any) -> bool:
    from .nn.module import Sequential

    return isinstance(module, Sequential)


def _layer_outputs(model: Any, x: Tensor) -> list[tuple[str, Any, Tensor]]:
    """(name, module, output) for every leaf layer the forward pass goes through.

    A ``Sequential`` (or an MLP's ``layers``) is run layer by layer, as the lecture's
    feedforward step; any other module is run once with its leaf layers' ``forward``
    wrapped on the *instance* (no class is touched; the wrappers are removed after).
    """
    from .nn.layers import MLP

    records: list[tuple[str, Any, Tensor]] = []

    def run(module: Any, x: Any, name: str) -> Any:
        if _is_sequential(module):
            for i, layer in enumerate(module):
                x = run(layer, x, f"{name}.{i}" if name else str(i))
            return x
        if isinstance(module, MLP):
            return run(module.layers, x, f"{name}.layers" if name else "layers")
        if not any(True for _ in module.children()):
            out = module(x)
            records.append((name or type(module).__name__, module, out))
            return out
        return run_wrapped(module, x, name)

    def run_wrapped(module: Any, x: Any, prefix: str) -> Any:
        leaves = [
            (n, m)
            for n, m in module.named_modules(prefix)
            if not any(True for _ in m.children())
        ]
        patched = []
        try:
            for name, m in leaves:
                own = m.__dict__.get("forward")
                original = m.forward

                def wrapper(
                    *args: Any,
                    _m: Any = m,
                    _name: str = name,
                    _original: Callable = original,
                    **kwargs: Any,
                ) -> Any:
                    out = _original(*args, **kwargs)
                    records.append((_name or type(_m).__name__, _m, out))
                    return out

                m.forward = wrapper  # an instance attribute shadows the method
                patched.append((m, own))
            return module(x)
        finally:
            for m, own in patched:
                if own is None:
                    del m.forward
                else:
                    m.forward = own

    run(model, x, "")
    named: list[tuple[str, Any, Tensor]] = []
    seen: dict[str, int] = {}
    for name, module, out in records:  # a layer used twice gets "name#2"
        seen[name] = seen.get(name, 0) + 1
        named.append((name if seen[name] == 1 else f"{name}#{seen[name]}", module, out))
    return named


def activation_stats(model: Any, x: Any, saturation: float = 0.99) -> StatsTable:
    """Per layer: the output's mean, std and norm, dead ReLUs and saturated units.

    The model runs once on ``x`` in eval mode without a graph (its mode is restored).

    * ``dead``: for ReLU layers, the fraction of units that output 0 for *every*
      sample of ``x``. A dead unit passes no gradient (``relu'(z) = 0``), so it never
      recovers; ``zero`` is the fraction of all outputs that are 0.
    * ``saturated``: for sigmoid/tanh layers, the fraction of outputs in the flat
      tails (``σ(z) < 1 − s`` or ``> s``; ``|tanh z| > s``, s = ``saturation``),
      where ``σ'(z)`` is nearly 0 and learning stalls.

    Returns
    -------
    StatsTable
        ``{layer name: {"type", "shape", "mean", "std", "norm", "dead", "zero",
        "saturated"}}`` (``None`` where a statistic does not apply).

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn
    >>> model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    >>> _ = nn.init.constant_(model[0].bias, -100.0)      # every unit dead
    >>> activation_stats(model, tg.randn(8, 2))["1"]["dead"]
    1.0
    """
    from .nn.layers import ELU, GELU, LeakyReLU, ReLU, Sigmoid, Tanh

    x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    modes = [(m, m.training) for m in _modules(model)]
    _set_training(model, False)
    try:
        with no_grad():
            outputs = _layer_outputs(model, x)
    finally:
        for m, mode in modes:
            m.training = mode
    rows = {}
    for name, module, out in outputs:
        if not isinstance(out, Tensor):
            continue
        a = out.data.astype(np.float64)
        units = a.reshape(-1, a.shape[-1]) if a.ndim else a.reshape(1, 1)
        row: dict[str, Any] = {
            "type": type(module).__name__,
            "shape": tuple(a.shape),
            "mean": float(a.mean()),
            "std": float(a.std()),
            "norm": float(np.linalg.norm(a)),
            "dead": None,
            "zero": None,
            "saturated": None,
        }
        if isinstance(module, ReLU) and not isinstance(module, (LeakyReLU, ELU, GELU)):
            row["dead"] = float(np.mean(np.all(units <= 0, axis=0)))
            row["zero"] = float(np.mean(units <= 0))
        elif isinstance(module, Sigmoid):
            row["saturated"] = float(np.mean((a < 1 - saturation) | (a > saturation)))
        elif isinstance(module, Tanh):
            row["saturated"] = float(np.mean(np.abs(a) > saturation))
        rows[name] = row
    return StatsTable(
        rows,
        ["type", "shape", "mean", "std", "norm", "dead", "zero", "saturated"],
        "activation statistics",
        [
            "dead: units never active on this batch; saturated: outputs "
            "where σ'(z) ≈ 0"
        ],
    )


# ======================================================================================
# ---- gradient check of a whole model -------------------------------------------------
# ======================================================================================


@dataclass
class GradientCheckReport:
    """Backprop against central differences on sampled parameter elements.

    ``entries``: one ``(name, index, analytic, numerical, abs_error, rel_error,
    ok)`` tuple per checked element; ``ok`` is True when every element satisfies
    ``|a − n| ≤ atol + rtol·|n|``; ``max_rel_error`` is the largest
    ``|a − n| / max(|a|, |n|, atol)``.
    """

    entries: list[tuple]
    atol: float
    rtol: float
    eps: float
    loss: float

    @property
    def ok(self) -> bool:
        return all(e[6] for e in self.entries)

    @property
    def max_rel_error(self) -> float:
        return max((e[5] for e in self.entries), default=0.0)

    @property
    def max_abs_error(self) -> float:
        return max((e[4] for e in self.entries), default=0.0)

    def __str__(self) -> str:
        verdict = (
            "OK: backprop agrees with the numerical gradient"
            if self.ok
            else "MISMATCH: backprop disagrees with the numerical gradient (a bug in "
            "an op's backward, or a non-differentiable point such as relu at 0)"
        )
        rows = [
            [e[0], str(e[1]), e[2], e[3], e[5], "ok" if e[6] else "BAD"]
            for e in self.entries
        ]
        return "\n".join(
            [
                f"gradient check: {len(self.entries)} parameter elements, central "
                f"differences (eps={self.eps:g}) in float64, loss {self.loss:.6g}",
                _table(
                    ["parameter", "index", "backprop", "numerical", "rel error", ""],
                    rows,
                ),
                f"max rel error {self.max_rel_error:.3g}, max abs error "
                f"{self.max_abs_error:.3g} (tolerance atol={self.atol:g}, "
                f"rtol={self.rtol:g})",
                verdict,
            ]
        )


def check_model_gradients(
    model: Any,
    loss_fn: LossFn,
    x: Any,
    y: Any,
    n: int = 20,
    seed: int = 0,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> GradientCheckReport:
    """Compare backprop with central differences on a sample of parameter elements.

    For a sampled element θ of the parameters, in float64:
    ``∂C/∂θ ≈ (C(θ + ε) − C(θ − ε)) / 2ε`` (error O(ε²)), against the ``.grad``
    backprop computes. Every parameter tensor gets at least one sample (while
    ``n`` allows); the others are drawn at random with ``seed``. The model runs in
    eval mode (no dropout noise); its parameters, gradients, dtype and mode are
    restored afterwards.

    Returns
    -------
    GradientCheckReport
        with ``.ok``, ``.max_rel_error`` and a readable ``str()``.

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn
    >>> import tinygrad_edu.nn.functional as F
    >>> _ = tg.manual_seed(0)
    >>> model = nn.MLP([3, 4, 1], activation="tanh")
    >>> x, y = tg.randn(5, 3), tg.randn(5, 1)
    >>> report = check_model_gradients(model, F.mse_loss, x, y)
    >>> report.ok, report.max_rel_error < 1e-5
    (True, True)
    """
    params = _named_parameters(model)
    if not params:
        raise ValueError("check_model_gradients: the model has no parameters")
    x64 = _array(x)
    x64 = x64.astype(np.float64) if x64.dtype.kind == "f" else x64
    y64 = _array(y)
    y64 = y64.astype(np.float64) if y64.dtype.kind == "f" else y64
    originals = [(p, p.data, p.grad) for _, p in params]
    modes = [(m, m.training) for m in _modules(model)]
    _set_training(model, False)
    rng = np.random.default_rng(seed)
    try:
        for _, p in params:  # float64 copies: central differences need the precision
            p.data = p.data.astype(np.float64)
            p.grad = None
        with enable_grad():
            loss = loss_fn(model(Tensor._from_array(x64)), Tensor._from_array(y64))
            if loss.size != 1:
                raise ValueError(
                    f"check_model_gradients: the loss must be a scalar, "
                    f"got shape {loss.shape}"
                )
            loss.backward()
        analytic = [
            np.zeros(p.shape) if p.grad is None else p.grad.data.copy()
            for _, p in params
        ]
        sizes = np.array([p.size for _, p in params])
        picks: list[tuple[int, int]] = []
        for i in rng.permutation(len(params))[: min(n, len(params))]:
            picks.append((int(i), int(rng.integers(sizes[i]))))
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        total = int(offsets[-1])
        taken = {int(offsets[i]) + j for i, j in picks}
        want = min(n, total) - len(picks)
        if want > 0:
            for k in rng.choice(
                total, size=min(total, want + len(taken)), replace=False
            ):
                if int(k) not in taken and want > 0:
                    i = int(np.searchsorted(offsets, k, side="right") - 1)
                    picks.append((i, int(k - offsets[i])))
                    want -= 1
        picks.sort()

        def c() -> float:
            with no_grad():
                return float(
                    loss_fn(
                        model(Tensor._from_array(x64)), Tensor._from_array(y64)
                    ).item()
                )

        entries = []
        for i, j in picks:
            name, p = params[i]
            flat = p.data.reshape(-1)  # a view: writing it changes the parameter
            index = np.unravel_index(j, p.shape) if p.ndim else ()
            old = flat[j]
            flat[j] = old + eps
            plus = c()
            flat[j] = old - eps
            minus = c()
            flat[j] = old
            numerical = (plus - minus) / (2 * eps)
            a = float(analytic[i].reshape(-1)[j])
            abs_err = abs(a - numerical)
            rel_err = abs_err / max(abs(a), abs(numerical), atol)
            ok = abs_err <= atol + rtol * abs(numerical)
            entries.append(
                (name, tuple(int(v) for v in index), a, numerical, abs_err, rel_err, ok)
            )
        return GradientCheckReport(entries, atol, rtol, eps, float(loss.item()))
    finally:
        for p, data, grad in originals:
            p.data, p.grad = data, grad
        for m, mode in modes:
            m.training = mode


# ======================================================================================
# ---- the four backprop equations, written out ----------------------------------------
# ======================================================================================

_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _sup(n: int) -> str:
    return str(n).translate(_SUPERSCRIPTS)


def _np_sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))  # never exp of a large positive number
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _activation_math(module: Any) -> tuple[str, Callable, Callable] | None:
    """(name, σ(z), σ'(z, a)) in NumPy for the activations with a textbook formula."""
    from .nn import layers as L

    if module is None or isinstance(module, L.Identity):
        return "identity", lambda z: z, lambda z, a: np.ones_like(z)
    if isinstance(module, L.ReLU):
        return "relu", lambda z: np.maximum(z, 0), lambda z, a: (z > 0).astype(z.dtype)
    if isinstance(module, L.LeakyReLU):
        s = module.negative_slope
        return (
            "leaky_relu",
            lambda z: np.where(z > 0, z, s * z),
            lambda z, a: np.where(z > 0, 1.0, s),
        )
    if isinstance(module, L.Sigmoid):
        return "sigmoid", _np_sigmoid, lambda z, a: a * (1 - a)  # σ' = σ(1 − σ)
    if isinstance(module, L.Tanh):
        return "tanh", np.tanh, lambda z, a: 1 - a * a  # tanh' = 1 − tanh²
    if isinstance(module, L.ELU):
        al = module.alpha
        return (
            "elu",
            lambda z: np.where(z > 0, z, al * np.expm1(np.minimum(z, 0))),
            lambda z, a: np.where(z > 0, 1.0, a + al),
        )
    if isinstance(module, L.Softplus):
        return "softplus", lambda z: np.logaddexp(0, z), lambda z, a: _np_sigmoid(z)
    return None


@dataclass
class LayerRecord:
    """One layer l of ``explain_backward``: its quantities and their check.

    ``z = a⁽ˡ⁻¹⁾Wᵀ + b`` and ``a = σ(z)`` (rows are samples), ``delta = ∂C/∂z``,
    ``grad_w = ∂C/∂W``, ``grad_b = ∂C/∂b``, all NumPy float64; ``diffs`` holds the
    largest absolute difference of each from autograd, ``max_diff`` the largest.
    """

    l: int  # noqa: E741  (the lecture's layer index)
    name: str
    activation: str
    z: np.ndarray
    a: np.ndarray
    delta: np.ndarray
    grad_w: np.ndarray
    grad_b: np.ndarray | None
    diffs: dict[str, float] = field(default_factory=dict)
    derivative_from: str = "formula"  # or "autograd" (σ' without a formula here)
    delta_formula: str = "(δˡ⁺¹ Wˡ⁺¹)"  # how the error reaching σ' was formed

    @property
    def max_diff(self) -> float:
        return max(self.diffs.values(), default=0.0)

    def __str__(self) -> str:
        n, p = _sup(self.l), _sup(self.l - 1)
        s = self.activation
        lines = [
            f"layer {self.l} ({self.name}, activation {s}): "
            f"max |difference from autograd| = {self.max_diff:.3g}"
        ]
        items = [
            (f"z{n} = a{p} W{n}ᵀ + b{n}", self.z, "z"),
            (f"a{n} = {s}(z{n})", self.a, "a"),
            (
                (
                    f"δ{n} = {self.delta_formula} ⊙ {s}'(z{n})"
                    if not self.delta_formula.startswith("softmax")
                    else f"δ{n} = {self.delta_formula}"
                ),
                self.delta,
                "delta",
            ),
            (f"∂C/∂W{n} = δ{n}ᵀ a{p}", self.grad_w, "grad_w"),
            (f"∂C/∂b{n} = Σₙ δ{n}", self.grad_b, "grad_b"),
        ]
        for text, value, key in items:
            if value is None:
                continue
            shown = ""
            if value.size <= 8:
                shown = "  " + np.array2string(
                    value, precision=4, suppress_small=True, separator=", "
                ).replace("\n", "")
            lines.append(
                f"  {text:<34} shape {str(value.shape):<9} "
                f"diff {self.diffs.get(key, 0.0):.2g}{shown}"
            )
        if self.derivative_from != "formula":
            lines.append(f"  ({s}' has no textbook formula here: taken from autograd)")
        return "\n".join(lines)


class BackpropExplanation(list):
    """The ``LayerRecord`` of each layer (input side first), with ``loss``,
    ``grad_output`` (∇ₐC) and ``max_diff``; ``str()`` prints the whole derivation."""

    loss: float = math.nan
    grad_output: np.ndarray | None = None

    @property
    def max_diff(self) -> float:
        return max((r.max_diff for r in self), default=0.0)

    def __str__(self) -> str:
        L = len(self) + 1
        head = [
            "backpropagation, the lecture's equations (rows are samples, so w a "
            "becomes a Wᵀ):",
            "  1. input a¹ = x;  2. feedforward zˡ = aˡ⁻¹ Wˡᵀ + bˡ, aˡ = σ(zˡ)",
            f"  3. output error δ{_sup(L)} = ∇ₐC ⊙ σ'(z{_sup(L)})",
            "  4. backpropagate δˡ = (δˡ⁺¹ Wˡ⁺¹) ⊙ σ'(zˡ)   [(wˡ⁺¹)ᵀδˡ⁺¹ for columns]",
            "  5. ∂C/∂Wˡ = δˡᵀ aˡ⁻¹ (summed over the batch),  ∂C/∂bˡ = Σₙ δˡ",
            f"loss C = {self.loss:.6g}",
        ]
        verdict = f"largest difference from autograd: {self.max_diff:.3g} -> " + (
            "the equations and the engine agree"
            if self.max_diff < 1e-4
            else "they DISAGREE: check the model and the loss"
        )
        return "\n".join(head + [str(r) for r in reversed(self)] + [verdict])

    __repr__ = __str__


def _mlp_layers(mlp: Any) -> list[tuple[str, Any, Any]]:
    """[(name, Linear, activation module or None)] of an MLP or a Sequential."""
    from .nn.layers import MLP, Dropout, Linear, Softmax

    if isinstance(mlp, MLP):
        seq, prefix = mlp.layers, "layers."
    elif _is_sequential(mlp):
        seq, prefix = mlp, ""
    else:
        raise TypeError(
            f"explain_backward: expected an nn.MLP or nn.Sequential of Linear "
            f"layers and activations, got {type(mlp).__name__}"
        )
    layers: list[list] = []
    for i, m in enumerate(seq):
        if isinstance(m, Linear):
            layers.append([f"{prefix}{i}", m, None])
        elif isinstance(m, Dropout):
            if m.training and m.p > 0:
                raise ValueError(
                    "explain_backward: Dropout is active; call model.eval() "
                    "first (the equations have no dropout)"
                )
        elif not layers or layers[-1][2] is not None:
            raise ValueError(
                f"explain_backward: layer {prefix}{i} ({type(m).__name__}) "
                "must follow a Linear layer"
            )
        elif isinstance(m, Softmax) and i != len(seq) - 1:
            raise ValueError(
                "explain_backward: Softmax is supported only at the output"
            )
        else:
            layers[-1][2] = m
    if not layers:
        raise ValueError("explain_backward: the model has no Linear layer")
    return [tuple(layer) for layer in layers]  # type: ignore[misc]


def explain_backward(mlp: Any, x: Any, y: Any, loss_fn: LossFn) -> BackpropExplanation:
    """Backpropagation by the lecture's equations, in NumPy, checked against autograd.

    With rows as samples (``a`` of shape ``(N, units)``), layer by layer, l = 2..L:

    * feedforward: ``zˡ = aˡ⁻¹ (Wˡ)ᵀ + bˡ``,  ``aˡ = σ(zˡ)``, with ``a¹ = x``;
    * output error (1): ``δᴸ = ∇ₐC ⊙ σ'(zᴸ)``;
    * backpropagate (2): ``δˡ = (δˡ⁺¹ Wˡ⁺¹) ⊙ σ'(zˡ)`` — the lecture's
      ``((wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ σ'(zˡ)`` for one column vector;
    * output: ``∂C/∂Wˡ = (δˡ)ᵀ aˡ⁻¹`` (the lecture's ``a_k^{l−1} δ_j^l``, summed
      over the batch) and ``∂C/∂bˡ = Σₙ δˡ``.

    σ' is written out for relu, leaky_relu, sigmoid, tanh, elu, softplus and the
    identity (other elementwise activations take σ' from the engine, and say so);
    a softmax output uses ``δᴸ = a ⊙ (g − Σₖ gₖaₖ)``. ``∇ₐC``, the loss's own
    derivative, is the one input taken from autograd. Every quantity is compared
    with the engine (its forward, ``∂C/∂z`` and the parameters' gradients, obtained
    with ``tinygrad_edu.gradients`` so no ``.grad`` is touched).

    Parameters
    ----------
    mlp : nn.MLP or nn.Sequential
        Linear layers, each optionally followed by one activation module.
    x, y : array_like or Tensor
        A batch and its targets; ``loss_fn(mlp(x), y)`` must be a scalar.
    loss_fn : callable
        E.g. ``nn.functional.mse_loss``.

    Returns
    -------
    BackpropExplanation
        A list of ``LayerRecord`` (``z``, ``a``, ``delta``, ``grad_w``, ``grad_b``,
        ``max_diff``), input layer first; ``print()`` it for the derivation.

    Examples
    --------
    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn
    >>> import tinygrad_edu.nn.functional as F
    >>> _ = tg.manual_seed(0)
    >>> mlp = nn.MLP([2, 3, 1], activation="sigmoid")
    >>> records = explain_backward(mlp, tg.randn(4, 2), tg.randn(4, 1), F.mse_loss)
    >>> [r.grad_w.shape for r in records], records.max_diff < 1e-5
    ([(3, 2), (1, 3)], True)
    """
    from .nn.layers import Softmax

    layers = _mlp_layers(mlp)
    x_arr, y_arr = _array(x), _array(y)
    a_prev = x_arr.astype(np.float64)
    # ---- 1-2: feedforward in NumPy ----
    zs, activations, inputs, maths = [], [], [a_prev], []
    for name, linear, act in layers:
        W = linear.weight.data.astype(np.float64)
        b = None if linear.bias is None else linear.bias.data.astype(np.float64)
        z = a_prev @ W.T + (0.0 if b is None else b)
        math_ = None if isinstance(act, Softmax) else _activation_math(act)
        if isinstance(act, Softmax):
            e = np.exp(z - z.max(axis=act.axis, keepdims=True))
            a = e / e.sum(axis=act.axis, keepdims=True)
        elif math_ is not None:
            a = math_[1](z)
        else:  # no textbook formula here: the layer's own forward
            with no_grad():
                a = act(Tensor(z)).data.astype(np.float64)
        zs.append(z)
        activations.append(a)
        inputs.append(a)
        maths.append(math_)
        a_prev = a
    # ∇ₐC: the derivative of the loss with respect to the network's output
    out = Tensor(activations[-1], requires_grad=True)
    with enable_grad():
        loss = loss_fn(out, Tensor._from_array(y_arr))
    (grad_a,) = gradients(loss, [out])
    grad_a = grad_a.data.astype(np.float64)

    # ---- the engine's answer, for the comparison ----
    modes = [(m, m.training) for m in _modules(mlp)]
    _set_training(mlp, False)
    try:
        with enable_grad():
            h = x if isinstance(x, Tensor) else Tensor(x_arr)
            eng_z, eng_a = [], []
            for _, linear, act in layers:
                z_t = linear(h)
                h = act(z_t) if act is not None else z_t
                eng_z.append(z_t)
                eng_a.append(h)
            eng_loss = loss_fn(h, Tensor._from_array(y_arr))
            params = []
            for _, linear, _act in layers:
                params.append(linear.weight)
                if linear.bias is not None:
                    params.append(linear.bias)
            found = gradients(eng_loss, eng_z + params)
    finally:
        for m, mode in modes:
            m.training = mode
    eng_delta = [g.data.astype(np.float64) for g in found[: len(layers)]]
    eng_params = iter(g.data.astype(np.float64) for g in found[len(layers) :])

    # ---- 3-5: output error, backpropagate, gradients, in NumPy ----
    records = BackpropExplanation()
    deltas: list[np.ndarray] = [None] * len(layers)  # type: ignore[list-item]
    sources = ["formula"] * len(layers)
    for k in reversed(range(len(layers))):
        name, linear, act = layers[k]
        z, a = zs[k], activations[k]
        g = (
            grad_a
            if k == len(layers) - 1
            else deltas[k + 1] @ layers[k + 1][1].weight.data.astype(np.float64)
        )
        if isinstance(act, Softmax):
            delta = a * (g - (g * a).sum(axis=act.axis, keepdims=True))
        elif maths[k] is not None:
            delta = g * maths[k][2](z, a)
        else:  # σ'(z) from autograd: d Σσ(z) / dz, exact for elementwise σ
            zt = Tensor(z, requires_grad=True)
            with enable_grad():
                (dsigma,) = gradients(act(zt).sum(), [zt])
            delta = g * dsigma.data
            sources[k] = "autograd"
        deltas[k] = delta
    for k, (name, linear, act) in enumerate(layers):
        delta, a_in = deltas[k], inputs[k]
        d2, a2 = delta.reshape(-1, delta.shape[-1]), a_in.reshape(-1, a_in.shape[-1])
        grad_w = d2.T @ a2
        grad_b = d2.sum(axis=0) if linear.bias is not None else None
        eng_w = next(eng_params)
        eng_b = next(eng_params) if linear.bias is not None else None
        act_name = (
            "softmax"
            if isinstance(act, Softmax)
            else maths[k][0] if maths[k] is not None else type(act).__name__.lower()
        )
        record = LayerRecord(
            k + 2,
            name,
            act_name,
            zs[k],
            activations[k],
            delta,
            grad_w,
            grad_b,
            derivative_from=sources[k],
        )
        record.delta_formula = (
            "∇ₐC" if k == len(layers) - 1 else f"(δ{_sup(k + 3)} W{_sup(k + 3)})"
        )
        if isinstance(act, Softmax):
            record.delta_formula = f"softmax: a{_sup(k + 2)} ⊙ (∇ₐC − Σₖ (∇ₐC)ₖ aₖ)"
        record.diffs = {
            "z": float(np.max(np.abs(zs[k] - eng_z[k].data))),
            "a": float(np.max(np.abs(activations[k] - eng_a[k].data))),
            "delta": float(np.max(np.abs(delta - eng_delta[k]))),
            "grad_w": float(np.max(np.abs(grad_w - eng_w))),
        }
        if grad_b is not None:
            record.diffs["grad_b"] = float(np.max(np.abs(grad_b - eng_b)))
        records.append(record)
    records.loss = float(loss.item())
    records.grad_output = grad_a
    return records


# ======================================================================================
# ---- learning-rate range test --------------------------------------------------------
# ======================================================================================


def _make_optimizer(optimizer: Any, model: Any, lr: float | None = None) -> Any:
    """An optimizer object from an optimizer or a factory ``f(params) -> optimizer``."""
    if optimizer is None:
        from .optim import SGD

        return SGD(list(model.parameters()), lr=1e-3 if lr is None else lr)
    if hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad"):
        return optimizer
    if callable(optimizer):
        return optimizer(list(model.parameters()))
    raise TypeError(
        f"expected an optimizer or a factory f(params) -> optimizer, got "
        f"{type(optimizer).__name__}"
    )


def _cycle(loader: Iterable) -> Iterable:
    """Batches forever: a new pass (a new shuffle) whenever the loader is exhausted."""
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            raise ValueError("the loader produced no batches")


def _suggest_lr(
    lrs: np.ndarray, losses: np.ndarray, window: float
) -> tuple[float, np.ndarray]:
    """(suggested lr, smoothed curve): steepest relative descent of the centred
    moving average, looked for before the curve's minimum."""
    log_lr = np.log10(lrs)
    step = (log_lr[-1] - log_lr[0]) / max(1, len(lrs) - 1)
    w = max(1, int(round(window / 2 / step)))
    padded = np.pad(losses, w, mode="edge")
    curve = np.convolve(padded, np.ones(2 * w + 1) / (2 * w + 1), mode="valid")
    lowest = int(np.argmin(curve))
    shape = np.log(curve) if np.all(curve > 0) else curve  # relative drop when possible
    slopes = []
    for i in range(min(w, lowest), lowest + 1):
        a, b = max(0, i - w), min(len(curve) - 1, i + w)
        if b > a:
            slopes.append(((shape[b] - shape[a]) / (log_lr[b] - log_lr[a]), i))
    if not slopes or min(slopes)[0] >= 0:  # never falls: a tenth of the lowest point
        return float(lrs[lowest]) / 10, curve
    return float(lrs[min(slopes)[1]]), curve


@dataclass
class LRFinderResult:
    """What ``lr_find`` measured: ``lrs``, raw ``losses``, ``smoothed`` losses
    (centred moving average), the ``suggested_lr`` (steepest relative descent of
    the smoothed loss), ``min_loss_lr`` and why it stopped (``stopped``)."""

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggested_lr: float
    min_loss_lr: float
    stopped: str

    def __str__(self) -> str:
        picks = np.unique(
            np.linspace(0, len(self.lrs) - 1, min(12, len(self.lrs))).astype(int)
        )
        rows = [
            [f"{self.lrs[i]:.2e}", float(self.losses[i]), float(self.smoothed[i])]
            for i in picks
        ]
        return "\n".join(
            [
                f"learning-rate range test: {len(self.lrs)} steps, lr "
                f"{self.lrs[0]:.1e} → {self.lrs[-1]:.1e} ({self.stopped})",
                _table(["lr", "loss", "smoothed"], rows),
                f"suggested lr {self.suggested_lr:.3g} (where the smoothed loss falls "
                f"fastest, relatively); lowest loss at {self.min_loss_lr:.3g} — pick "
                "the suggestion, or about a tenth of the lowest-loss lr",
            ]
        )

    def plot(self, path: Any = None) -> Any:
        """Loss against lr (log scale), the suggestion marked; saved when ``path`` is
        given. Needs matplotlib (``pip install tinygrad-edu[plot]``). Returns the
        Figure.
        """
        try:
            from matplotlib.figure import Figure
        except ImportError as err:
            raise ImportError(
                "LRFinderResult.plot needs matplotlib: pip install "
                "tinygrad-edu[plot]"
            ) from err
        fig = Figure(figsize=(5, 3.5), layout="constrained")
        ax = fig.subplots()
        ax.plot(self.lrs, self.losses, alpha=0.3, label="loss")
        ax.plot(self.lrs, self.smoothed, label="smoothed")
        ax.axvline(
            self.suggested_lr,
            color="red",
            linestyle="--",
            label=f"suggested {self.suggested_lr:.2g}",
        )
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.legend()
        if path is not None:
            fig.savefig(path)
        return fig


def lr_find(
    model: Any,
    loss_fn: LossFn,
    loader: Iterable,
    optimizer: Any = None,
    start_lr: float = 1e-6,
    end_lr: float = 10.0,
    num_steps: int = 100,
    window: float = 0.5,
    beta: float = 0.9,
    diverge: float = 4.0,
    plot: Any = None,
) -> LRFinderResult:
    """The learning-rate range test (Smith 2017): which α makes the loss fall fastest?

    One mini-batch step per learning rate, the rate growing exponentially,
    ``α_i = start·(end/start)^(i/(num_steps−1))``. The test stops once an
    exponential moving average of the loss (``m_i = β m_{i−1} + (1−β) loss_i``,
    bias-corrected) exceeds ``diverge`` × its minimum. The recorded losses are then
    smoothed by a centred moving average ``window`` decades wide (centred, so the
    curve does not lag behind the lr), and the suggestion is the α where the
    smoothed loss falls fastest *on a log scale* (most negative
    ``d log s / d log α``, before the minimum): the largest relative drop per
    step. For a quadratic loss each step multiplies the error by ``(1 − αλ)²``, so
    the relative drop is exactly what the learning rate controls. Afterwards the
    model (parameters, gradients, mode) and the optimizer (its ``state_dict`` and
    ``lr``) are restored.

    Parameters
    ----------
    model, loss_fn : the model and ``loss_fn(pred, target)``.
    loader : iterable of (x, y)
        Re-iterated when exhausted.
    optimizer : Optimizer, or factory ``f(params) -> Optimizer``, optional
        Default plain SGD. Its ``lr`` is overwritten at every step.
    start_lr, end_lr, num_steps : the range and the number of steps.
    window : float
        Width of the smoothing window, in decades of lr.
    plot : path, optional
        Also save the curve there (needs matplotlib).

    Returns
    -------
    LRFinderResult
        ``.suggested_lr``, the curves, ``str()`` a summary and ``.plot()``.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> from tinygrad_edu import nn
    >>> from tinygrad_edu.data import DataLoader
    >>> import tinygrad_edu.nn.functional as F
    >>> _ = tg.manual_seed(0)
    >>> X = np.random.default_rng(0).normal(size=(256, 2)).astype(np.float32)
    >>> y = X @ np.array([[2.0], [-1.0]], dtype=np.float32)
    >>> model = nn.Linear(2, 1)
    >>> result = lr_find(model, F.mse_loss, DataLoader(X, y, batch_size=32, seed=0))
    >>> 1e-3 < result.suggested_lr < 1
    True
    """
    if not (0 < start_lr < end_lr):
        raise ValueError(
            f"lr_find: need 0 < start_lr < end_lr, got {start_lr}, {end_lr}"
        )
    if num_steps < 3:
        raise ValueError(f"lr_find: num_steps must be >= 3, got {num_steps}")
    opt = _make_optimizer(optimizer, model, start_lr)
    saved = _ModelState(model)
    opt_state = opt.state_dict() if hasattr(opt, "state_dict") else None
    opt_lr = getattr(opt, "lr", None)
    lrs = start_lr * (end_lr / start_lr) ** (np.arange(num_steps) / (num_steps - 1))
    losses: list[float] = []
    average, best, stopped = 0.0, math.inf, "reached end_lr"
    _set_training(model, True)
    batches = iter(_cycle(loader))
    try:
        with np.errstate(all="ignore"):
            for i, lr in enumerate(lrs):
                opt.lr = float(lr)
                xb, yb = next(batches)
                opt.zero_grad()
                loss = loss_fn(model(xb), yb)
                value = float(loss.item())
                if not math.isfinite(value):
                    stopped = f"loss became {value} at lr {lr:.2g}"
                    break
                losses.append(value)
                average = beta * average + (1 - beta) * value
                smooth = average / (1 - beta ** (i + 1))
                best = min(best, smooth)
                if i > 0 and smooth > diverge * best:
                    stopped = (
                        f"diverged at lr {lr:.2g} (smoothed loss > {diverge:g}× its "
                        "minimum)"
                    )
                    break
                loss.backward()
                opt.step()
    finally:
        saved.restore()
        if opt_state is not None:
            opt.load_state_dict(opt_state)
        if opt_lr is not None:
            opt.lr = opt_lr
    if len(losses) < 3:
        raise RuntimeError(
            f"lr_find: the loss diverged at once ({stopped}); lower start_lr"
        )
    lrs = lrs[: len(losses)]
    suggested, curve = _suggest_lr(lrs, np.array(losses), window)
    lowest = int(np.argmin(curve))
    result = LRFinderResult(
        lrs, np.array(losses), curve, suggested, float(lrs[lowest]), stopped
    )
    if plot is not None:
        result.plot(plot)
    return result


# ======================================================================================
# ---- overfit one batch ---------------------------------------------------------------
# ======================================================================================


@dataclass
class OverfitReport:
    """``overfit_one_batch``: the ``losses`` per step, ``ok`` (reached ``tol``),
    ``verdict`` (a sentence), ``no_grad`` (parameters that got no gradient)."""

    losses: list[float]
    tol: float
    ok: bool
    verdict: str
    no_grad: list[str]

    @property
    def initial_loss(self) -> float:
        return self.losses[0]

    @property
    def final_loss(self) -> float:
        return self.losses[-1]

    def __str__(self) -> str:
        return (
            f"overfit one batch: loss {self.initial_loss:.4g} -> {self.final_loss:.4g} "
            f"in {len(self.losses) - 1} steps (target <= {self.tol:.3g}): "
            f"{'OK' if self.ok else 'FAILED'}\n{self.verdict}"
        )


def overfit_one_batch(
    model: Any,
    loss_fn: LossFn,
    optimizer: Any,
    x: Any,
    y: Any,
    steps: int = 200,
    tol: float | None = None,
    restore: bool = True,
) -> OverfitReport:
    """Can the model drive the loss of one small batch (nearly) to zero?

    The standard first sanity check: a network with enough capacity memorises a
    handful of samples. If the loss does not go to ~0, something is wrong before
    any question of generalisation: a bug (loss/target shapes, a missing
    non-linearity, parameters that get no gradient), too large a learning rate, or
    too small a model.

    Parameters
    ----------
    optimizer : Optimizer, or factory ``f(params) -> Optimizer``
    steps : int
        Gradient steps on the same batch.
    tol : float, optional
        Success when the loss reaches it; default 1% of the initial loss.
    restore : bool, default True
        Put the parameters (and the optimizer's state) back afterwards.

    Returns
    -------
    OverfitReport
        ``.ok``, ``.losses``, ``.verdict``.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> from tinygrad_edu import nn, optim
    >>> import tinygrad_edu.nn.functional as F
    >>> _ = tg.manual_seed(0)
    >>> model = nn.MLP([2, 16, 1], activation="tanh")
    >>> X, y = tg.randn(8, 2), tg.randn(8, 1)
    >>> opt = optim.Adam(model.parameters(), lr=0.05)
    >>> report = overfit_one_batch(model, F.mse_loss, opt, X, y)
    >>> report.ok
    True
    """
    opt = _make_optimizer(optimizer, model)
    saved = _ModelState(model) if restore else None
    opt_state = opt.state_dict() if restore and hasattr(opt, "state_dict") else None
    xb = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    yb = y if isinstance(y, Tensor) else Tensor(np.asarray(y))
    losses: list[float] = []
    no_grad_params: list[str] = []
    _set_training(model, True)
    try:
        with np.errstate(all="ignore"):
            for step in range(steps + 1):
                opt.zero_grad()
                loss = loss_fn(model(xb), yb)
                losses.append(float(loss.item()))
                if not math.isfinite(losses[-1]) or step == steps:
                    break
                loss.backward()
                if step == 0:
                    no_grad_params = [
                        n for n, p in _named_parameters(model) if p.grad is None
                    ]
                opt.step()
    finally:
        if saved is not None:
            saved.restore()
            if opt_state is not None:
                opt.load_state_dict(opt_state)
    first, last = losses[0], losses[-1]
    tol = 0.01 * abs(first) if tol is None else tol
    ok = math.isfinite(last) and last <= tol
    # still falling: the second half of the run still brings a real part of the drop
    half = losses[len(losses) // 2 :]
    late_drop = half[0] - half[-1]
    if ok:
        verdict = (
            "it memorises one batch, so the model and its gradients work; if full "
            "training still fails, look at the learning rate, the data and "
            "regularisation"
        )
    elif not math.isfinite(last) or last > first:
        verdict = "the loss grew: the learning rate is too large (try 10× smaller)"
    elif late_drop > 0.1 * (first - last) and late_drop > 0.01 * abs(half[0]):
        verdict = (
            "the loss is still falling: give it more steps or a larger learning " "rate"
        )
    else:
        verdict = (
            "the loss is stuck: the model is too small for even this batch, or there "
            "is a bug (loss/target shapes, a missing non-linearity, a parameter "
            "that gets no gradient)"
        )
    if no_grad_params:
        verdict += f"; these parameters got no gradient: {', '.join(no_grad_params)}"
    return OverfitReport(losses, tol, ok, verdict, no_grad_params)


# ======================================================================================
# ---- diagnose: the lecture's questions, answered ------------------------------------
# ======================================================================================


@dataclass
class Section:
    """One question of ``diagnose``: its ``verdict`` (a short phrase), whether it is
    ``flagged`` (something should change), a plain ``recommendation``, the numbers
    used (``evidence``) and their printout (``details``)."""

    key: str
    question: str
    verdict: str
    flagged: bool
    recommendation: str
    evidence: dict = field(default_factory=dict)
    details: str = ""

    def __str__(self) -> str:
        mark = "!!" if self.flagged else "ok"
        lines = [f"[{mark}] {self.question}  ->  {self.verdict.upper()}"]
        if self.details:
            lines += ["     " + line for line in self.details.splitlines()]
        lines.append(f"     => {self.recommendation}")
        return "\n".join(lines)


class DiagnosisReport(dict):
    """``{section key: Section}`` in the lecture's order: ``learning_rate``,
    ``initialisation``, ``more_data``, ``architecture``, ``more_epochs``,
    ``features``. ``flagged`` lists the sections asking for a change; ``str()`` is
    the whole report."""

    header: str = ""

    @property
    def flagged(self) -> list[str]:
        return [key for key, s in self.items() if s.flagged]

    def __str__(self) -> str:
        parts = [self.header, ""]
        parts += [f"{i}. {s}" for i, s in enumerate(self.values(), start=1)]
        todo = [f"  - {s.key}: {s.recommendation}" for s in self.values() if s.flagged]
        parts += ["", "what to change:" if todo else "nothing flagged."] + todo
        return "\n".join(parts)

    __repr__ = __str__


class _Budget:
    """Epochs left to spend (one epoch = one pass over the full training set)."""

    def __init__(self, total: float) -> None:
        self.total, self.spent = float(total), 0.0

    def fits(self, cost: float) -> bool:
        return self.spent + cost <= self.total + 1e-9

    def spend(self, cost: float) -> None:
        self.spent += cost


@dataclass
class _Run:
    lr: float
    train: list[float]  # full-data loss at init and after each epoch
    val: list[float]
    diverged: bool
    state: dict | None = None
    opt_state: dict | None = None
    behaviour: str = ""


def _train_run(
    model: Any,
    loss_fn: LossFn,
    opt: Any,
    X: np.ndarray,
    y: np.ndarray,
    Xv: np.ndarray,
    yv: np.ndarray,
    epochs: int,
    batch_size: int,
    seed: int,
    lr: float,
    curve: bool = True,
) -> _Run:
    """Plain mini-batch training (as ``train.fit``), stopping quietly on NaN/Inf."""
    from .data import DataLoader

    loader = DataLoader(X, y, batch_size=batch_size, shuffle=True, seed=seed)
    run = _Run(
        lr,
        [_loss_value(model, loss_fn, X, y)],
        [_loss_value(model, loss_fn, Xv, yv)],
        False,
    )
    for epoch in range(epochs):
        _set_training(model, True)
        with np.errstate(all="ignore"):
            for xb, yb in loader:
                opt.zero_grad()
                loss = loss_fn(model(xb), yb)
                if not math.isfinite(float(loss.item())):
                    run.diverged = True
                    break
                loss.backward()
                opt.step()
        if run.diverged or curve or epoch == epochs - 1:
            run.train.append(_loss_value(model, loss_fn, X, y))
            run.val.append(_loss_value(model, loss_fn, Xv, yv))
            run.diverged = run.diverged or not math.isfinite(run.train[-1])
        if run.diverged:
            break
    return run


def _behaviour(curve: list[float]) -> str:
    """'diverges' (NaN/Inf or ends above its start), 'oscillates' (the loss jumps up
    repeatedly) or 'converges'."""
    c = np.array(curve, dtype=np.float64)
    if not np.all(np.isfinite(c)) or c[-1] > c[0]:
        return "diverges"
    rises = np.diff(c) > 0.1 * (c[0] - c.min())
    if len(rises) >= 2 and rises.sum() >= max(2, len(rises) // 4):
        return "oscillates"
    return "converges"


def _constant_baseline(
    model: Any, loss_fn: LossFn, X: np.ndarray, y: np.ndarray
) -> float:
    """The loss of the best constant prediction (the same output for every sample),
    fitted by Adam on the loss itself: the 'knows nothing about x' reference."""
    from .optim import Adam

    with no_grad():
        out_shape = model(Tensor._from_array(X[:1])).shape[1:]
    start = np.zeros(out_shape)
    if y.shape[1:] == tuple(out_shape) and y.dtype.kind == "f":
        start = y.astype(np.float64).mean(axis=0)
    c = Tensor(start.astype(np.float64), requires_grad=True)
    opt = Adam([c], lr=0.05)
    ones = Tensor(np.ones((len(X),) + (1,) * len(out_shape)))
    yt = Tensor._from_array(y)
    with enable_grad(), np.errstate(all="ignore"):
        for _ in range(200):
            opt.zero_grad()
            loss_fn(ones * c, yt).backward()
            opt.step()
        with no_grad():
            return float(loss_fn(ones * c, yt).item())


def _arrays(data: Any, what: str) -> tuple[np.ndarray, np.ndarray, int | None]:
    """(X, y, batch size or None) from a DataLoader or an (X, y) pair."""
    from .data import DataLoader

    if hasattr(data, "X") and hasattr(data, "y"):
        return data.X, data.y, getattr(data, "batch_size", None)
    try:
        X, y = data
    except (TypeError, ValueError):
        raise TypeError(
            f"diagnose: {what} must be an (X, y) pair or a DataLoader"
        ) from None
    loader = DataLoader(
        _array(X), _array(y), shuffle=False
    )  # its dtype rules and checks
    return loader.X, loader.y, None


def _rel(a: float, b: float) -> float:
    """(a − b) / |a|, 0 when a is 0."""
    return (a - b) / abs(a) if a else 0.0


def _layers_at_least(stats: dict, key: str, threshold: float) -> dict[str, float]:
    """{layer: stats[layer][key]} for the layers where that fraction is >= threshold."""
    return {
        name: row[key]
        for name, row in stats.items()
        if row[key] is not None and row[key] >= threshold
    }


def diagnose(
    model: Any,
    loss_fn: LossFn,
    optimizer_factory: Callable,
    train: Any,
    val: Any = None,
    *,
    epochs: int | None = None,
    budget: float = 70,
    batch_size: int | None = None,
    lrs: Sequence[float] = (1.0, 0.1, 0.01),
    feature_names: Sequence[str] | None = None,
    seed: int = 0,
) -> DiagnosisReport:
    """One report answering the lecture's debugging questions, each with evidence.

    Every training below starts from the model's current (initial) parameters and
    the model is restored at the end. ``optimizer_factory(params)`` builds the
    optimizer to diagnose (e.g. ``lambda p: optim.SGD(p, lr=0.1)``); its ``lr`` is
    "your" learning rate, and the sweep sets ``opt.lr`` to the others. The losses
    compared are full-data losses in eval mode; "baseline" is the loss of the best
    *constant* prediction (a model that ignores x).

    1. **Learning rate?** Train ``epochs`` epochs at your lr and at each of ``lrs``
       (the lecture's ``[1, 0.1, 0.01]``). Each run diverges (NaN, or ends above its
       start), oscillates (the loss jumps up repeatedly) or converges; your lr is
       "too large" if it diverges/oscillates or a smaller lr ends clearly lower
       (by > 5% of the achievable drop), "too small" if a larger one does.
    2. **Initialise differently?** At init: dead ReLUs (units off for every sample),
       saturated sigmoid/tanh outputs, the first/last layer gradient ratio
       (vanishing gradients), the initial loss against the baseline, input scaling.
    3. **More data?** Learning curve: the same number of steps on 25%, 50% and 100%
       of the training set; more data helps when the validation loss still falls
       from 50% to 100% (> 10%) and there is a train/val gap (> 10%).
    4. **Architecture?** Underfitting when the trained model's train loss is above
       half the baseline and no longer falling (more capacity needed: a linear model
       cannot learn XOR); overfitting when val − train > 10% of the baseline and
       val > 1.5 × train.
    5. **More epochs?** Train ``epochs`` more: yes when the validation loss falls by
       more than 5%; "no (overfitting)" when it rises by 5% while the train loss falls.
    6. **Relevant features?** (2-D inputs) On the trained model and the validation set:
       input-gradient saliency ``mean_n |∂C_n/∂x_nj| · std_j`` and permutation
       importance (the rise of the validation loss when column j is shuffled,
       5 repeats); a feature whose importance is < 1% of the largest looks irrelevant.

    Parameters
    ----------
    train, val : (X, y) pairs or DataLoaders
        ``val=None`` holds out 20% of ``train``.
    epochs : int, optional
        Length of each training run; default ``max(1, budget // 7)`` (a full
        diagnosis costs about 7 runs).
    budget : float, default 70
        The most epochs (passes over the full training set) diagnose may spend;
        sections that do not fit are skipped and say so.
    batch_size : int, optional
        Default: the DataLoader's, else 32.
    feature_names : list of str, optional
        Default ``x0, x1, ...``.
    seed : int
        Shuffling, subsets and permutations; the runs are deterministic.

    Returns
    -------
    DiagnosisReport
        ``report["learning_rate"].verdict``, ``report.flagged``, ``print(report)``.

    Examples
    --------
    >>> import numpy as np, tinygrad_edu as tg
    >>> from tinygrad_edu import nn, optim
    >>> import tinygrad_edu.nn.functional as F
    >>> _ = tg.manual_seed(0)
    >>> X = np.random.default_rng(0).normal(size=(100, 2)).astype(np.float32)
    >>> y = X @ np.array([[2.0], [0.0]], dtype=np.float32)
    >>> report = diagnose(nn.Linear(2, 1), F.mse_loss, lambda p: optim.SGD(p, lr=10),
    ...                   (X[:80], y[:80]), (X[80:], y[80:]), budget=14)
    >>> report["learning_rate"].verdict, report["features"].evidence["ranking"]
    ('too large', ['x0', 'x1'])
    """
    X, y, loader_bs = _arrays(train, "train")
    if val is None:
        order = np.random.default_rng(seed).permutation(len(X))
        cut = max(1, len(X) // 5)
        Xv, yv, X, y = X[order[:cut]], y[order[:cut]], X[order[cut:]], y[order[cut:]]
    else:
        Xv, yv, _ = _arrays(val, "val")
    bs = int(batch_size or loader_bs or 32)
    E = int(epochs) if epochs is not None else max(1, int(budget // 7))
    if E < 1:
        raise ValueError(f"diagnose: epochs must be >= 1, got {epochs}")
    money = _Budget(budget)
    initial = _ModelState(model)
    params = list(model.parameters())
    is_class = isinstance(optimizer_factory, type)
    if (hasattr(optimizer_factory, "step") and not is_class) or not callable(
        optimizer_factory
    ):
        raise TypeError(
            "diagnose: optimizer_factory must build a fresh optimizer for each run, "
            "e.g. lambda params: optim.SGD(params, lr=0.1), not an optimizer object"
        )
    user_lr = float(optimizer_factory(params).lr)
    report = DiagnosisReport()
    try:
        baseline = _constant_baseline(model, loss_fn, X, y)
        L0 = _loss_value(model, loss_fn, X, y)

        def fresh(lr: float) -> Any:
            initial.restore(grads=False)
            opt = optimizer_factory(params)
            opt.lr = lr
            return opt

        # ---- 2. initialisation (measured first: it needs the untrained model) ----
        init_section = _initialisation_section(model, loss_fn, X, y, L0, baseline)

        # ---- 1. learning-rate sweep ----
        candidates = [user_lr] + [lr for lr in lrs if not math.isclose(lr, user_lr)]
        runs: list[_Run] = []
        skipped_lrs = []
        for lr in candidates:
            if not money.fits(E):
                skipped_lrs.append(lr)
                continue
            opt = fresh(lr)
            run = _train_run(model, loss_fn, opt, X, y, Xv, yv, E, bs, seed, lr)
            money.spend(E)
            run.state, run.opt_state = model.state_dict(), opt.state_dict()
            run.behaviour = _behaviour(run.train)
            runs.append(run)
        if not runs:
            raise ValueError(
                f"diagnose: budget {budget} is smaller than one run of "
                f"{E} epochs; raise budget or lower epochs"
            )
        lr_section, main = _learning_rate_section(runs, user_lr, skipped_lrs, E)

        # ---- 5. more epochs: continue the main run ----
        initial.restore(grads=False)
        model.load_state_dict(main.state)
        opt = optimizer_factory(params)
        opt.load_state_dict(main.opt_state)
        more = None
        if money.fits(E) and not main.diverged:
            more = _train_run(
                model, loss_fn, opt, X, y, Xv, yv, E, bs, seed + 1, main.lr, curve=False
            )
            money.spend(E)
        epochs_section, still_learning = _epochs_section(main, more, E, baseline)
        if more is not None and more.diverged:
            model.load_state_dict(main.state)
            more = None
        trained_train = more.train[-1] if more is not None else main.train[-1]
        trained_val = more.val[-1] if more is not None else main.val[-1]

        # ---- 6. features, on the trained model ----
        features_section = _features_section(
            model, loss_fn, X, Xv, yv, feature_names, seed
        )

        # ---- 4. architecture ----
        arch_section = _architecture_section(
            trained_train, trained_val, baseline, still_learning, main.diverged
        )

        # ---- 3. more data: a learning curve ----
        data_section = _data_section(
            model, loss_fn, fresh, X, y, Xv, yv, E, bs, seed, main, money, baseline
        )

        for section in (
            lr_section,
            init_section,
            data_section,
            arch_section,
            epochs_section,
            features_section,
        ):
            report[section.key] = section
    finally:
        initial.restore()
    report.header = (
        f"diagnose: {type(model).__name__}, {len(X)} training / {len(Xv)} validation "
        f"samples, batch size {bs}, {E} epochs per run, your lr {user_lr:g}; spent "
        f"{money.spent:g} of a budget of {money.total:g} epochs. Baseline (best "
        f"constant prediction) loss {baseline:.4g}; initial loss {L0:.4g}."
    )
    return report


def _learning_rate_section(
    runs: list[_Run], user_lr: float, skipped: list[float], E: int
) -> tuple[Section, _Run]:
    rows = [
        [
            f"{r.lr:g}" + (" (yours)" if r.lr == user_lr else ""),
            r.train[0],
            r.train[-1],
            r.val[-1],
            r.behaviour,
        ]
        for r in runs
    ]
    details = _table(
        ["lr", "start loss", f"train after {E} ep", "val", "behaviour"], rows
    )
    if skipped:
        details += f"\nnot run (budget): lr {', '.join(f'{lr:g}' for lr in skipped)}"
    user = runs[0]
    good = [r for r in runs if r.behaviour == "converges" and math.isfinite(r.val[-1])]
    best = min(good, key=lambda r: r.val[-1]) if good else None
    evidence = {
        "runs": {
            r.lr: {"train": r.train, "val": r.val, "behaviour": r.behaviour}
            for r in runs
        },
        "best_lr": best.lr if best else None,
        "your_lr": user_lr,
    }
    main = user
    if user.behaviour != "converges":
        verdict = "too large"
        if best is not None:
            advice = f"use lr {best.lr:g} (lowest validation loss, {best.val[-1]:.4g})"
            main = best
        else:
            advice = (
                "every lr tried misbehaves: try lr 10× smaller than the smallest tried"
            )
        rec = f"your lr {user_lr:g} {user.behaviour}; {advice}."
    elif (
        best is not None
        and best is not user
        and user.val[-1] - best.val[-1] > 0.05 * (user.val[0] - best.val[-1])
    ):
        verdict = "too small" if user_lr < best.lr else "too large"
        rec = (
            f"lr {best.lr:g} reaches validation loss {best.val[-1]:.4g} against "
            f"{user.val[-1]:.4g} with yours ({user_lr:g}) in the same {E} epochs: "
            f"{'raise' if verdict == 'too small' else 'lower'} it to about {best.lr:g}."
        )
    else:
        verdict = "ok"
        rec = (
            f"keep lr {user_lr:g}: it converges and no lr of the sweep does clearly "
            "better."
        )
    if main is not user:
        rec += f" (The sections below train with lr {main.lr:g}.)"
    return (
        Section(
            "learning_rate",
            "Should we change the learning rate?",
            verdict,
            verdict != "ok",
            rec,
            evidence,
            details,
        ),
        main,
    )


def _initialisation_section(
    model: Any,
    loss_fn: LossFn,
    X: np.ndarray,
    y: np.ndarray,
    L0: float,
    baseline: float,
) -> Section:
    sample = slice(0, min(len(X), 512))
    astats = activation_stats(model, Tensor._from_array(X[sample]))
    saved = [(p, p.grad) for p in model.parameters()]
    try:
        for p, _ in saved:
            p.grad = None
        with enable_grad(), np.errstate(all="ignore"):
            loss_fn(
                model(Tensor._from_array(X[sample])), Tensor._from_array(y[sample])
            ).backward()
        gstats = gradient_stats(model)
    finally:
        for p, g in saved:
            p.grad = g
    problems, advice = [], []
    unit_problems = [  # (statistic, what it is called, what to do)
        ("dead", "dead ReLUs", "dead ReLUs: use Kaiming init (nn.init.kaiming_uniform_), "
         "zero or small positive biases, or LeakyReLU"),
        ("saturated", "saturated units", "saturation: Xavier init "
         "(nn.init.xavier_uniform_) with smaller weights, and standardised inputs"),
    ]
    for key, label, fix in unit_problems:
        layers = _layers_at_least(astats, key, 0.5)
        if layers:
            problems.append(
                f"{label}: " + ", ".join(f"{n} {v:.0%}" for n, v in layers.items())
            )
            advice.append(fix)
    norms = [
        r["grad_norm"]
        for n, r in gstats.items()
        if n.endswith("weight") and r["grad_norm"] is not None
    ]
    ratio = None
    if len(norms) >= 2 and norms[-1] > 0:
        ratio = norms[0] / norms[-1]
        if ratio < 1e-3:
            problems.append(
                f"vanishing gradients: the first layer's gradient is "
                f"{ratio:.1e} × the last layer's"
            )
            advice.append(
                "vanishing gradients: ReLU-family activations and Xavier/Kaiming init"
            )
        elif ratio > 1e3:
            problems.append(
                f"exploding gradients: first/last layer gradient ratio {ratio:.1e}"
            )
            advice.append("exploding gradients: smaller initial weights")
    if baseline > 0 and L0 > 10 * baseline:
        problems.append(
            f"the initial loss {L0:.4g} is {L0 / baseline:.0f}× the baseline's"
        )
        advice.append(
            "initial outputs too large: scale down the last layer's initial weights"
        )
    scale = None
    if X.ndim == 2 and X.dtype.kind == "f":
        mu, sd = X.mean(axis=0), X.std(axis=0)
        scale = {"mean": mu.tolist(), "std": sd.tolist()}
        if np.any((sd > 0) & ((sd < 0.1) | (sd > 10) | (np.abs(mu) > 3 * sd))):
            problems.append(
                "inputs are not standardised (feature means/stds far from 0/1)"
            )
            advice.append("standardise the features: x ← (x − mean) / std")
    details = str(astats)
    if ratio is not None:
        details += f"\nfirst/last layer weight-gradient norm ratio at init: {ratio:.3g}"
    details += "\n" + (
        "; ".join(problems)
        if problems
        else "no dead, saturated or vanishing units at init"
    )
    rec = (
        "; ".join(advice) + "."
        if advice
        else "the initialisation looks healthy: keep it."
    )
    evidence = {
        "activation_stats": dict(astats),
        "gradient_stats": dict(gstats),
        "grad_ratio_first_last": ratio,
        "initial_loss": L0,
        "baseline": baseline,
        "input_scale": scale,
        "problems": problems,
    }
    return Section(
        "initialisation",
        "Should we initialise differently?",
        "problem" if problems else "ok",
        bool(problems),
        rec,
        evidence,
        details,
    )


def _epochs_section(
    main: _Run, more: _Run | None, E: int, baseline: float
) -> tuple[Section, bool]:
    if main.diverged:
        return (
            Section(
                "more_epochs",
                "Should we run for more epochs?",
                "no",
                False,
                "the run diverged: fix the learning rate first.",
                {},
            ),
            False,
        )
    if more is not None and not more.diverged:
        v0, v1, t0, t1 = main.val[-1], more.val[-1], main.train[-1], more.train[-1]
        how = f"in {E} more epochs"
    else:  # no budget left: the trend of the run's last quarter
        k = max(1, (len(main.val) - 1) // 4)
        v0, v1, t0, t1 = (
            main.val[-1 - k],
            main.val[-1],
            main.train[-1 - k],
            main.train[-1],
        )
        how = f"over the last {k} epochs of the run (no budget to train more)"
    val_gain, train_gain = _rel(v0, v1), _rel(t0, t1)
    # a change counts when it is 5% of the loss and 1% of the baseline (near the noise
    # floor, 5% of a tiny loss is noise)
    small = 0.01 * baseline
    details = _table(
        ["", "train loss", "val loss"],
        [
            ["before", t0, v0],
            ["after", t1, v1],
            ["change", f"{-train_gain:+.1%}", f"{-val_gain:+.1%}"],
        ],
    )
    evidence = {
        "val_before": v0,
        "val_after": v1,
        "train_before": t0,
        "train_after": t1,
        "val_gain": val_gain,
        "train_gain": train_gain,
    }
    if val_gain > 0.05 and v0 - v1 > small:
        verdict, rec = "yes", (
            f"the validation loss is still falling ({v0:.4g} -> {v1:.4g}, "
            f"{val_gain:.0%} {how}): train longer, stopping when it no "
            "longer improves (early stopping)."
        )
    elif val_gain < -0.05 and v1 - v0 > small and train_gain > 0:
        verdict, rec = "no (overfitting)", (
            f"the validation loss rises ({v0:.4g} -> {v1:.4g}) "
            f"while the train loss falls {how}: stop earlier "
            "(early stopping) or regularise."
        )
    else:
        verdict, rec = "no", (
            f"converged: the validation loss changed by {-val_gain:+.1%} "
            f"{how}; more epochs will not help."
        )
    still_learning = train_gain > 0.05 and t0 - t1 > small
    return (
        Section(
            "more_epochs",
            "Should we run for more epochs?",
            verdict,
            verdict == "yes",
            rec,
            evidence,
            details,
        ),
        still_learning,
    )


def _architecture_section(
    train_loss: float,
    val_loss: float,
    baseline: float,
    still_learning: bool,
    diverged: bool,
) -> Section:
    question = "Should we change the architecture?"
    evidence = {
        "train_loss": train_loss,
        "val_loss": val_loss,
        "baseline": baseline,
        "still_learning": still_learning,
    }
    if diverged or not (math.isfinite(train_loss) and math.isfinite(val_loss)):
        return Section(
            "architecture",
            question,
            "undecided",
            False,
            "training diverged: fix the learning rate first.",
            evidence,
        )
    ratio = train_loss / baseline if baseline > 0 else 0.0
    gap = (val_loss - train_loss) / baseline if baseline > 0 else 0.0
    evidence.update(train_over_baseline=ratio, gap_over_baseline=gap)
    details = _table(
        [
            "train loss",
            "val loss",
            "baseline",
            "train/baseline",
            "(val-train)/baseline",
        ],
        [[train_loss, val_loss, baseline, ratio, gap]],
    )
    if ratio > 0.5 and not still_learning:
        verdict, rec = "underfitting", (
            f"the model cannot fit even the training data: its train loss is "
            f"{ratio:.0%} of a constant predictor's and no longer falling. Add "
            "capacity (hidden layers or units, a non-linear activation: a linear "
            "model cannot learn XOR) or better features."
        )
    elif ratio > 0.5:
        verdict, rec = "undecided", (
            "the train loss is still high but still falling: run "
            "more epochs before judging the capacity."
        )
    elif gap > 0.1 and val_loss > 1.5 * train_loss:
        verdict, rec = "overfitting", (
            f"the validation loss ({val_loss:.4g}) is far above the train loss "
            f"({train_loss:.4g}): a smaller model, regularisation (weight decay, "
            "dropout) or more data."
        )
    else:
        verdict, rec = "ok", (
            "it fits the training data and generalises (small train/val "
            "gap): keep the architecture."
        )
    return Section(
        "architecture",
        question,
        verdict,
        verdict in ("underfitting", "overfitting"),
        rec,
        evidence,
        details,
    )


def _data_section(
    model: Any,
    loss_fn: LossFn,
    fresh: Callable,
    X: np.ndarray,
    y: np.ndarray,
    Xv: np.ndarray,
    yv: np.ndarray,
    E: int,
    bs: int,
    seed: int,
    main: _Run,
    money: _Budget,
    baseline: float,
) -> Section:
    question = "Do we need more training data?"
    order = np.random.default_rng(seed).permutation(len(X))
    rows, points = [], []
    for f in (0.25, 0.5):
        n = int(round(f * len(X)))
        epochs_f = int(
            math.ceil(E / f)
        )  # about the same number of steps as the full run
        cost = epochs_f * n / len(X)
        if n < 8 or main.diverged or not money.fits(cost):
            continue
        idx = order[:n]  # nested subsets: the 25% lie inside the 50%
        opt = fresh(main.lr)
        run = _train_run(
            model,
            loss_fn,
            opt,
            X[idx],
            y[idx],
            Xv,
            yv,
            epochs_f,
            bs,
            seed,
            main.lr,
            curve=False,
        )
        money.spend(cost)
        points.append((n, run.train[-1], run.val[-1]))
    points.append((len(X), main.train[-1], main.val[-1]))
    for n, t, v in points:
        rows.append([n, t, v, v - t])
    details = _table(["training samples", "train loss", "val loss", "gap"], rows)
    evidence = {"learning_curve": points}
    if len(points) < 2:
        return Section(
            "more_data",
            question,
            "skipped",
            False,
            "no learning curve (too few samples, a diverged run, or no budget "
            "left).",
            evidence,
            details,
        )
    (n1, _, v1), (n2, t2, v2) = points[-2], points[-1]
    gain = _rel(v1, v2)
    gap = (v2 - t2) / abs(v2) if v2 else 0.0
    evidence.update(val_gain=gain, relative_gap=gap)
    # as for epochs: a change must also be visible on the baseline's scale (2%)
    falling = gain > 0.1 and v1 - v2 > 0.02 * baseline
    if falling and gap > 0.1 and v2 - t2 > 0.02 * baseline:
        verdict, flagged, rec = (
            "likely helps",
            True,
            (
                f"the validation loss still falls with more data ({n1} -> {n2} "
                f"samples: {v1:.4g} -> {v2:.4g}) and stays {gap:.0%} above the train "
                "loss: more data should help."
            ),
        )
    elif falling:
        verdict, flagged, rec = (
            "may help a little",
            False,
            (
                f"the validation loss falls with more data ({gain:.0%}), but train "
                "and val are close: the model, not the data, limits it."
            ),
        )
    else:
        verdict, flagged, rec = (
            "unlikely to help",
            False,
            (
                f"the validation loss barely changes from {n1} to {n2} samples "
                f"({-gain:+.1%}): more of the same data will not help much."
            ),
        )
    return Section("more_data", question, verdict, flagged, rec, evidence, details)


def _features_section(
    model: Any,
    loss_fn: LossFn,
    X: np.ndarray,
    Xv: np.ndarray,
    yv: np.ndarray,
    names: Sequence[str] | None,
    seed: int,
    repeats: int = 5,
) -> Section:
    question = "Are the features relevant for the problem?"
    base = _loss_value(model, loss_fn, Xv, yv)
    if Xv.ndim != 2 or Xv.dtype.kind != "f" or not math.isfinite(base):
        return Section(
            "features",
            question,
            "skipped",
            False,
            "needs 2-D float inputs and a finite validation loss.",
            {},
        )
    d = Xv.shape[1]
    names = list(names) if names is not None else [f"x{j}" for j in range(d)]
    if len(names) != d:
        raise ValueError(f"diagnose: {len(names)} feature_names for {d} features")
    # saliency: |∂C/∂x| per sample (× N undoes the mean), scaled by the feature's spread
    modes = [(m, m.training) for m in _modules(model)]
    _set_training(model, False)
    try:
        xt = Tensor(Xv.copy(), requires_grad=True)
        with enable_grad(), np.errstate(all="ignore"):
            (g,) = gradients(loss_fn(model(xt), Tensor._from_array(yv)), [xt])
    finally:
        for m, mode in modes:
            m.training = mode
    saliency = np.abs(g.data.astype(np.float64)).mean(axis=0) * len(Xv) * X.std(axis=0)
    total = saliency.sum()
    share = saliency / total if total > 0 else saliency
    # permutation importance: how much worse is the loss when column j is shuffled?
    rng = np.random.default_rng(seed)
    importance = np.zeros(d)
    for j in range(d):
        rises = []
        for _ in range(repeats):
            shuffled = Xv.copy()
            shuffled[:, j] = rng.permutation(shuffled[:, j])
            rises.append(_loss_value(model, loss_fn, shuffled, yv) - base)
        importance[j] = np.mean(rises)
    order = np.argsort(-importance, kind="stable")
    top = max(importance.max(), 0.0)
    irrelevant = [names[j] for j in order if importance[j] <= 0.01 * top]
    rows = [
        [rank, names[j], float(importance[j]), float(share[j])]
        for rank, j in enumerate(order, start=1)
    ]
    details = (
        _table(
            ["rank", "feature", "val loss rise when shuffled", "saliency share"], rows
        )
        + f"\nvalidation loss {base:.4g}"
    )
    evidence = {
        "ranking": [names[j] for j in order],
        "permutation_importance": dict(zip(names, importance.tolist())),
        "saliency": dict(zip(names, share.tolist())),
        "irrelevant": irrelevant,
    }
    if irrelevant and top > 0:
        verdict, rec = "irrelevant features", (
            f"shuffling {', '.join(irrelevant)} changes the validation loss by less "
            "than 1% of what shuffling the most important feature does: probably "
            "irrelevant; try dropping them (or L1 regularisation / Lasso)."
        )
    elif top <= 0:
        verdict, rec = "none relevant", (
            "no feature matters to the trained model: it "
            "predicts a constant (see architecture and lr)."
        )
    else:
        verdict, rec = "all relevant", "every feature contributes: keep them."
    return Section(
        "features", question, verdict, verdict != "all relevant", rec, evidence, details
    )
