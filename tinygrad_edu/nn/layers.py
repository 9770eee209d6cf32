"""Layers: Linear, Perceptron, MLP, Maxout, Dropout, and every activation as a module.

``Linear`` keeps PyTorch's layout and initialisation: ``weight`` is
``(out_features, in_features)`` and both weight and bias start from
``U(-1/√in, 1/√in)``, so the lecture's ``a' = σ(w a + b)`` is
``sigma(linear(a))`` with the rows of ``weight`` being the output neurons.

Read next: ``nn/init.py``, ``nn/functional.py``.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .. import ops
from .._rng import get_rng
from ..autograd import no_grad
from ..creation import check_size
from ..dtypes import get_default_dtype
from ..ops._util import real_number
from ..ops.nograd import no_grad_result
from ..tensor import Tensor, as_tensor
from . import functional as F
from . import init
from .module import Module, Parameter, Sequential


def _empty_parameter(*shape: int, dtype: Any = None, op: str) -> Parameter:
    """Zeros for the initialisers to fill; a ValueError naming ``op`` beyond
    ``tinygrad_edu.creation.MAX_CREATE_BYTES`` (the initialisers draw in float64)."""
    dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
    check_size(tuple(int(n) for n in shape), 8, op)
    return Parameter(np.zeros(shape, dtype=dtype))


def _check_features(name: str, **sizes: int) -> None:
    for what, n in sizes.items():
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n <= 0:
            raise ValueError(f"{name}: {what} must be a positive int, got {n!r}")


# ---- affine layers -------------------------------------------------------------------


class Linear(Module):
    """Fully connected layer ``y = x Wᵀ + b`` (the lecture's ``z = w a + b``,
    batched).

    ``weight``: ``(out_features, in_features)``; ``bias``: ``(out_features,)``; both
    drawn from ``U(-1/√in_features, 1/√in_features)`` as in PyTorch
    (``kaiming_uniform_(a=√5)``), in the default float dtype.

    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn
    >>> layer = nn.Linear(3, 2)
    >>> layer.weight.shape, layer(tg.ones(5, 3)).shape
    ((2, 3), (5, 2))
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, dtype: Any = None
    ) -> None:
        _check_features("Linear", in_features=in_features, out_features=out_features)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"Linear: bias must be True or False, got {bias!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        shape = (out_features, in_features)
        self.weight = _empty_parameter(*shape, dtype=dtype, op="Linear")
        self.bias = (
            _empty_parameter(out_features, dtype=dtype, op="Linear") if bias else None
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: weight and bias from U(-1/√fan_in, 1/√fan_in)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        return ops.linear(as_tensor(x, op="Linear"), self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


def _plus_minus_one(scores: np.ndarray) -> np.ndarray:
    """+1 where the score is > 0, else −1, in the scores' dtype."""
    return np.where(scores > 0, 1, -1).astype(scores.dtype)


class Perceptron(Module):
    """Rosenblatt's threshold unit: score ``s = w·x + b``, prediction ``sign(s)``.

    ``forward`` returns the score (shape ``(N,)`` for ``x`` of shape ``(N, in)``),
    to train with ``F.perceptron_loss`` (or ``hinge_loss``, or
    ``binary_cross_entropy_with_logits`` for logistic regression); ``predict``
    thresholds it to ±1; ``fit_perceptron_rule`` runs the classic mistake-driven
    rule. ``weight``: ``(in_features,)``, ``bias``: a scalar, initialised like
    ``Linear(in_features, 1)``.

    >>> import numpy as np, tinygrad_edu as tg
    >>> from tinygrad_edu import nn
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    >>> y = np.array([-1, -1, -1, 1])                 # AND with ±1 labels
    >>> p = nn.Perceptron(2)
    >>> mistakes = p.fit_perceptron_rule(X, y, epochs=100)
    >>> mistakes[-1], p.predict(X).tolist()
    (0, [-1.0, -1.0, -1.0, 1.0])
    """

    def __init__(self, in_features: int, dtype: Any = None) -> None:
        _check_features("Perceptron", in_features=in_features)
        self.in_features = int(in_features)
        self.weight = _empty_parameter(in_features, dtype=dtype, op="Perceptron")
        self.bias = _empty_parameter(dtype=dtype, op="Perceptron")
        bound = 1 / math.sqrt(self.in_features)
        init.uniform_(self.weight, -bound, bound)
        init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        return as_tensor(x, op="Perceptron") @ self.weight + self.bias

    def predict(self, x: Tensor) -> Tensor:
        """+1 where the score is > 0, else −1 (in the score's float dtype, no
        graph)."""
        with no_grad():
            s = self.forward(x)
        return no_grad_result("sign", _plus_minus_one, s)  # (an op: compile)

    def fit_perceptron_rule(
        self, X: Any, y: Any, epochs: int = 10, lr: float = 1.0, shuffle: bool = False
    ) -> list[int]:
        """The classic perceptron learning rule, one sample at a time.

        For each sample with ``y·(w·x + b) <= 0`` (a mistake):
        ``w ← w + lr·y·x`` and ``b ← b + lr·y``. Stops after an epoch without
        mistakes (guaranteed to happen when the data are linearly separable; never
        for XOR). Labels must be ±1. ``shuffle`` visits the samples in a fresh
        random order each epoch (the library's generator).

        Returns the number of mistakes in each epoch.
        """
        X = np.asarray(X.data if isinstance(X, Tensor) else X, dtype=self.weight.dtype)
        y = np.asarray(y.data if isinstance(y, Tensor) else y)
        if X.ndim != 2 or X.shape[1] != self.in_features or y.shape != (X.shape[0],):
            raise ValueError(
                "fit_perceptron_rule: expected X of shape "
                f"(N, {self.in_features}) and y of shape (N,), "
                f"got {X.shape} and {y.shape}"
            )
        if not np.all(np.abs(y) == 1):
            raise ValueError(
                "fit_perceptron_rule: labels must be -1 or +1; "
                "for 0/1 labels use 2 * y - 1"
            )
        w, b = self.weight.data, self.bias.data  # updated in place: no graph involved
        history = []
        for _ in range(int(epochs)):
            order = _epoch_order(len(X), shuffle)
            mistakes = 0
            for i in order:
                if y[i] * (X[i] @ w + b) <= 0:
                    w += lr * y[i] * X[i]
                    b += lr * y[i]
                    mistakes += 1
            history.append(mistakes)
            if mistakes == 0:
                break
        return history

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}"


def _epoch_order(n: int, shuffle: bool) -> np.ndarray:
    """Sample order for one epoch: 0..n-1, or a permutation from the library's rng."""
    return get_rng().permutation(n) if shuffle else np.arange(n)


class Maxout(Module):
    """Maxout unit, the lecture's ``max(w₁ᵀx + b₁, w₂ᵀx + b₂)``: ``pieces``
    linear maps.

    ``out_j = max_k (x · weight[k, j] + bias[k, j])`` with ``weight`` of shape
    ``(pieces, out_features, in_features)`` and ``bias`` ``(pieces, out_features)``,
    initialised like ``Linear``.

    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn
    >>> nn.Maxout(3, 2, pieces=4)(tg.ones(5, 3)).shape
    (5, 2)
    """

    def __init__(
        self, in_features: int, out_features: int, pieces: int = 2, dtype: Any = None
    ) -> None:
        _check_features(
            "Maxout", in_features=in_features, out_features=out_features, pieces=pieces
        )
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.pieces = int(pieces)
        shape = (pieces, out_features, in_features)
        self.weight = _empty_parameter(*shape, dtype=dtype, op="Maxout")
        self.bias = _empty_parameter(pieces, out_features, dtype=dtype, op="Maxout")
        bound = 1 / math.sqrt(self.in_features)
        init.uniform_(self.weight, -bound, bound)
        init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        k, m, n = self.pieces, self.out_features, self.in_features
        x = as_tensor(x, op="Maxout")
        # all pieces in one fused matmul, then the max over the piece axis
        z = ops.linear(x, self.weight.reshape(k * m, n), self.bias.reshape(k * m))
        x_shape = tuple(np.shape(x))
        return z.reshape(*x_shape[:-1], k, m).max(axis=-2)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"pieces={self.pieces}"
        )


class Dropout(Module):
    """Inverted dropout, drop probability ``p``, while training; identity in ``eval()``.

    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn
    >>> drop = nn.Dropout(0.5).eval()
    >>> drop(tg.ones(3)).tolist()
    [1.0, 1.0, 1.0]
    """

    def __init__(self, p: float = 0.5) -> None:
        F.check_dropout_probability(p, "Dropout")
        self.p = float(p)

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


# ---- activations as modules ----------------------------------------------------------


class ReLU(Module):
    """``max(0, x)``."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.relu(x)


class Sigmoid(Module):
    """``1 / (1 + e^−x)`` (computed stably)."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.sigmoid(x)


class Tanh(Module):
    """``tanh(x)``."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.tanh(x)


class LeakyReLU(Module):
    """``max(s·x, x)``; ``negative_slope`` s defaults to 0.01 as in PyTorch (the
    lecture's Leaky ReLU uses 0.1: ``LeakyReLU(0.1)``).

    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn
    >>> nn.LeakyReLU(0.1)(tg.Tensor([-1.0, 2.0])).tolist()
    [-0.1..., 2.0]
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        slope = real_number(negative_slope, "LeakyReLU", "negative_slope")
        self.negative_slope = float(slope)

    def forward(self, x: Tensor) -> Tensor:
        return ops.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """``x`` for x > 0, else ``α(e^x − 1)``."""

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = float(real_number(alpha, "ELU", "alpha"))

    def forward(self, x: Tensor) -> Tensor:
        return ops.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Softplus(Module):
    """``log(1 + e^x)``, a smooth ReLU."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.softplus(x)


class GELU(Module):
    """``x·Φ(x)``; ``approximate="tanh"`` for the tanh formula."""

    def __init__(self, approximate: str = "none") -> None:
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return ops.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return "" if self.approximate == "none" else f"approximate={self.approximate!r}"


class Softmax(Module):
    """``e^x / Σ e^x`` along ``axis`` (NumPy's name for PyTorch's ``dim``)."""

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def forward(self, x: Tensor) -> Tensor:
        return ops.softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class Identity(Module):
    """Returns its input unchanged (a placeholder, or a linear output layer)."""

    def forward(self, x: Tensor) -> Tensor:
        return as_tensor(x)


class Step(Module):
    """The perceptron's threshold: 1 where x > 0, else 0 (gradient zero everywhere)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.heaviside(x)


ACTIVATIONS: dict[str, type] = {
    "relu": ReLU,
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "leaky_relu": LeakyReLU,
    "elu": ELU,
    "gelu": GELU,
    "softplus": Softplus,
    "identity": Identity,
    "softmax": Softmax,
    "step": Step,
}


def get_activation(
    activation: str | Module | type | None, op: str = "get_activation"
) -> Module:
    """An activation module from a name (``"relu"``), a Module, or a Module class;
    ``None`` is the identity. Errors name ``op``, the function the user called.

    >>> from tinygrad_edu import nn
    >>> nn.layers.get_activation("tanh")
    Tanh()
    """
    if activation is None:
        return Identity()
    if isinstance(activation, Module):
        return activation
    if isinstance(activation, type) and issubclass(activation, Module):
        return activation()
    known = "a Module or one of: " + ", ".join(ACTIVATIONS)
    if not isinstance(activation, str):
        raise TypeError(f"{op}: activation must be {known}; got {activation!r}")
    if activation.lower() not in ACTIVATIONS:
        raise ValueError(f"{op}: unknown activation {activation!r}; use {known}")
    return ACTIVATIONS[activation.lower()]()


class MLP(Module):
    """Multi-layer perceptron: ``Linear → activation → … → Linear [→ output
    act.]``.

    ``sizes = [in, hidden…, out]``; ``activation`` after every hidden layer and
    ``output_activation`` (default none: raw scores/logits) after the last, each a
    name (relu, tanh, sigmoid, leaky_relu, elu, gelu, softplus, identity, also
    softmax, step), a Module, or ``None`` (no activation: the identity). Parameters
    beyond ``tinygrad_edu.creation.MAX_CREATE_BYTES`` are a ValueError. The layers live
    in ``self.layers`` (a Sequential), so the parameters are named
    ``layers.0.weight``, ``layers.0.bias``, ``layers.2.weight``, ...

    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn
    >>> mlp = nn.MLP([2, 8, 1], activation="tanh", output_activation="sigmoid")
    >>> mlp(tg.ones(4, 2)).shape, mlp.num_parameters()
    ((4, 1), 33)
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Module | type | None = "relu",
        output_activation: str | Module | type | None = None,
        dtype: Any = None,
    ) -> None:
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs at least [in, out], got {sizes}")
        for n in sizes:
            _check_features("MLP", sizes=n)
        count = sum(int(a) * int(b) + int(b) for a, b in zip(sizes[:-1], sizes[1:]))
        check_size((count,), 8, "MLP")  # before any layer allocates
        layers: list[Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(n_in, n_out, dtype=dtype))
            if i < len(sizes) - 2:
                layers.append(get_activation(activation, "MLP"))
            elif output_activation is not None:
                layers.append(get_activation(output_activation, "MLP"))
        self.sizes = sizes
        self.layers = Sequential(*layers)

    @property
    def linears(self) -> list[Linear]:
        """The Linear layers in order (the lecture's w¹, w², …)."""
        return [m for m in self.layers if isinstance(m, Linear)]

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}"
