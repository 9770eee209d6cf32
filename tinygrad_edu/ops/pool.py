"""Pooling and batch normalisation for convolutional nets (NCHW, PyTorch's semantics).

``max_pool2d`` is one op: the forward finds each window's largest element (the
first one on ties, as PyTorch) and the backward sends the gradient there, adding
up where overlapping windows pick the same element. ``avg_pool2d`` and
``batch_norm`` are composites of unfold/mean and of elementwise ops and reductions,
so their gradients (and second derivatives) come from their parts.

Read next: ``nn/conv.py`` (the layers).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd import Context, Function
from ..tensor import Tensor, as_tensor
from ._im2col import (
    Window,
    check_fits,
    check_images,
    make_window,
    pad_images,
    taps,
)
from ._util import real_number
from .conv import unfold
from .nograd import no_grad_result
from .shape import ScatterAdd, _scatter_add


def _pool_window(
    op: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any
) -> Window:
    """PyTorch's pooling rules: stride defaults to the kernel, and padding may be at
    most half the kernel (so every window holds at least one real element)."""
    window = make_window(
        op, kernel_size, kernel_size if stride is None else stride, padding, 1
    )
    check_images(op, x)
    if any(2 * p > k for p, k in zip(window.padding, window.kernel)):
        raise ValueError(
            f"{op}: padding {window.padding} must be at most half of kernel_size "
            f"{window.kernel}"
        )
    check_fits(op, x.shape[-2:], window)
    return window


def _lowest(dtype: np.dtype) -> Any:
    """The padding value no real element loses to: -inf, or an int type's minimum."""
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def argmax_index(x: np.ndarray, window: Window) -> np.ndarray:
    """For each window, the flat index into x of its largest element (the first one
    in row-major window order on ties, as PyTorch; a NaN counts as the largest, as
    in ``argmax``); shape (N, C, oH, oW).

    One pass per kernel offset over every window at once (kH·kW of them, no Python
    loop over pixels): a tap replaces the best so far where it is larger, or NaN
    while the best is not."""
    n, c = x.shape[:2]
    (kh, kw), (oh, ow) = window.kernel, window.out_size(x.shape[-2:])
    padded = pad_images(x, window.padding, _lowest(x.dtype))
    tap_rows, tap_cols = taps(window, (oh, ow))
    best = padded[:, :, tap_rows[0], tap_cols[0]].copy()
    which = np.zeros(best.shape, dtype=np.intp)  # i·kW + j of the best tap
    for k in range(1, kh * kw):
        tap = padded[:, :, tap_rows[k // kw], tap_cols[k % kw]]
        better = ~(tap <= best)  # larger, or tap is NaN ...
        better &= best == best  # ... unless the best is already NaN
        np.copyto(best, tap, where=better)
        np.copyto(which, k, where=better)
    i, j = np.divmod(which, kw)
    (sh, sw), (ph, pw) = window.stride, window.padding
    rows = np.arange(oh).reshape(oh, 1) * sh + i - ph
    cols = np.arange(ow) * sw + j - pw
    planes = np.arange(n * c).reshape(n, c, 1, 1) * x.shape[2]
    return (planes + rows) * x.shape[3] + cols


class MaxPool2d(Function):
    """out = max over each window (first max on ties);   grad_x = grad scattered to
    each window's argmax (added up where windows overlap)"""

    name = "max_pool2d"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, window: Window = None) -> np.ndarray:
        index = argmax_index(x, window)
        ctx.index, ctx.in_shape, ctx.window = index, x.shape, window
        return x.reshape(-1)[index]

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        size = (int(np.prod(ctx.in_shape)),)
        if isinstance(
            grad, Tensor
        ):  # create_graph: a recorded scatter (its adjoint: gather)
            return ScatterAdd.apply(grad, index=ctx.index, shape=size).reshape(
                ctx.in_shape
            )
        if all(s >= k for s, k in zip(ctx.window.stride, ctx.window.kernel)):
            # windows that never overlap pick each element at most once: a plain
            # assignment, not np.add.at's slow accumulation
            out = np.zeros(size, dtype=grad.dtype)
            out[ctx.index] = grad
            return out.reshape(ctx.in_shape)
        return _scatter_add(grad, ctx.index, size).reshape(ctx.in_shape)


def max_pool2d(
    x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0
) -> Tensor:
    """Largest value of each kH×kW window of a (N, C, H, W) batch; stride defaults to
    the kernel size; padding counts as -inf.

    >>> import tinygrad_edu as tg
    >>> x = tg.arange(16.0).reshape(1, 1, 4, 4)
    >>> tg.max_pool2d(x, 2).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    x = as_tensor(x)
    window = _pool_window("max_pool2d", x, kernel_size, stride, padding)
    return MaxPool2d.apply(x, window=window)


def avg_pool2d(
    x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0
) -> Tensor:
    """Mean of each kH×kW window (zero padding counted, PyTorch's default
    ``count_include_pad=True``). Composite: unfold each channel, then mean.

    >>> import tinygrad_edu as tg
    >>> tg.avg_pool2d(tg.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    x = as_tensor(x)
    window = _pool_window("avg_pool2d", x, kernel_size, stride, padding)
    n, c, h, w = x.shape
    out_size = window.out_size((h, w))
    # every channel as its own one-channel image: the columns are its windows
    cols = unfold(
        x.reshape(n * c, 1, h, w), window.kernel, 1, window.padding, window.stride
    )
    return cols.mean(axis=1).reshape((n, c) + out_size)


# ---- batch normalisation ---------------------------------------------------------


def _running(value: Any, channels: int, what: str) -> np.ndarray | None:
    """The running statistic's array (shared, so it can be updated in place)."""
    if value is None:
        return None
    array = value.data if isinstance(value, Tensor) else value
    if not isinstance(array, np.ndarray) or array.shape != (channels,):
        shape = getattr(array, "shape", type(array).__name__)
        raise ValueError(
            f"batch_norm: {what} must be an array or Tensor of shape ({channels},), "
            f"got {shape}"
        )
    return array


def check_batch_norm_settings(name: str, eps: Any, momentum: Any) -> tuple:
    """``(eps, momentum)`` checked for ``name``: numbers (else TypeError), eps finite
    and > 0 (a non-positive eps divides by √0 or √negative), momentum in [0, 1]."""
    eps = real_number(eps, name, "eps")
    momentum = real_number(momentum, name, "momentum")
    if not 0.0 <= momentum <= 1.0:
        raise ValueError(f"{name}: momentum must be in [0, 1], got {momentum}")
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"{name}: eps must be a finite number > 0, got {eps}")
    return eps, momentum


def batch_norm(
    x: Any,
    running_mean: Any,
    running_var: Any,
    weight: Any = None,
    bias: Any = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (axis 1) of (N, C), (N, C, L) or (N, C, H, W):
    ``(x − mean) / √(var + eps) · weight + bias``.

    Training: the batch's mean and (biased) variance normalise, and the running
    arrays are updated in place, ``r ← (1 − momentum)·r + momentum·stat``, with
    the unbiased variance (× n/(n−1)) as PyTorch. Evaluation: the running statistics
    normalise. Composite: its gradient comes from its parts.

    >>> import numpy as np, tinygrad_edu as tg
    >>> mean, var = np.zeros(2), np.ones(2)
    >>> x = tg.Tensor([[1.0, 2.0], [3.0, 6.0]])
    >>> tg.batch_norm(x, mean, var, training=True).tolist()
    [[-0.99999..., -0.99999...], [0.99999..., 0.99999...]]
    >>> mean.round(6).tolist(), var.round(6).tolist()
    ([0.2, 0.4], [1.1, 1.7])
    """
    x = as_tensor(x)
    eps, momentum = check_batch_norm_settings("batch_norm", eps, momentum)
    if x.ndim not in (2, 3, 4):
        raise ValueError(
            "batch_norm: input must be (N, C), (N, C, L) or (N, C, H, W), got shape "
            f"{x.shape}"
        )
    channels = x.shape[1]
    mean_array = _running(running_mean, channels, "running_mean")
    var_array = _running(running_var, channels, "running_var")
    axes = (0,) + tuple(range(2, x.ndim))
    stat_shape = (channels,) + (1,) * (x.ndim - 2)
    if training:
        count = x.size // channels
        if count < 2:
            raise ValueError(
                f"batch_norm: training needs more than 1 value per channel, got input "
                f"shape {x.shape}"
            )
        mean = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, keepdims=True)

        def update(m: np.ndarray, v: np.ndarray) -> np.ndarray:
            if mean_array is not None:  # (in place: the arrays are the module's)
                np.multiply(mean_array, 1 - momentum, out=mean_array)
                np.add(mean_array, momentum * m.reshape(channels), out=mean_array)
            if var_array is not None:
                np.multiply(var_array, 1 - momentum, out=var_array)
                unbiased = momentum * count / (count - 1) * v.reshape(channels)
                np.add(var_array, unbiased, out=var_array)
            return np.empty(0, m.dtype)  # (an op returns an array; none reads this)

        # the running statistics are data, not part of the graph; an op, so that
        # a compiled training step updates them at every call
        no_grad_result("batch_norm running statistics", update, mean, var)
    else:
        if mean_array is None or var_array is None:
            raise ValueError(
                "batch_norm: evaluation (training=False) needs running_mean and "
                "running_var"
            )
        dtype = x.dtype
        # copies (a later in-place update must not change what this graph computed),
        # made by ops: a compiled function reads the running arrays at every call
        mean = no_grad_result(
            "running_mean", lambda: mean_array.reshape(stat_shape).astype(dtype)
        )
        var = no_grad_result(
            "running_var", lambda: var_array.reshape(stat_shape).astype(dtype)
        )
    out = (x - mean) / (var + eps).sqrt()
    if weight is not None:
        out = out * as_tensor(weight).reshape(stat_shape)
    if bias is not None:
        out = out + as_tensor(bias).reshape(stat_shape)
    return out
