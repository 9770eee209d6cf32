"""gradient_stats and activation_stats: one row per parameter or layer."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor
from .._display import html_table, short_text_table
from ._common import _array, _in_mode, _named_parameters, _table


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

    def _rows(self) -> list[list]:
        return [
            [name] + [row.get(c) for c in self.columns] for name, row in self.items()
        ]

    def __str__(self) -> str:
        body = _table(["layer"] + self.columns, self._rows())
        parts = ([self.title] if self.title else []) + [body] + list(self.notes)
        return "\n".join(parts)

    def __repr__(self) -> str:
        """At most ~20 lines: a long model's middle rows are elided (str() has all)."""
        body = short_text_table(["layer"] + self.columns, self._rows())
        return "\n".join(([self.title] if self.title else []) + [body] + self.notes[:1])

    def _repr_html_(self) -> str:
        return html_table(["layer"] + self.columns, self._rows(), caption=self.title)


def gradient_stats(
    model: Any, lr: float | Any = None, before: dict[str, np.ndarray] | None = None
) -> StatsTable:
    """Per parameter: the gradient's mean, std and norm, and the update/weight ratio.

    Read after ``loss.backward()``. For a parameter w with gradient g:
    ``grad/weight = ‖g‖ / ‖w‖`` and ``update/weight = ‖Δw‖ / ‖w‖``,
    where the update is either measured (pass ``before=model.state_dict()`` taken before
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
    from ..nn.module import Sequential

    return isinstance(module, Sequential)


def _layer_outputs(model: Any, x: Tensor) -> list[tuple[str, Any, Tensor]]:
    """(name, module, output) for every leaf layer the forward pass goes through.

    A ``Sequential`` (or an MLP's ``layers``) is run layer by layer, as the lecture's
    feedforward step; any other module is run once with its leaf layers' ``forward``
    wrapped on the *instance* (no class is touched; the wrappers are removed after).
    """
    from ..nn.layers import MLP

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
    from ..nn.layers import ELU, GELU, LeakyReLU, ReLU, Sigmoid, Tanh

    x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    with _in_mode(model, False), no_grad():
        outputs = _layer_outputs(model, x)
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
