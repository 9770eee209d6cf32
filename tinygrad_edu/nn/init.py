"""Weight initialisers with PyTorch's formulas (``torch.nn.init``), in place.

Each function fills ``tensor.data`` in place from the library's generator (see
``tinygrad_edu.manual_seed``) and returns the tensor. For a weight of shape
``(out_features, in_features)``: ``fan_in = in_features``, ``fan_out = out_features``
(times the receptive-field size for shapes with more than 2 axes).

- Xavier/Glorot (for tanh/sigmoid): ``std = gain * sqrt(2 / (fan_in + fan_out))``
- Kaiming/He (for ReLU): ``std = gain / sqrt(fan)``, ``fan = fan_in`` or ``fan_out``
- the uniform versions draw from ``U(-bound, bound)`` with ``bound = sqrt(3) * std``,
  which has that standard deviation.

Read next: ``nn/functional.py``.
"""

from __future__ import annotations

import math

import numpy as np

from .._rng import get_rng
from ..tensor import Tensor


def _data(tensor: Tensor) -> np.ndarray:
    data = tensor.data if isinstance(tensor, Tensor) else tensor
    if not isinstance(data, np.ndarray):
        raise TypeError(
            f"init: expected a Tensor or ndarray, got {type(tensor).__name__}"
        )
    return data


def _fill(tensor: Tensor, values: np.ndarray | float) -> Tensor:
    """Write values into the tensor's array in place, keeping its dtype."""
    np.copyto(_data(tensor), values, casting="unsafe")
    return tensor


def _check_floating(tensor: Tensor, init: str) -> None:
    """Random draws written into an int or bool array would be silently truncated
    (normal draws mostly to 0); PyTorch refuses too."""
    dtype = _data(tensor).dtype
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(
            f"{init}: needs a floating-point tensor, got dtype {dtype} (random draws "
            "would be cast to it); create it with a float dtype"
        )


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain PyTorch recommends for an activation (keeps activations' variance).

    linear/sigmoid → 1, tanh → 5/3, relu → √2, leaky_relu → √(2 / (1 +
    slope²)) (slope 0.01 unless ``param`` says otherwise), selu → 3/4.

    >>> round(calculate_gain("relu"), 4), round(calculate_gain("tanh"), 4)
    (1.4142, 1.6667)
    """
    name = nonlinearity.lower()
    if name in ("linear", "identity", "sigmoid", "conv1d", "conv2d", "conv3d"):
        return 1.0
    if name == "tanh":
        return 5.0 / 3
    if name == "relu":
        return math.sqrt(2.0)
    if name == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if name == "selu":
        return 3.0 / 4
    raise ValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; use one of "
        "linear, sigmoid, tanh, relu, leaky_relu, selu"
    )


def calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight shaped ``(out, in, *receptive_field)``.

    >>> import tinygrad_edu as tg
    >>> calculate_fan_in_and_fan_out(tg.zeros(3, 5))
    (5, 3)
    """
    shape = tuple(np.shape(tensor.data if isinstance(tensor, Tensor) else tensor))
    if len(shape) < 2:
        raise ValueError(
            "init: fan in and fan out need a tensor of at least 2 dims, "
            f"got shape {shape}"
        )
    receptive = int(np.prod(shape[2:], dtype=np.int64))
    return shape[1] * receptive, shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    raise ValueError(f"init: mode must be 'fan_in' or 'fan_out', got {mode!r}")


# ---- constants ---------------------------------------------------------------------


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0.

    >>> import tinygrad_edu as tg
    >>> zeros_(tg.ones(2)).tolist()
    [0.0, 0.0]
    """
    return _fill(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return _fill(tensor, 1.0)


# ---- random ------------------------------------------------------------------------


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with draws from U(a, b).

    >>> import tinygrad_edu as tg
    >>> w = uniform_(tg.zeros(1000), -1.0, 1.0)
    >>> bool((w.data >= -1).all() and (w.data < 1).all())
    True
    """
    return _uniform(tensor, a, b, "uniform_")


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with draws from N(mean, std²)."""
    return _normal(tensor, mean, std, "normal_")


def _uniform(tensor: Tensor, a: float, b: float, init: str) -> Tensor:
    _check_floating(tensor, init)
    if b < a:
        raise ValueError(f"{init}: need a <= b, got a={a}, b={b}")
    return _fill(tensor, get_rng().uniform(a, b, np.shape(tensor)))


def _normal(tensor: Tensor, mean: float, std: float, init: str) -> Tensor:
    _check_floating(tensor, init)
    if std < 0:
        raise ValueError(f"{init}: std must be >= 0, got {std}")
    return _fill(tensor, get_rng().normal(mean, std, np.shape(tensor)))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot uniform: U(-b, b) with ``b = gain * sqrt(6 / (fan_in + fan_out))``.

    >>> import tinygrad_edu as tg
    >>> w = xavier_uniform_(tg.zeros(3, 5))
    >>> bool(abs(w.data).max() <= (6 / 8) ** 0.5)
    True
    """
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return _uniform(tensor, -bound, bound, "xavier_uniform_")


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot normal: N(0, std²) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _normal(tensor, 0.0, std, "xavier_normal_")


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
) -> Tensor:
    """He uniform: U(-b, b) with ``b = sqrt(3) * gain / sqrt(fan)``.

    ``gain = calculate_gain(nonlinearity, a)`` (``a``: the leaky ReLU's slope).
    ``nn.Linear`` uses ``a = sqrt(5)``, which gives ``b = 1 / sqrt(fan_in)``.

    >>> import math, tinygrad_edu as tg
    >>> w = kaiming_uniform_(tg.zeros(4, 100), a=math.sqrt(5))
    >>> bool(abs(w.data).max() <= 0.1)
    True
    """
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return _uniform(tensor, -bound, bound, "kaiming_uniform_")


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
) -> Tensor:
    """He normal: N(0, std²) with ``std = gain / sqrt(fan)``."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return _normal(tensor, 0.0, std, "kaiming_normal_")


__all__ = [
    "calculate_gain", "calculate_fan_in_and_fan_out", "constant_", "zeros_", "ones_",
    "uniform_", "normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
    "kaiming_normal_",
]
