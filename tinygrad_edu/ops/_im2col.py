"""Window geometry and im2col / col2im on NumPy arrays (the machinery of ``conv.py``
and ``pool.py``), with the argument checks the conv-net ops share.

A ``Window`` is kernel, stride, padding and dilation as (h, w) pairs. ``taps``
gives, per kernel offset, the strided slice of the padded image that offset reads
at every output position, so that everything here is one vectorised NumPy
operation per kernel offset (kH·kW of them) and never a Python loop over pixels:
``unfold_array`` copies the windows into columns, ``fold_array`` adds columns back,
and max pooling (``pool.py``) compares the taps.

Read next: ``ops/conv.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np

from ..tensor import Tensor, as_tensor

# ---- window geometry -------------------------------------------------------------


class Window(NamedTuple):
    """A sliding window over the last two axes: each field is an (h, w) pair."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]

    def out_size(self, size: tuple[int, int]) -> tuple[int, int]:
        """How many window positions fit along each axis (PyTorch's formula)."""
        return tuple(  # type: ignore[return-value]
            (n + 2 * p - d * (k - 1) - 1) // s + 1
            for n, k, s, p, d in zip(
                size, self.kernel, self.stride, self.padding, self.dilation
            )
        )

    def span(self) -> tuple[int, int]:
        """The extent of one dilated kernel: d·(k − 1) + 1."""
        spans = (d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation))
        return tuple(spans)  # type: ignore[return-value]


def pair(value: Any, what: str, op: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints as an (h, w) pair, each at least ``minimum``."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in items
    ):
        raise TypeError(f"{op}: {what} must be an int or a pair of ints, got {value!r}")
    if min(items) < minimum:
        raise ValueError(f"{op}: {what} must be >= {minimum}, got {value!r}")
    return int(items[0]), int(items[1])


def make_window(
    op: str, kernel_size: Any, stride: Any, padding: Any, dilation: Any
) -> Window:
    """Check the four window arguments (int or pair each) and bundle them."""
    return Window(
        pair(kernel_size, "kernel_size", op, 1),
        pair(stride, "stride", op, 1),
        pair(padding, "padding", op, 0),
        pair(dilation, "dilation", op, 1),
    )


def check_fits(op: str, size: tuple[int, int], window: Window) -> tuple[int, int]:
    """The output size, or a ValueError when the kernel exceeds the padded input."""
    padded = tuple(n + 2 * p for n, p in zip(size, window.padding))
    if any(s > n for s, n in zip(window.span(), padded)):
        raise ValueError(
            f"{op}: kernel {window.kernel} (spanning {window.span()} with dilation "
            f"{window.dilation}) is larger than the padded input {padded} (input "
            f"{tuple(size)} with padding {window.padding})"
        )
    return window.out_size(size)


def check_images(op: str, x: Tensor, what: str = "input") -> None:
    if x.ndim != 4:
        raise ValueError(f"{op}: {what} must be 4-D (N, C, H, W), got shape {x.shape}")


# ---- im2col / col2im on arrays ----------------------------------------------------


def pad_images(x: np.ndarray, padding: tuple[int, int], fill: float) -> np.ndarray:
    """x with ``padding`` rows and columns of ``fill`` on each side (x itself if
    none); np.full and one assignment, half of np.pad's time."""
    (ph, pw), (n, c, h, w) = padding, x.shape
    if not (ph or pw):
        return x
    padded = np.full((n, c, h + 2 * ph, w + 2 * pw), fill, dtype=x.dtype)
    padded[:, :, ph : ph + h, pw : pw + w] = x
    return padded


def taps(window: Window, out_size: tuple[int, int]) -> tuple[list, list]:
    """For each kernel row i (column j), the slice of padded rows (columns) that
    its tap reads at every output position."""
    (kh, kw), (sh, sw), _, (dh, dw) = window
    oh, ow = out_size
    rows = [slice(i * dh, i * dh + sh * (oh - 1) + 1, sh) for i in range(kh)]
    cols = [slice(j * dw, j * dw + sw * (ow - 1) + 1, sw) for j in range(kw)]
    return rows, cols


def unfold_array(x: np.ndarray, window: Window) -> np.ndarray:
    """im2col: (N, C, H, W) → (N, C·kH·kW, L), rows ordered (c, i, j) as PyTorch."""
    cols = group_columns(x, window, 1, ones=False)
    return cols.reshape(cols.shape[0], -1, cols.shape[-1])  # a view: no ones row


def group_columns(x: np.ndarray, window: Window, groups: int, ones: bool) -> np.ndarray:
    """im2col per group: (N, G, C/G·kH·kW, L), plus, with ``ones``, a last row of
    ones in each group (so that one matmul also adds a bias, and its transpose sums
    the bias gradient).

    Copied kernel column by kernel column: the padded columns tap j reads become
    one contiguous strip (N, C, H_padded, oW), from which each tap (i, j) takes
    whole rows: with stride 1 a single contiguous run per image and channel, not
    one short run per output row."""
    n, c = x.shape[:2]
    (kh, kw), (oh, ow) = window.kernel, window.out_size(x.shape[-2:])
    tap_rows, tap_cols = taps(window, (oh, ow))
    padded = pad_images(x, window.padding, 0.0)
    padded = padded.reshape((n, groups, c // groups) + padded.shape[-2:])
    rows = c // groups * kh * kw
    cols = np.empty((n, groups, rows + ones, oh * ow), dtype=x.dtype)
    # copy=False: the target must be a view of cols (it is: only axes are split)
    blocks = cols[:, :, :rows].reshape(
        (n, groups, c // groups, kh, kw, oh, ow), copy=False
    )
    for j, across in enumerate(tap_cols):
        strip = np.ascontiguousarray(padded[..., across])
        for i, down in enumerate(tap_rows):
            blocks[:, :, :, i, j] = strip[..., down, :]
    if ones:
        cols[:, :, rows] = 1
    return cols


def fold_array(cols: np.ndarray, size: tuple[int, int], window: Window) -> np.ndarray:
    """col2im: (N, C·kH·kW, L) → (N, C, H, W), overlapping windows adding up."""
    n, rows = cols.shape[:2]
    channels = rows // (window.kernel[0] * window.kernel[1])
    return fold_batches([cols], (n, channels), cols.dtype, size, window)


def fold_batches(
    batches: Iterable[np.ndarray],
    images: tuple[int, int],
    dtype: Any,
    size: tuple[int, int],
    window: Window,
) -> np.ndarray:
    """col2im of columns that arrive a few images at a time (each batch (B,
    C·kH·kW, L), consecutive images, ``images`` = (N, C) in all): a caller that
    makes each batch just before it is added keeps it in cache and never holds
    the columns of the whole batch.

    group_columns in reverse: the taps of kernel column j are summed into one strip
    (whole rows: contiguous with stride 1), and the strip is added into the padded
    image once, so that only kW of the adds run over short rows."""
    (kh, kw), (ph, pw) = window.kernel, window.padding
    oh, ow = window.out_size(size)
    tap_rows, tap_cols = taps(window, (oh, ow))
    out = np.zeros(images + (size[0] + 2 * ph, size[1] + 2 * pw), dtype=dtype)
    start = 0
    for cols in batches:
        stop = start + cols.shape[0]
        blocks = cols.reshape(stop - start, images[1], kh, kw, oh, ow)
        strip = np.empty(blocks.shape[:2] + (out.shape[2], ow), dtype=dtype)
        for j, across in enumerate(tap_cols):
            strip[...] = 0
            for i, down in enumerate(tap_rows):
                strip[:, :, down] += blocks[:, :, i, j]
            out[start:stop, :, :, across] += strip
        start = stop
    return out[:, :, ph : ph + size[0], pw : pw + size[1]]


# ---- argument checks -------------------------------------------------------------


def check_groups(
    op: str, x: Tensor, weight: Tensor, groups: Any, transposed: bool
) -> int:
    """Validate shapes of input and weight against ``groups``; returns groups."""
    check_images(op, x)
    check_images(op, weight, "weight")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"{op}: groups must be a positive int, got {groups!r}")
    if groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups}")
    c_in = x.shape[1]
    if transposed:  # weight (C_in, C_out/groups, kH, kW)
        expected = f"weight.shape[0] == C_in = {c_in}"
        c_out = weight.shape[1] * groups
        ok = weight.shape[0] == c_in
    else:  # weight (C_out, C_in/groups, kH, kW)
        expected = f"weight.shape[1] · groups == C_in = {c_in}"
        c_out = weight.shape[0]
        ok = weight.shape[1] * groups == c_in
    if c_in % groups or c_out % groups:
        raise ValueError(
            f"{op}: groups={groups} must divide both input channels ({c_in}) and "
            f"output channels ({c_out})"
        )
    if not ok:
        raise ValueError(
            f"{op}: input of shape {x.shape} has {c_in} channels but weight of shape "
            f"{weight.shape} with groups={groups} expects {expected}"
        )
    return int(groups)


def check_bias(op: str, bias: Any, channels: int) -> Tensor:
    bias = as_tensor(bias)
    if bias.shape != (channels,):
        raise ValueError(
            f"{op}: bias must have shape ({channels},) (one per output channel), got "
            f"{bias.shape}"
        )
    return bias
