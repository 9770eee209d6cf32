"""check_model_gradients: backprop of a whole model against central differences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..autograd import enable_grad
from ..testing import numerical_grad
from ..tensor import Tensor
from ._common import LossFn, _array, _in_mode, _named_parameters, _table


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
    ``∂C/∂θ ≈ (C(θ + ε) − C(θ − ε)) / 2ε`` (error O(ε²)), against the
    ``.grad`` backprop computes. Every parameter tensor gets at least one sample (while
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
    x64, y64 = _float64(_array(x)), _float64(_array(y))
    originals = [(p, p.data, p.grad) for _, p in params]
    try:
        with _in_mode(model, False):
            for _, p in params:  # float64 copies: central differences need precision
                p.data = p.data.astype(np.float64)
                p.grad = None
            loss = _backprop(model, loss_fn, x64, y64)
            picks = _sample_elements([p.size for _, p in params], n, seed)
            entries = []
            for i, j in picks:
                name, p = params[i]
                a = 0.0 if p.grad is None else float(p.grad.data.reshape(-1)[j])
                numerical = _central_difference(model, loss_fn, x64, y64, p, j, eps)
                abs_err = abs(a - numerical)
                rel_err = abs_err / max(abs(a), abs(numerical), atol)
                ok = abs_err <= atol + rtol * abs(numerical)
                index = np.unravel_index(j, p.shape) if p.ndim else ()
                where = tuple(int(v) for v in index)
                entries.append((name, where, a, numerical, abs_err, rel_err, ok))
        return GradientCheckReport(entries, atol, rtol, eps, loss)
    finally:
        for p, data, grad in originals:
            p.data, p.grad = data, grad


def _float64(a: np.ndarray) -> np.ndarray:
    return a.astype(np.float64) if a.dtype.kind == "f" else a


def _backprop(model: Any, loss_fn: LossFn, x: np.ndarray, y: np.ndarray) -> float:
    """One backward pass (filling every parameter's ``.grad``); the loss value."""
    with enable_grad():
        loss = loss_fn(model(Tensor._from_array(x)), Tensor._from_array(y))
        if loss.size != 1:
            raise ValueError(
                "check_model_gradients: the loss must be a scalar, "
                f"got shape {loss.shape}"
            )
        loss.backward()
    return float(loss.item())


def _sample_elements(sizes: list[int], n: int, seed: int) -> list[tuple[int, int]]:
    """``n`` (parameter, flat index) pairs: one in each parameter first (while ``n``
    allows), the rest drawn at random among all elements, without repeats; sorted."""
    rng = np.random.default_rng(seed)
    picks: list[tuple[int, int]] = []
    for i in rng.permutation(len(sizes))[: min(n, len(sizes))]:
        picks.append((int(i), int(rng.integers(sizes[i]))))
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    total = int(offsets[-1])
    taken = {int(offsets[i]) + j for i, j in picks}
    want = min(n, total) - len(picks)
    if want > 0:
        for k in rng.choice(total, size=min(total, want + len(taken)), replace=False):
            if int(k) not in taken and want > 0:
                i = int(np.searchsorted(offsets, k, side="right") - 1)
                picks.append((i, int(k - offsets[i])))
                want -= 1
    return sorted(picks)


def _central_difference(
    model: Any,
    loss_fn: LossFn,
    x: np.ndarray,
    y: np.ndarray,
    p: Tensor,
    j: int,
    eps: float,
) -> float:
    """∂C/∂θ for θ = element ``j`` of ``p``, by ``testing.numerical_grad`` (the
    one central-difference routine of the package) on C as a function of that θ."""
    flat = p.data.reshape(-1)  # a view: writing it changes the parameter
    old = flat[j]

    def loss_at(theta: Tensor) -> Tensor:
        flat[j] = theta.data
        return loss_fn(model(Tensor._from_array(x)), Tensor._from_array(y))

    try:
        (g,) = numerical_grad(loss_at, [np.array(old, dtype=np.float64)], eps=eps)
    finally:
        flat[j] = old
    return float(g)
