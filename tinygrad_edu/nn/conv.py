"""Layers of convolutional nets, as ``torch.nn``: Conv2d, ConvTranspose2d, MaxPool2d,
AvgPool2d, BatchNorm1d, BatchNorm2d and Flatten (NCHW throughout).

Each layer keeps its settings and parameters and calls the op of the same name in
``tinygrad_edu.ops`` (``ops/conv.py``, ``ops/pool.py``). Weights start as PyTorch's
do: ``kaiming_uniform_(a=√5)``, i.e. ``U(-1/√fan_in, 1/√fan_in)`` with
``fan_in = in_channels/groups · kH · kW``, drawn from the library's seeded generator.
BatchNorm's running statistics are ``Buffer``s: saved in ``state_dict``, never trained.

Read next: ``examples/11_cnn_digits.py`` (a small CNN on the ``digits`` dataset).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import ops
from ..dtypes import get_default_dtype
from ..ops._im2col import Window, make_window, pair
from ..ops._util import normalize_axes
from ..ops.pool import check_batch_norm_settings
from ..tensor import Tensor
from . import init
from .layers import _check_features, _empty_parameter
from .module import Buffer, Module


class _ConvNd(Module):
    """What Conv2d and ConvTranspose2d share: settings, parameters, PyTorch's init."""

    #: weight (in_channels, out_channels/groups, kH, kW), not (out, in/groups, ...)
    transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        window: Window,
        groups: int,
        bias: bool,
        dtype: Any,
    ) -> None:
        name = type(self).__name__
        _check_features(
            name, in_channels=in_channels, out_channels=out_channels, groups=groups
        )
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{name}: groups={groups} must divide in_channels ({in_channels}) and "
                f"out_channels ({out_channels})"
            )
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size, self.stride, self.padding, self.dilation = window
        self.groups = int(groups)
        if self.transposed:
            shape = (in_channels, out_channels // groups, *self.kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = _empty_parameter(*shape, dtype=dtype, op=name)
        self.bias = None
        if bias:
            self.bias = _empty_parameter(out_channels, dtype=dtype, op=name)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: weight and bias from U(-1/√fan_in, 1/√fan_in)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * self.kernel_size[0] * self.kernel_size[1]
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if any(self.padding):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")


class Conv2d(_ConvNd):
    """2-D convolution layer: ``weight`` (out_channels, in_channels/groups, kH, kW),
    ``bias`` (out_channels,).

    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn
    >>> conv = nn.Conv2d(3, 8, kernel_size=3, padding=1)
    >>> conv.weight.shape, conv(tg.ones(2, 3, 16, 16)).shape
    ((8, 3, 3, 3), (2, 8, 16, 16))
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        dtype: Any = None,
    ) -> None:
        window = make_window("Conv2d", kernel_size, stride, padding, dilation)
        super().__init__(in_channels, out_channels, window, groups, bias, dtype)

    def forward(self, x: Tensor) -> Tensor:
        return ops.conv2d(
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
        )


class ConvTranspose2d(_ConvNd):
    """Transposed convolution layer (upsampling): ``weight`` (in_channels,
    out_channels/groups, kH, kW), ``bias`` (out_channels,).

    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn
    >>> up = nn.ConvTranspose2d(8, 3, kernel_size=2, stride=2)
    >>> up.weight.shape, up(tg.ones(1, 8, 5, 5)).shape
    ((8, 3, 2, 2), (1, 3, 10, 10))
    """

    transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        dtype: Any = None,
    ) -> None:
        name = "ConvTranspose2d"
        self.output_padding = pair(output_padding, "output_padding", name, 0)
        window = make_window(name, kernel_size, stride, padding, dilation)
        super().__init__(in_channels, out_channels, window, groups, bias, dtype)

    def forward(self, x: Tensor) -> Tensor:
        return ops.conv_transpose2d(
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.output_padding,
            self.groups,
            self.dilation,
        )


# ---- pooling ---------------------------------------------------------------------


class _Pool2d(Module):
    """Kernel, stride (the kernel's by default) and padding, then ``pool``."""

    pool: Any = None  # the op: ops.max_pool2d or ops.avg_pool2d

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        name = type(self).__name__
        self.kernel_size = pair(kernel_size, "kernel_size", name, 1)
        self.stride = (
            self.kernel_size if stride is None else pair(stride, "stride", name, 1)
        )
        self.padding = pair(padding, "padding", name, 0)

    def forward(self, x: Tensor) -> Tensor:
        return self.pool(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        kernel, stride, padding = self.kernel_size, self.stride, self.padding
        return f"kernel_size={kernel}, stride={stride}, padding={padding}"


class MaxPool2d(_Pool2d):
    """Largest value of each window (stride defaults to kernel_size).

    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn
    >>> nn.MaxPool2d(2)(tg.ones(1, 3, 8, 8)).shape
    (1, 3, 4, 4)
    """

    pool = staticmethod(ops.max_pool2d)


class AvgPool2d(_Pool2d):
    """Mean of each window, zero padding counted (stride defaults to kernel_size).

    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn
    >>> nn.AvgPool2d(2)(tg.ones(1, 3, 8, 8)).shape
    (1, 3, 4, 4)
    """

    pool = staticmethod(ops.avg_pool2d)


# ---- batch normalisation ---------------------------------------------------------


class _BatchNorm(Module):
    """Per-channel normalisation with a learned scale (``weight``, ones) and shift
    (``bias``, zeros), and running statistics for evaluation."""

    #: the input ranks the layer accepts (PyTorch's), for the error message
    ranks: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = True,
        dtype: Any = None,
    ) -> None:
        name = type(self).__name__
        _check_features(name, num_features=num_features)
        eps, momentum = check_batch_norm_settings(name, eps, momentum)
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
        self.weight = self.bias = None
        if affine:
            ones = _empty_parameter(num_features, dtype=dtype, op=name)
            self.weight = init.ones_(ones)
            self.bias = _empty_parameter(num_features, dtype=dtype, op=name)
        self.running_mean = Buffer(np.zeros(num_features, dtype=dtype))
        self.running_var = Buffer(np.ones(num_features, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in self.ranks:
            raise ValueError(
                f"{type(self).__name__}: expected a "
                f"{' or '.join(map(str, self.ranks))}-D input "
                f"(N, C{', L' if 3 in self.ranks else ', H, W'}), got shape {x.shape}"
            )
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}: input of shape {x.shape} has {x.shape[1]} "
                f"channels, expected num_features={self.num_features}"
            )
        return ops.batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            training=self.training,
            momentum=self.momentum,
            eps=self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.weight is not None}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs, per feature C.

    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn
    >>> bn = nn.BatchNorm1d(4)
    >>> bn(tg.randn(8, 4)).shape, list(bn.state_dict())
    ((8, 4), ['weight', 'bias', 'running_mean', 'running_var'])
    """

    ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) inputs, per channel C.

    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn
    >>> nn.BatchNorm2d(3)(tg.randn(4, 3, 5, 5)).shape
    (4, 3, 5, 5)
    """

    ranks = (4,)


class Flatten(Module):
    """Flatten axes ``start_dim..end_dim`` into one (by default all but the batch).

    >>> import tinygrad_edu as tg
    >>> from tinygrad_edu import nn
    >>> nn.Flatten()(tg.ones(2, 3, 4, 4)).shape
    (2, 48)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        (start,) = normalize_axes(self.start_dim, x.ndim, "Flatten")
        (end,) = normalize_axes(self.end_dim, x.ndim, "Flatten")
        if start > end:
            raise ValueError(
                f"Flatten: start_dim {self.start_dim} comes after end_dim "
                f"{self.end_dim} for an input of shape {x.shape}"
            )
        return x.reshape(*x.shape[:start], -1, *x.shape[end + 1 :])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
