"""The conv-net ops as rows of the op table, with their oracles: direct loop-by-pixel
NumPy references in float64 (slow and obvious, the opposite of im2col), also used by
tests/nn/test_conv.py.

``specs.py`` appends ``CONV_SPECS`` to ``SPECS``, so ``test_gradients.py`` checks each
row against its reference, central differences and (where smooth) second derivatives.
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.testing import strategies as tst

from .specs import OpSpec

# ---- loop references -------------------------------------------------------------


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _padded(x, padding, fill=0.0):
    ph, pw = _pair(padding)
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)


def _out_size(size, kernel, stride, padding, dilation):
    return tuple(
        (n + 2 * p - d * (k - 1) - 1) // s + 1
        for n, k, s, p, d in zip(
            size, _pair(kernel), _pair(stride), _pair(padding), _pair(dilation)
        )
    )


def ref_conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """out[n, o, y, x] = b[o] + Σ_{c in o's group, i, j} x_pad[n, c, y·s + i·d, x·s + j·d] w[o, c, i, j]"""
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    n_, c_in, h, wd = x.shape
    c_out, c_group, kh, kw = w.shape
    oh, ow = _out_size((h, wd), (kh, kw), stride, padding, dilation)
    xp = _padded(x, padding)
    out = np.zeros((n_, c_out, oh, ow))
    per_group = c_out // groups
    for n, o, y, xx in itertools.product(range(n_), range(c_out), range(oh), range(ow)):
        first = (o // per_group) * c_group
        total = 0.0 if b is None else b[o]
        for c, i, j in itertools.product(range(c_group), range(kh), range(kw)):
            total += xp[n, first + c, y * sh + i * dh, xx * sw + j * dw] * w[o, c, i, j]
        out[n, o, y, xx] = total
    return out


def ref_conv_transpose2d(
    x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """Every input pixel scatters x[n, c, y, x]·w[c, o, i, j] to (y·s − p + i·d, x·s − p + j·d)."""
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    eh, ew = _pair(output_padding)
    n_, c_in, h, wd = x.shape
    _, out_group, kh, kw = w.shape
    oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + eh + 1
    ow = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + ew + 1
    out = np.zeros((n_, out_group * groups, oh, ow))
    in_group = c_in // groups
    for n, c, y, xx in itertools.product(range(n_), range(c_in), range(h), range(wd)):
        g = c // in_group
        for o, i, j in itertools.product(range(out_group), range(kh), range(kw)):
            row, col = y * sh - ph + i * dh, xx * sw - pw + j * dw
            if 0 <= row < oh and 0 <= col < ow:
                out[n, g * out_group + o, row, col] += x[n, c, y, xx] * w[c, o, i, j]
    if b is not None:
        out += b.reshape(-1, 1, 1)
    return out


def ref_unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """cols[n, (c, i, j), (y, x)] = x_pad[n, c, y·s + i·d, x·s + j·d]"""
    (kh, kw), (sh, sw), (dh, dw) = _pair(kernel_size), _pair(stride), _pair(dilation)
    n_, c_, h, wd = x.shape
    oh, ow = _out_size((h, wd), kernel_size, stride, padding, dilation)
    xp = _padded(x, padding)
    cols = np.zeros((n_, c_ * kh * kw, oh * ow))
    for n, c, i, j, y, xx in itertools.product(
        range(n_), range(c_), range(kh), range(kw), range(oh), range(ow)
    ):
        cols[n, (c * kh + i) * kw + j, y * ow + xx] = xp[
            n, c, y * sh + i * dh, xx * sw + j * dw
        ]
    return cols


def ref_fold(cols, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """unfold run backwards: each column entry is added to the pixel it came from."""
    (kh, kw), (sh, sw), (dh, dw), (ph, pw) = (
        _pair(kernel_size),
        _pair(stride),
        _pair(dilation),
        _pair(padding),
    )
    h, wd = _pair(output_size)
    oh, ow = _out_size((h, wd), kernel_size, stride, padding, dilation)
    n_, rows, _ = cols.shape
    c_ = rows // (kh * kw)
    out = np.zeros((n_, c_, h + 2 * ph, wd + 2 * pw))
    for n, c, i, j, y, xx in itertools.product(
        range(n_), range(c_), range(kh), range(kw), range(oh), range(ow)
    ):
        out[n, c, y * sh + i * dh, xx * sw + j * dw] += cols[
            n, (c * kh + i) * kw + j, y * ow + xx
        ]
    return out[:, :, ph : ph + h, pw : pw + wd]


def _pool(x, kernel_size, stride, padding, fill, reduce):
    (kh, kw), (ph, pw) = _pair(kernel_size), _pair(padding)
    sh, sw = _pair(kernel_size if stride is None else stride)
    n_, c_, h, wd = x.shape
    oh, ow = (h + 2 * ph - kh) // sh + 1, (wd + 2 * pw - kw) // sw + 1
    xp = _padded(x, padding, fill)
    out = np.zeros((n_, c_, oh, ow))
    for n, c, y, xx in itertools.product(range(n_), range(c_), range(oh), range(ow)):
        out[n, c, y, xx] = reduce(
            xp[n, c, y * sh : y * sh + kh, xx * sw : xx * sw + kw]
        )
    return out


def ref_max_pool2d(x, kernel_size, stride=None, padding=0):
    return _pool(x, kernel_size, stride, padding, -np.inf, np.max)


def ref_avg_pool2d(x, kernel_size, stride=None, padding=0):
    return _pool(x, kernel_size, stride, padding, 0.0, np.mean)


def ref_batch_norm(x, mean, var, weight=None, bias=None, eps=1e-5):
    """Per channel (axis 1), element by element: (x − mean) / √(var + eps) · w + b."""
    out = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        c = idx[1]
        value = (x[idx] - mean[c]) / np.sqrt(var[c] + eps)
        out[idx] = value * (1.0 if weight is None else weight[c]) + (
            0.0 if bias is None else bias[c]
        )
    return out


def batch_stats(x):
    """Each channel's mean and biased variance, by an explicit loop over channels."""
    channel_values = [x[:, c].ravel() for c in range(x.shape[1])]
    means = np.array([v.sum() / v.size for v in channel_values])
    variances = np.array(
        [((v - m) ** 2).sum() / v.size for v, m in zip(channel_values, means)]
    )
    return means, variances


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
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, _pair(dil))]
    size = tuple(
        max(1, span - 2 * p + data.draw(st.integers(0, 2)))
        for span, p in zip(spans, _pair(padding))
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
    stride = _pair(data.draw(st.sampled_from([1, 2, (2, 1)])))
    dilation = _pair(data.draw(st.sampled_from([1, 2, (1, 2)])))
    padding = data.draw(st.sampled_from([0, 1]))
    # output_padding picks one of the output sizes that share an input size: < max(s, d)
    output_padding = tuple(
        data.draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation)
    )
    size = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    out_size = [
        (n - 1) * s - 2 * padding + d * (k - 1) + e + 1
        for n, s, d, k, e in zip(size, stride, dilation, kernel, output_padding)
    ]
    assume(min(out_size) >= 1)
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
    oh, ow = _out_size(size, kernel, stride, padding, dilation)
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
