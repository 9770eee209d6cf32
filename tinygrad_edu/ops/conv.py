"""Convolutions, NCHW as in PyTorch: ``unfold`` (im2col) and ``fold`` (col2im), the
adjoint pair everything here is built on; ``conv2d`` (one matmul on the unfolded
input) and ``conv_transpose2d`` (one matmul, then a fold).

im2col: every kH×kW window of every channel becomes one column, so that a
convolution is a single matrix product ``W (C_out, C·kH·kW) @ cols (C·kH·kW, L)``
per image. The windows are copied with one strided copy per kernel offset (no
Python loop over pixels); fold adds the columns back into place with one ``+=``
per kernel offset (kH·kW of them). Because fold is unfold's adjoint, the gradient
of each is the other, and conv2d's gradient is ``fold(Wᵀ @ grad)`` for x and
``grad @ colsᵀ`` for W. A bias rides in the same matmuls: one more column of W
against a row of ones under the columns, so that ``grad @ colsᵀ`` also sums its
gradient (no separate pass over the output either way).

Pooling and batch normalisation live in ``ops/pool.py``.

Read next: ``ops/pool.py``, then ``nn/conv.py`` (the layers).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Context, Function
from ..tensor import Tensor, as_tensor
from ._im2col import (
    Window,
    check_bias,
    check_fits,
    check_groups,
    check_images,
    fold_array,
    fold_batches,
    group_columns,
    make_window,
    pair,
    unfold_array,
)

FOLD_BATCH_BYTES = 1 << 20  # columns folded per batch in conv2d's backward: ~L2 size


def _unfold_any(x: Any, window: Window) -> Any:
    """unfold on an array (plain NumPy) or on a Tensor (recorded, for create_graph)."""
    if isinstance(x, Tensor):
        return Unfold.apply(x, window=window)
    return unfold_array(x, window)


def _fold_any(cols: Any, size: tuple[int, int], window: Window) -> Any:
    """fold on an array (plain NumPy) or on a Tensor (recorded, for create_graph)."""
    if isinstance(cols, Tensor):
        return Fold.apply(cols, size=size, window=window)
    return fold_array(cols, size, window)


def _input_gradient(
    weight: np.ndarray, grad_groups: Any, shape: tuple, window: Window
) -> Any:
    """conv2d's grad_x = fold(Wᵀ @ grad). For arrays, a few images at a time (about
    FOLD_BATCH_BYTES of columns): each batch's columns are folded while still in
    cache, and the columns of the whole batch never exist at once."""
    n, groups, per_group, length = grad_groups.shape
    w_t = weight.reshape(groups, per_group, -1).swapaxes(-1, -2)  # (G, C/G·kk, O/G)
    rows = w_t.shape[-2] * groups  # C·kH·kW
    if isinstance(grad_groups, Tensor):  # create_graph: recorded, in one piece
        return _fold_any(
            (w_t @ grad_groups).reshape(n, rows, length), shape[-2:], window
        )
    dtype = np.result_type(weight, grad_groups)
    step = max(1, FOLD_BATCH_BYTES // (rows * length * dtype.itemsize))
    batches = (
        (w_t @ grad_groups[s : s + step]).reshape(-1, rows, length)
        for s in range(0, n, step)
    )
    return fold_batches(batches, shape[:2], dtype, shape[-2:], window)


# ---- the ops ---------------------------------------------------------------------


class Unfold(Function):
    """out = im2col(x) (every window a column);   grad_x = fold(grad) (its adjoint)"""

    name = "unfold"
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, window: Window = None) -> np.ndarray:
        ctx.window, ctx.image_size = window, x.shape[-2:]
        return unfold_array(x, window)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return _fold_any(grad, ctx.image_size, ctx.window)


class Fold(Function):
    """out = col2im(cols) (columns added back into place);   grad_cols = unfold(grad)"""

    name = "fold"
    differentiable_backward = True

    @staticmethod
    def forward(
        ctx: Context, cols: np.ndarray, size: tuple = (), window: Window = None
    ) -> np.ndarray:
        ctx.window = window
        return fold_array(cols, size, window)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        return _unfold_any(grad, ctx.window)


class Conv2d(Function):
    """out = W @ unfold(x) + b, per group;   grad_x = fold(Wᵀ @ grad),
    grad_W = Σ_n grad @ unfold(x)ᵀ,   grad_b = Σ_{n,h,w} grad"""

    name = "conv2d"
    differentiable_backward = True

    @staticmethod
    def forward(
        ctx: Context,
        x: np.ndarray,
        weight: np.ndarray,
        bias: np.ndarray | None = None,
        window: Window = None,
        groups: int = 1,
    ) -> np.ndarray:
        n, o = x.shape[0], weight.shape[0]
        w = weight.reshape(groups, o // groups, -1)
        if bias is not None:  # b as one more column of W, against a row of ones
            column = bias.reshape(groups, o // groups, 1)
            w = np.concatenate([w, column], axis=-1, dtype=np.result_type(x, weight))
        cols = group_columns(x, window, groups, ones=bias is not None)
        ctx.window, ctx.groups = window, groups
        ctx.save_for_backward(cols)  # the unfolded x, reused by an ordinary backward
        # (G, O/G, C/G·kH·kW) @ (N, G, C/G·kH·kW, L): one matmul, broadcast over N
        out = w @ cols
        return out.reshape((n, o) + window.out_size(x.shape[-2:]))

    @staticmethod
    def backward(ctx: Context, grad: Any) -> tuple:
        x, weight = ctx.values[:2]
        needs, groups = ctx.needs_input_grad, ctx.groups
        n, o = x.shape[0], weight.shape[0]
        grad_groups = grad.reshape(n, groups, o // groups, -1)  # (N, G, O/G, L)
        length = grad_groups.shape[-1]
        biased = len(ctx.inputs) == 3
        grad_x = grad_w = grad_b = None
        if needs[0]:
            grad_x = _input_gradient(weight, grad_groups, x.shape, ctx.window)
        if needs[1] and isinstance(grad, Tensor):  # create_graph: the columns are
            # recomputed from x, so that the graph sees them depend on x
            cols = _unfold_any(x, ctx.window).reshape(n, groups, -1, length)
            grad_w = (grad_groups @ cols.swapaxes(-1, -2)).sum(axis=0)
            grad_w = grad_w.reshape(weight.shape)
        elif needs[1]:  # forward's columns, with their row of ones given a bias
            # cols @ gradᵀ, not grad @ colsᵀ: the same numbers, ~10% faster in BLAS
            both = (ctx.saved_tensors[0] @ grad_groups.swapaxes(-1, -2)).sum(axis=0)
            both = both.swapaxes(-1, -2)  # (G, O/G, C/G·kk [+ 1])
            rows = weight[0].size  # C/G·kH·kW; column `rows` (if any) is b's
            grad_w = np.ascontiguousarray(both[..., :rows]).reshape(weight.shape)
            grad_b = both[..., rows].reshape(o) if biased else None
        if not (biased and needs[2]):
            grad_b = None
        elif grad_b is None:  # not from the columns' row of ones
            grad_b = grad.sum(axis=(0, 2, 3))
        return (grad_x, grad_w, grad_b) if biased else (grad_x, grad_w)


# ---- the functional API ----------------------------------------------------------


def unfold(
    x: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> Tensor:
    """im2col: every sliding window of a (N, C, H, W) batch as a column of
    (N, C·kH·kW, L), L = the number of window positions (PyTorch's ``F.unfold``).

    >>> import tinygrad_edu as tg
    >>> tg.unfold(tg.ones(2, 3, 5, 5), kernel_size=3).shape
    (2, 27, 9)
    """
    x = as_tensor(x)
    window = make_window("unfold", kernel_size, stride, padding, dilation)
    check_images("unfold", x)
    check_fits("unfold", x.shape[-2:], window)
    return Unfold.apply(x, window=window)


def fold(
    cols: Any,
    output_size: Any,
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
) -> Tensor:
    """col2im, unfold's adjoint: add columns (N, C·kH·kW, L) back into an image
    (N, C, H, W) of ``output_size`` (H, W), summing where windows overlap.

    >>> import tinygrad_edu as tg
    >>> tg.fold(tg.ones(1, 4, 4), output_size=3, kernel_size=2).tolist()[0][0]
    [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    """
    cols = as_tensor(cols)
    window = make_window("fold", kernel_size, stride, padding, dilation)
    size = pair(output_size, "output_size", "fold", 1)
    if cols.ndim != 3:
        raise ValueError(
            f"fold: input must be 3-D (N, C·kH·kW, L), got shape {cols.shape}"
        )
    out_size = check_fits("fold", size, window)
    per_channel = window.kernel[0] * window.kernel[1]
    if cols.shape[1] % per_channel or cols.shape[2] != out_size[0] * out_size[1]:
        raise ValueError(
            f"fold: input of shape {cols.shape} does not fit kernel {window.kernel} on "
            f"output {size}: expected (N, C·{per_channel}, "
            f"{out_size[0] * out_size[1]})"
        )
    return Fold.apply(cols, size=size, window=window)


def conv2d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation, as PyTorch) of x (N, C_in, H, W) with
    weight (C_out, C_in/groups, kH, kW); bias (C_out,) or None.

    >>> import tinygrad_edu as tg
    >>> tg.conv2d(tg.ones(2, 3, 8, 8), tg.ones(4, 3, 3, 3), padding=1).shape
    (2, 4, 8, 8)
    """
    x, weight = as_tensor(x), as_tensor(weight)
    window = make_window(
        "conv2d",
        weight.shape[-2:] if weight.ndim == 4 else 1,
        stride,
        padding,
        dilation,
    )
    groups = check_groups("conv2d", x, weight, groups, transposed=False)
    check_fits("conv2d", x.shape[-2:], window)
    if bias is None:
        return Conv2d.apply(x, weight, window=window, groups=groups)
    bias = check_bias("conv2d", bias, weight.shape[0])
    return Conv2d.apply(x, weight, bias, window=window, groups=groups)


def conv_transpose2d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """Transposed convolution (conv2d's adjoint in x) of x (N, C_in, H, W) with
    weight (C_in, C_out/groups, kH, kW): out = fold(Wᵀ @ x). Composite: its
    gradient comes from its parts (matmul and fold).

    >>> import tinygrad_edu as tg
    >>> tg.conv_transpose2d(tg.ones(1, 2, 4, 4), tg.ones(2, 3, 3, 3), stride=2).shape
    (1, 3, 9, 9)
    """
    op = "conv_transpose2d"
    x, weight = as_tensor(x), as_tensor(weight)
    window = make_window(
        op, weight.shape[-2:] if weight.ndim == 4 else 1, stride, padding, dilation
    )
    groups = check_groups(op, x, weight, groups, transposed=True)
    extra = pair(output_padding, "output_padding", op, 0)
    if any(e >= max(s, d) for e, s, d in zip(extra, window.stride, window.dilation)):
        raise ValueError(
            f"{op}: output_padding {extra} must be smaller than stride {window.stride} "
            f"or dilation {window.dilation}"
        )
    n, c_in, h, w = x.shape
    # every input pixel's window lands inside `full` (no padding); the output is
    # its [p, p + size) crop, zero-extended where output_padding reaches past it
    full = tuple(
        (m - 1) * s + sp for m, s, sp in zip((h, w), window.stride, window.span())
    )
    size = tuple(f - 2 * p + e for f, p, e in zip(full, window.padding, extra))
    if min(size) < 1:
        raise ValueError(
            f"{op}: input {(h, w)} with kernel {window.kernel}, stride "
            f"{window.stride} and padding {window.padding} gives an empty output {size}"
        )
    per_group = weight.reshape(groups, c_in // groups, -1).swapaxes(-1, -2)
    cols = per_group @ x.reshape(
        n, groups, c_in // groups, h * w
    )  # (N, G, C_out/G·kk, L)
    out = fold(
        cols.reshape(n, -1, h * w),
        full,
        window.kernel,
        window.dilation,
        0,
        window.stride,
    )
    beyond = [max(0, e - p) for e, p in zip(extra, window.padding)]
    if any(beyond):
        out = out.pad(((0, 0), (0, 0), (0, beyond[0]), (0, beyond[1])))
    (ph, pw), (oh, ow) = window.padding, size
    if ph or pw or any(beyond):
        out = out[:, :, ph : ph + oh, pw : pw + ow]
    if bias is None:
        return out
    return out + check_bias(op, bias, out.shape[1]).reshape(-1, 1, 1)
