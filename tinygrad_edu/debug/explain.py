"""explain_backward: the four backprop equations, written out per layer."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .._display import html_table, short_text_table
from ..autograd import enable_grad, no_grad
from ..functional import gradients
from ..tensor import Tensor
from ._common import LossFn, _array, _in_mode
from .stats import _is_sequential

_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _sup(n: int) -> str:
    return str(n).translate(_SUPERSCRIPTS)


def _np_sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))  # never exp of a large positive number
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _activation_math(module: Any) -> tuple[str, Callable, Callable] | None:
    """(name, σ(z), σ'(z, a)) in NumPy for the activations with a textbook formula."""
    from ..nn import layers as L

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


@dataclass(repr=False)
class LayerRecord:
    """One layer l of ``explain_backward``: its quantities and their check.

    ``z = a⁽ˡ⁻¹⁾Wᵀ + b`` and ``a = σ(z)`` (rows are samples), ``delta =
    ∂C/∂z``, ``grad_w = ∂C/∂W``, ``grad_b = ∂C/∂b``, all NumPy float64;
    ``diffs`` holds the largest absolute difference of each from autograd, ``max_diff``
    the largest.
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

    def summary_row(self) -> list:
        """layer, name, activation, shapes of z and ∂C/∂W, largest difference."""
        return [self.l, self.name, self.activation, str(self.z.shape),
                str(self.grad_w.shape), self.max_diff]

    def __repr__(self) -> str:
        return (f"LayerRecord(l={self.l}, name={self.name!r}, activation="
                f"{self.activation!r}, z {self.z.shape}, grad_w {self.grad_w.shape}, "
                f"max_diff={self.max_diff:.3g})")


class BackpropExplanation(list):
    """The ``LayerRecord`` of each layer (input side first), with ``loss``,
    ``grad_output`` (∇ₐC) and ``max_diff``; ``str()`` prints the whole
    derivation."""

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
            "  1. input a¹ = x;  2. feedforward zˡ = aˡ⁻¹ Wˡᵀ + bˡ, aˡ = "
            "σ(zˡ)",
            f"  3. output error δ{_sup(L)} = ∇ₐC ⊙ σ'(z{_sup(L)})",
            "  4. backpropagate δˡ = (δˡ⁺¹ Wˡ⁺¹) ⊙ σ'(zˡ)   "
            "[(wˡ⁺¹)ᵀδˡ⁺¹ for columns]",
            "  5. ∂C/∂Wˡ = δˡᵀ aˡ⁻¹ (summed over the batch),  ∂C/∂bˡ "
            "= Σₙ δˡ",
            f"loss C = {self.loss:.6g}",
        ]
        verdict = f"largest difference from autograd: {self.max_diff:.3g} -> " + (
            "the equations and the engine agree"
            if self.max_diff < 1e-4
            else "they DISAGREE: check the model and the loss"
        )
        return "\n".join(head + [str(r) for r in reversed(self)] + [verdict])

    _HEADERS = ["layer", "name", "activation", "z shape", "∂C/∂W shape", "max diff"]

    def __repr__(self) -> str:
        """A short table, one row per layer (``print()`` shows the derivation)."""
        return "\n".join([
            f"explain_backward: {len(self)} layers, loss {self.loss:.6g}, largest "
            f"difference from autograd {self.max_diff:.3g} (print() for the equations)",
            short_text_table(self._HEADERS, [r.summary_row() for r in self]),
        ])

    def _repr_html_(self) -> str:
        return html_table(self._HEADERS, [r.summary_row() for r in self],
                          caption=f"explain_backward: loss {self.loss:.6g}, largest "
                          f"difference from autograd {self.max_diff:.3g}")


def _mlp_layers(mlp: Any) -> list[tuple[str, Any, Any]]:
    """[(name, Linear, activation module or None)] of an MLP or a Sequential."""
    from ..nn.layers import MLP, Dropout, Linear, Softmax

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

    * feedforward: ``zˡ = aˡ⁻¹ (Wˡ)ᵀ + bˡ``,  ``aˡ = σ(zˡ)``, with ``a¹ =
    x``;
    * output error (1): ``δᴸ = ∇ₐC ⊙ σ'(zᴸ)``;
    * backpropagate (2): ``δˡ = (δˡ⁺¹ Wˡ⁺¹) ⊙ σ'(zˡ)`` — the lecture's
      ``((wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ σ'(zˡ)`` for one column vector;
    * output: ``∂C/∂Wˡ = (δˡ)ᵀ aˡ⁻¹`` (the lecture's ``a_k^{l−1}
    δ_j^l``, summed
      over the batch) and ``∂C/∂bˡ = Σₙ δˡ``.

    σ' is written out for relu, leaky_relu, sigmoid, tanh, elu, softplus and the
    identity (other elementwise activations take σ' from the engine, and say so);
    a softmax output uses ``δᴸ = a ⊙ (g − Σₖ gₖaₖ)``. ``∇ₐC``, the
    loss's own derivative, is the one input taken from autograd. Every quantity is
    compared with the engine (its forward, ``∂C/∂z`` and the parameters' gradients,
    obtained with ``tinygrad_edu.gradients`` so no ``.grad`` is touched).

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
    layers = _mlp_layers(mlp)
    x_arr, y_arr = _array(x), _array(y)
    forward = _feedforward(layers, x_arr.astype(np.float64))  # steps 1-2, in NumPy
    out = Tensor(forward.activations[-1], requires_grad=True)
    with enable_grad():  # ∇ₐC: the loss's derivative with respect to the output
        loss = loss_fn(out, Tensor._from_array(y_arr))
    (grad_a,) = gradients(loss, [out])
    grad_a = grad_a.data.astype(np.float64)
    engine = _engine_answer(mlp, x, x_arr, y_arr, layers, loss_fn)
    deltas, sources = _deltas(layers, forward, grad_a)  # steps 3-4, in NumPy
    records = BackpropExplanation()
    for k in range(len(layers)):  # step 5, each layer checked against autograd
        records.append(_layer_record(k, layers, forward, deltas[k], sources[k], engine))
    records.loss = float(loss.item())
    records.grad_output = grad_a
    return records


class _Forward:
    """The NumPy feedforward: per layer z, a, the layer's input, and the textbook
    (name, σ, σ') of its activation (None for softmax or an unknown one)."""

    def __init__(self) -> None:
        self.zs: list[np.ndarray] = []
        self.activations: list[np.ndarray] = []
        self.inputs: list[np.ndarray] = []
        self.maths: list[Any] = []


def _feedforward(layers: list, a_prev: np.ndarray) -> _Forward:
    """zˡ = aˡ⁻¹ (Wˡ)ᵀ + bˡ and aˡ = σ(zˡ), layer by layer, in float64 NumPy."""
    from ..nn.layers import Softmax

    forward = _Forward()
    forward.inputs.append(a_prev)
    for _name, linear, act in layers:
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
        forward.zs.append(z)
        forward.activations.append(a)
        forward.inputs.append(a)
        forward.maths.append(math_)
        a_prev = a
    return forward


def _engine_answer(mlp, x, x_arr, y_arr, layers, loss_fn) -> dict[str, list]:
    """Autograd's z, a, δ = ∂C/∂z and parameter gradients, for the comparison."""
    with _in_mode(mlp, False), enable_grad():
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
    as64 = [g.data.astype(np.float64) for g in found]
    return {
        "z": [t.data for t in eng_z],
        "a": [t.data for t in eng_a],
        "delta": as64[: len(layers)],
        "params": as64[len(layers) :],
    }


def _deltas(layers: list, forward: _Forward, grad_a: np.ndarray) -> tuple[list, list]:
    """δᴸ = ∇ₐC ⊙ σ'(zᴸ) and δˡ = (δˡ⁺¹ Wˡ⁺¹) ⊙ σ'(zˡ), from the last layer back;
    with where each σ' came from ("formula", or "autograd" for an unknown σ)."""
    from ..nn.layers import Softmax

    deltas: list[np.ndarray] = [None] * len(layers)  # type: ignore[list-item]
    sources = ["formula"] * len(layers)
    for k in reversed(range(len(layers))):
        _name, _linear, act = layers[k]
        z, a = forward.zs[k], forward.activations[k]
        if k == len(layers) - 1:
            g = grad_a
        else:
            g = deltas[k + 1] @ layers[k + 1][1].weight.data.astype(np.float64)
        if isinstance(act, Softmax):
            delta = a * (g - (g * a).sum(axis=act.axis, keepdims=True))
        elif forward.maths[k] is not None:
            delta = g * forward.maths[k][2](z, a)
        else:  # σ'(z) from autograd: d Σσ(z) / dz, exact for elementwise σ
            zt = Tensor(z, requires_grad=True)
            with enable_grad():
                (dsigma,) = gradients(act(zt).sum(), [zt])
            delta = g * dsigma.data
            sources[k] = "autograd"
        deltas[k] = delta
    return deltas, sources


def _layer_record(k, layers, forward, delta, source, engine) -> LayerRecord:
    """Layer k's record: ∂C/∂W = δᵀ a, ∂C/∂b = Σ δ, and the differences from
    autograd's values."""
    from ..nn.layers import Softmax

    name, linear, act = layers[k]
    a_in = forward.inputs[k]
    d2, a2 = delta.reshape(-1, delta.shape[-1]), a_in.reshape(-1, a_in.shape[-1])
    grad_w = d2.T @ a2
    grad_b = d2.sum(axis=0) if linear.bias is not None else None
    position = sum(1 + (lin.bias is not None) for _, lin, _ in layers[:k])
    eng_w = engine["params"][position]
    if isinstance(act, Softmax):
        act_name = "softmax"
    elif forward.maths[k] is not None:
        act_name = forward.maths[k][0]
    else:
        act_name = type(act).__name__.lower()
    z, a = forward.zs[k], forward.activations[k]
    record = LayerRecord(
        k + 2, name, act_name, z, a, delta, grad_w, grad_b, derivative_from=source
    )
    record.delta_formula = (
        "∇ₐC" if k == len(layers) - 1 else f"(δ{_sup(k + 3)} W{_sup(k + 3)})"
    )
    if isinstance(act, Softmax):
        record.delta_formula = f"softmax: a{_sup(k + 2)} ⊙ (∇ₐC − Σₖ (∇ₐC)ₖ aₖ)"
    record.diffs = {
        "z": float(np.max(np.abs(z - engine["z"][k]))),
        "a": float(np.max(np.abs(a - engine["a"][k]))),
        "delta": float(np.max(np.abs(delta - engine["delta"][k]))),
        "grad_w": float(np.max(np.abs(grad_w - eng_w))),
    }
    if grad_b is not None:
        eng_b = engine["params"][position + 1]
        record.diffs["grad_b"] = float(np.max(np.abs(grad_b - eng_b)))
    return record


# ======================================================================================
