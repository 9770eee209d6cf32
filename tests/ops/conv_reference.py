"""Direct loop-by-pixel NumPy references of the conv-net ops, in float64: slow and
obvious, the opposite of im2col. The oracles of ``specs_conv.py`` (the op table) and
``tests/nn/test_conv.py``.
"""

from __future__ import annotations

import itertools

import numpy as np

# ---- loop references -------------------------------------------------------------


def pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _padded(x, padding, fill=0.0):
    ph, pw = pair(padding)
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)


def out_size(size, kernel, stride, padding, dilation):
    return tuple(
        (n + 2 * p - d * (k - 1) - 1) // s + 1
        for n, k, s, p, d in zip(
            size, pair(kernel), pair(stride), pair(padding), pair(dilation)
        )
    )


def ref_conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """out[n, o, y, x] = b[o] + Σ_{c in o's group, i, j}
    x_pad[n, c, y·s + i·d, x·s + j·d] · w[o, c, i, j]"""
    (sh, sw), (dh, dw) = pair(stride), pair(dilation)
    n_, c_in, h, wd = x.shape
    c_out, c_group, kh, kw = w.shape
    oh, ow = out_size((h, wd), (kh, kw), stride, padding, dilation)
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
    """Every input pixel scatters x[n, c, y, x]·w[c, o, i, j] to the output pixel
    (y·s − p + i·d, x·s − p + j·d)."""
    (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
    eh, ew = pair(output_padding)
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
    (kh, kw), (sh, sw), (dh, dw) = pair(kernel_size), pair(stride), pair(dilation)
    n_, c_, h, wd = x.shape
    oh, ow = out_size((h, wd), kernel_size, stride, padding, dilation)
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
        pair(kernel_size),
        pair(stride),
        pair(dilation),
        pair(padding),
    )
    h, wd = pair(output_size)
    oh, ow = out_size((h, wd), kernel_size, stride, padding, dilation)
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
    (kh, kw), (ph, pw) = pair(kernel_size), pair(padding)
    sh, sw = pair(kernel_size if stride is None else stride)
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
