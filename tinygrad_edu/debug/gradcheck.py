"""check_model_gradients: backprop of a whole model against central differences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..autograd import enable_grad, no_grad
from ..tensor import Tensor
from ._common import LossFn, _array, _modules, _named_parameters, _set_training, _table


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
