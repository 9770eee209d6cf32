"""The conv-net ops as rows of the op table, with their loop-by-pixel oracles
(``conv_reference.py``) and draws of small geometries (stride, padding, dilation,
groups).

``specs.py`` appends ``CONV_SPECS`` to ``SPECS``, so ``test_gradients.py`` checks each
row against its reference, central differences and (where smooth) second derivatives.
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.testing import strategies as tst

from .conv_reference import (
    out_size,
    pair,
    batch_stats,
    ref_avg_pool2d,
    ref_batch_norm,
    ref_conv2d,
    ref_conv_transpose2d,
    ref_fold,
    ref_max_pool2d,
    ref_unfold,
)
from .specs import OpSpec

# ---- draws -----------------------------------------------------------------------

_ELEMENTS = tst.floats(-2.0, 2.0)


def _array(data, shape):
    return data.draw(tst.arrays(tuple(shape), elements=_ELEMENTS))


def draw_geometry(data, max_kernel=3, dilation=True):
    """kernel, stride, padding, dilation (ints or pairs) and an input size they fit."""
    kernel = (
        data.draw(st.integers(1, max_kernel)),
        data.draw(st.integers(1, max_kernel)),
    )
    stride = data.draw(st.sampled_from([1, 2, (1, 2)]))
    padding = data.draw(st.sampled_from([0, 1, (1, 0)]))
    dil = data.draw(st.sampled_from([1, 2, (2, 1)])) if dilation else 1
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, pair(dil))]
    size = tuple(
        max(1, span - 2 * p + data.draw(st.integers(0, 2)))
        for span, p in zip(spans, pair(padding))
    )
    return kernel, stride, padding, dil, size


def _conv_arrays(data, size, kernel, transposed):
    """x, weight, bias and groups; weight (C_out, C_in/G, ...) or, transposed,
    (C_in, C_out/G, ...)."""
    groups = data.draw(st.integers(1, 2))
    c_in, c_out = groups * data.draw(st.integers(1, 2)), groups * data.draw(
        st.integers(1, 2)
    )
    x = _array(data, (data.draw(st.integers(1, 2)), c_in) + tuple(size))
    w_shape = (c_in, c_out // groups) if transposed else (c_out, c_in // groups)
    w = _array(data, w_shape + tuple(kernel))
    return [x, w, _array(data, (c_out,))], groups


def draw_conv2d(data, spec):
    kernel, stride, padding, dilation, size = draw_geometry(data)
    arrays, groups = _conv_arrays(data, size, kernel, transposed=False)
    return arrays, dict(
        stride=stride, padding=padding, dilation=dilation, groups=groups
    )


def draw_conv_transpose2d(data, spec):
    kernel = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    stride = pair(data.draw(st.sampled_from([1, 2, (2, 1)])))
    dilation = pair(data.draw(st.sampled_from([1, 2, (1, 2)])))
    padding = data.draw(st.sampled_from([0, 1]))
    # output_padding picks one of the output sizes that share an input size: < max(s, d)
    output_padding = tuple(
        data.draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation)
    )
    size = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    sizes = [
        (n - 1) * s - 2 * padding + d * (k - 1) + e + 1
        for n, s, d, k, e in zip(size, stride, dilation, kernel, output_padding)
    ]
    assume(min(sizes) >= 1)
    arrays, groups = _conv_arrays(data, size, kernel, transposed=True)
    params = dict(
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        groups=groups,
        dilation=dilation,
    )
    return arrays, params


def draw_unfold(data, spec):
    kernel, stride, padding, dilation, size = draw_geometry(data)
    x = _array(
        data, (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))) + size
    )
    return [x], dict(
        kernel_size=kernel, dilation=dilation, padding=padding, stride=stride
    )


def draw_fold(data, spec):
    kernel, stride, padding, dilation, size = draw_geometry(data)
    oh, ow = out_size(size, kernel, stride, padding, dilation)
    channels = data.draw(st.integers(1, 2))
    cols = _array(
        data, (data.draw(st.integers(1, 2)), channels * kernel[0] * kernel[1], oh * ow)
    )
    params = dict(
        output_size=size,
        kernel_size=kernel,
        dilation=dilation,
        padding=padding,
        stride=stride,
    )
    return [cols], params


def _draw_pool(data):
    kernel = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    stride = data.draw(st.sampled_from([None, 1, 2, (1, 2)]))
    padding = tuple(data.draw(st.integers(0, k // 2)) for k in kernel)
    size = tuple(
        k - 2 * p + data.draw(st.integers(0, 3)) for k, p in zip(kernel, padding)
    )
    size = tuple(max(1, n) for n in size)
    x = _array(
        data, (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))) + size
    )
    return x, dict(kernel_size=kernel, stride=stride, padding=padding)


def draw_max_pool2d(data, spec):
    """Distinct values by construction (a shuffled grid): a tie is a kink, and
    filtering random floats for ties rejects too many draws."""
    x, params = _draw_pool(data)
    order = data.draw(st.permutations(range(x.size)))
    x = np.linspace(-2.0, 2.0, x.size)[order].reshape(x.shape)
    return [x], params


def draw_avg_pool2d(data, spec):
    x, params = _draw_pool(data)
    return [x], params


def draw_batch_norm(data, spec):
    shape = data.draw(st.sampled_from([(4, 2), (3, 2, 3), (2, 3, 2, 2)]))
    x = _array(data, shape)
    channels = shape[1]
    # the batch variance is inside a square root: keep every channel spread out
    assume(np.all(batch_stats(x)[1] > 0.05))
    weight, bias = _array(data, (channels,)), _array(data, (channels,))
    return [x, weight, bias], {"training": data.draw(st.booleans())}


# the running statistics are fixed arrays made inside each call (fresh every time,
# since training updates them in place and gradcheck calls the op many times)
def _bn(x, weight, bias, training):
    channels = x.shape[1]
    mean, var = np.linspace(-0.5, 0.5, channels), np.linspace(0.5, 1.5, channels)
    return tg.batch_norm(x, mean, var, weight, bias, training=training)


def _ref_bn(x, weight, bias, training):
    channels = x.shape[1]
    if training:
        mean, var = batch_stats(x)
    else:
        mean, var = np.linspace(-0.5, 0.5, channels), np.linspace(0.5, 1.5, channels)
    return ref_batch_norm(x, mean, var, weight, bias)


CONV_SPECS = [
    OpSpec("conv2d", tg.conv2d, ref_conv2d, arity=3, draw=draw_conv2d),
    OpSpec(
        "conv_transpose2d",
        tg.conv_transpose2d,
        ref_conv_transpose2d,
        arity=3,
        draw=draw_conv_transpose2d,
    ),
    OpSpec("unfold", tg.unfold, ref_unfold, draw=draw_unfold),
    OpSpec("fold", tg.fold, ref_fold, draw=draw_fold),
    OpSpec("max_pool2d", tg.max_pool2d, ref_max_pool2d, draw=draw_max_pool2d),
    OpSpec("avg_pool2d", tg.avg_pool2d, ref_avg_pool2d, draw=draw_avg_pool2d),
    OpSpec("batch_norm", _bn, _ref_bn, arity=3, draw=draw_batch_norm),
]
