"""Conv nets: the ops against loop-by-pixel NumPy references (float64), gradients
against central differences, batch norm's running statistics, the layers (init,
state_dict round trip, train/eval) and every bad-input error."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.testing import gradcheck, gradgradcheck

from ..ops.conv_reference import (
    batch_stats,
    ref_avg_pool2d,
    ref_batch_norm,
    ref_conv2d,
    ref_conv_transpose2d,
    ref_fold,
    ref_max_pool2d,
    ref_unfold,
)

RNG = np.random.default_rng(16)


def _randn(*shape):
    return RNG.standard_normal(shape)


# (input shape, weight shape, stride, padding, dilation, groups)
CONV_CASES = [
    ((2, 3, 6, 5), (4, 3, 3, 3), 1, 0, 1, 1),
    ((1, 2, 7, 7), (3, 2, 3, 2), 2, 1, 1, 1),
    ((2, 4, 8, 6), (6, 2, 3, 3), (2, 1), (1, 2), (2, 1), 2),
    ((1, 3, 5, 5), (3, 1, 1, 1), 1, 0, 1, 3),  # depthwise 1×1
    ((1, 1, 4, 4), (2, 1, 4, 4), 1, 0, 1, 1),  # kernel as large as the input
]


@pytest.mark.parametrize("xs, ws, stride, padding, dilation, groups", CONV_CASES)
def test_conv2d_matches_the_loop_reference(xs, ws, stride, padding, dilation, groups):
    x, w, b = _randn(*xs), _randn(*ws), _randn(ws[0])
    out = tg.conv2d(x, w, b, stride, padding, dilation, groups)
    expected = ref_conv2d(x, w, b, stride, padding, dilation, groups)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    no_bias = tg.conv2d(x, w, None, stride, padding, dilation, groups)
    np.testing.assert_allclose(
        no_bias.data,
        ref_conv2d(x, w, None, stride, padding, dilation, groups),
        atol=1e-12,
    )


@pytest.mark.parametrize("xs, ws, stride, padding, dilation, groups", CONV_CASES[:4])
def test_conv2d_gradients_first_and_second_order(
    xs, ws, stride, padding, dilation, groups
):
    x, w, b = _randn(*xs), _randn(*ws) * 0.5, _randn(ws[0])

    def fn(x, w, b):
        return tg.conv2d(
            x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups
        )

    assert gradcheck(fn, [x, w, b])
    if xs[0] * xs[1] * xs[2] * xs[3] <= 60:
        assert gradgradcheck(fn, [x, w, b])


@pytest.mark.parametrize("wanted", ["x", "w", "b", "wb", "xb"])
def test_conv2d_gradients_of_only_some_inputs(wanted):
    # the bias gradient comes from the weight gradient's matmul (a row of ones under
    # the columns) or, without it, from a sum: each subset against the full backward
    x, w, b = _randn(2, 4, 6, 5), _randn(6, 2, 3, 3), _randn(6)
    g = _randn(2, 6, 3, 5)
    full = [tg.Tensor(a, requires_grad=True) for a in (x, w, b)]
    tg.conv2d(*full, stride=(2, 1), padding=1, groups=2).backward(g)
    some = [tg.Tensor(a, requires_grad=n in wanted) for a, n in zip((x, w, b), "xwb")]
    tg.conv2d(*some, stride=(2, 1), padding=1, groups=2).backward(g)
    for name, f, t in zip("xwb", full, some):
        if name in wanted:
            assert t.grad.shape == t.shape
            np.testing.assert_allclose(t.grad.data, f.grad.data, rtol=1e-12)
        else:
            assert t.grad is None
    np.testing.assert_allclose(full[2].grad.data, g.sum(axis=(0, 2, 3)), rtol=1e-12)


@pytest.mark.parametrize("batch_bytes", [1, 6000])
def test_conv2d_input_gradient_folded_a_few_images_at_a_time(monkeypatch, batch_bytes):
    # the input gradient's fold: 1 byte: one image per batch; 6000: batches of 2,
    # 2 and 1 (2,592 bytes of columns per image)
    from tinygrad_edu.ops import conv

    x, w, b, g = _randn(5, 4, 6, 5), _randn(6, 2, 3, 3), _randn(6), _randn(5, 6, 3, 3)

    def run():
        leaves = [tg.Tensor(a, requires_grad=True) for a in (x, w, b)]
        out = tg.conv2d(*leaves, stride=(2, 1), padding=1, dilation=(1, 2), groups=2)
        out.backward(g)
        return [out.data] + [t.grad.data for t in leaves]

    whole = run()
    monkeypatch.setattr(conv, "FOLD_BATCH_BYTES", batch_bytes)
    for mine, theirs in zip(run(), whole):
        np.testing.assert_allclose(mine, theirs, rtol=1e-13)
    np.testing.assert_allclose(
        whole[0], ref_conv2d(x, w, b, (2, 1), 1, (1, 2), 2), rtol=1e-12
    )


@pytest.mark.parametrize(
    "stride, padding, output_padding, dilation, groups",
    [(1, 0, 0, 1, 1), (2, 1, 1, 1, 1), ((2, 3), (0, 1), (1, 2), 1, 2), (1, 1, 1, 2, 1)],
)
def test_conv_transpose2d_matches_the_loop_reference_and_is_conv2ds_adjoint(
    stride, padding, output_padding, dilation, groups
):
    x, w, b = _randn(2, 4, 3, 4), _randn(4, 3, 3, 2), _randn(3 * groups)
    out = tg.conv_transpose2d(
        x, w, b, stride, padding, output_padding, groups, dilation
    )
    expected = ref_conv_transpose2d(
        x, w, b, stride, padding, output_padding, groups, dilation
    )
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    # <conv_transpose(x), y> == <x, conv2d(y)>: the same weight read both ways
    # (conv2d may find one more window position when output_padding >= stride)
    y = _randn(*out.shape)
    plain = tg.conv_transpose2d(
        x, w, None, stride, padding, output_padding, groups, dilation
    )
    back = tg.conv2d(y, w, None, stride, padding, dilation, groups)[:, :, :3, :4]
    assert back.shape == x.shape
    np.testing.assert_allclose(
        np.sum(plain.data * y), np.sum(x * back.data), rtol=1e-10
    )

    def fn(x, w):
        return tg.conv_transpose2d(
            x, w, None, stride, padding, output_padding, groups, dilation
        )

    assert gradcheck(fn, [x[:1, :, :2], w])


@pytest.mark.parametrize(
    "kernel, dilation, padding, stride",
    [(3, 1, 0, 1), ((2, 3), (2, 1), (1, 0), (1, 2)), (1, 1, 1, 2)],
)
def test_unfold_and_fold_match_the_loops_and_are_adjoint(
    kernel, dilation, padding, stride
):
    x = _randn(2, 3, 6, 5)
    cols = tg.unfold(x, kernel, dilation, padding, stride)
    np.testing.assert_array_equal(
        cols.data, ref_unfold(x, kernel, dilation, padding, stride)
    )
    c = _randn(*cols.shape)
    folded = tg.fold(c, (6, 5), kernel, dilation, padding, stride)
    np.testing.assert_allclose(
        folded.data, ref_fold(c, (6, 5), kernel, dilation, padding, stride), atol=1e-12
    )
    # adjoint: <unfold(x), c> == <x, fold(c)>
    np.testing.assert_allclose(
        np.sum(cols.data * c), np.sum(x * folded.data), rtol=1e-10
    )
    assert gradcheck(
        lambda t: tg.unfold(t, kernel, dilation, padding, stride), [x[:1, :2]]
    )


@pytest.mark.parametrize(
    "kernel, stride, padding",
    [(2, None, 0), (3, 1, 1), ((3, 2), (2, 1), (1, 0)), (3, 2, 1)],
)
def test_pooling_matches_the_loop_reference(kernel, stride, padding):
    x = _randn(2, 3, 7, 6)
    out = tg.max_pool2d(x, kernel, stride, padding)
    np.testing.assert_array_equal(out.data, ref_max_pool2d(x, kernel, stride, padding))
    avg = tg.avg_pool2d(x, kernel, stride, padding)
    np.testing.assert_allclose(
        avg.data, ref_avg_pool2d(x, kernel, stride, padding), atol=1e-12
    )
    assert gradcheck(lambda t: tg.max_pool2d(t, kernel, stride, padding), [x[:1, :2]])
    assert gradcheck(lambda t: tg.avg_pool2d(t, kernel, stride, padding), [x[:1, :2]])


def test_max_pool_sends_the_gradient_to_the_first_maximum_on_ties():
    # PyTorch's rule: one window's gradient goes to one element, the first maximum
    x = tg.Tensor(np.array([[[[1.0, 3.0], [3.0, 0.0]]]]), requires_grad=True)
    tg.max_pool2d(x, 2).backward(np.array([[[[5.0]]]]))
    np.testing.assert_array_equal(x.grad.data, [[[[0.0, 5.0], [0.0, 0.0]]]])


def test_max_pool_a_nan_is_the_maximum_and_the_first_nan_gets_the_gradient():
    # as PyTorch (and argmax): NaN propagates; the first NaN of a window is picked
    nan = np.nan
    x = tg.Tensor(np.array([[[[1.0, nan, 2.0, 7.0], [nan, 3.0, 5.0, 4.0]]]]))
    x.requires_grad = True
    out = tg.max_pool2d(x, 2)
    np.testing.assert_array_equal(out.data, [[[[nan, 7.0]]]])
    out.backward(np.array([[[[2.0, 3.0]]]]))
    np.testing.assert_array_equal(x.grad.data, [[[[0, 2.0, 0, 3.0], [0, 0, 0, 0]]]])


def test_max_pool_overlapping_windows_add_up_at_a_shared_maximum():
    x = tg.Tensor(np.array([[[[0.0, 9.0, 0.0]]]]), requires_grad=True)
    out = tg.max_pool2d(x, (1, 2), stride=1)  # both windows pick the 9
    np.testing.assert_array_equal(out.data, [[[[9.0, 9.0]]]])
    out.backward(np.array([[[[2.0, 3.0]]]]))
    np.testing.assert_array_equal(x.grad.data, [[[[0.0, 5.0, 0.0]]]])


def test_max_pool_padding_is_never_the_maximum_and_avg_pool_counts_it():
    x = -np.ones((1, 1, 2, 2))
    assert tg.max_pool2d(x, 2, stride=1, padding=1).data.max() == -1.0
    corner = tg.avg_pool2d(x, 2, stride=1, padding=1).data[0, 0, 0, 0]
    assert corner == -0.25  # count_include_pad: the three zeros count


def test_float32_stays_float32_through_forward_and_backward():
    x = tg.Tensor(_randn(2, 3, 6, 6).astype(np.float32), requires_grad=True)
    conv = nn.Conv2d(3, 4, 3, padding=1)
    bn = nn.BatchNorm2d(4)
    out = nn.AvgPool2d(2)(nn.MaxPool2d(2)(bn(conv(x))).relu())
    out.sum().backward()
    assert out.dtype == np.float32
    for t in (x, conv.weight, conv.bias, bn.weight, bn.bias):
        assert t.grad.dtype == np.float32
    assert bn.running_var.dtype == np.float32


# ---- batch norm ------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 4)])
def test_batch_norm_training_uses_batch_stats_and_updates_running_ones(shape):
    x, w, b = _randn(*shape), _randn(3), _randn(3)
    mean0, var0 = _randn(3), RNG.random(3) + 0.5
    running_mean, running_var = mean0.copy(), var0.copy()
    out = tg.batch_norm(x, running_mean, running_var, w, b, training=True, momentum=0.3)
    batch_mean, batch_var = batch_stats(x)
    np.testing.assert_allclose(out.data, ref_batch_norm(x, batch_mean, batch_var, w, b))
    n = x.size // 3
    np.testing.assert_allclose(running_mean, 0.7 * mean0 + 0.3 * batch_mean)
    np.testing.assert_allclose(running_var, 0.7 * var0 + 0.3 * batch_var * n / (n - 1))
    # evaluation: the running statistics normalise, and nothing is updated
    before = running_mean.copy()
    out = tg.batch_norm(x, running_mean, running_var, w, b, training=False)
    np.testing.assert_allclose(
        out.data, ref_batch_norm(x, running_mean, running_var, w, b)
    )
    np.testing.assert_array_equal(running_mean, before)


def test_batch_norm_gradients_in_training_and_eval():
    x, w, b = _randn(4, 2, 3), _randn(2), _randn(2)
    for training in (True, False):

        def fn(x, w, b):
            mean, var = np.array([0.1, -0.2]), np.array([0.8, 1.3])
            return tg.batch_norm(x, mean, var, w, b, training=training)

        assert gradcheck(fn, [x, w, b])
        assert gradgradcheck(fn, [x, w, b])


def test_eval_graph_keeps_the_statistics_it_used():
    mean, var = np.zeros(2), np.ones(2)
    x = tg.Tensor(_randn(3, 2), requires_grad=True)
    out = tg.batch_norm(x, mean, var, training=False)
    var *= 4.0  # a later in-place update (a training step) must not change this graph
    out.backward(np.ones((3, 2)))
    np.testing.assert_allclose(x.grad.data, np.full((3, 2), 1 / math.sqrt(1 + 1e-5)))


# ---- layers ----------------------------------------------------------------------


def test_conv2d_layer_init_is_pytorchs_and_seeded():
    tg.manual_seed(3)
    a = nn.Conv2d(6, 8, (3, 5), groups=2)
    tg.manual_seed(3)
    b = nn.Conv2d(6, 8, (3, 5), groups=2)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    bound = 1 / math.sqrt(3 * 3 * 5)  # fan_in = in_channels/groups · kH · kW
    assert a.weight.shape == (8, 3, 3, 5) and a.bias.shape == (8,)
    assert np.abs(a.weight.data).max() <= bound and np.abs(a.bias.data).max() <= bound
    assert np.abs(a.weight.data).max() > 0.8 * bound  # uniform over the whole range
    t = nn.ConvTranspose2d(4, 6, 2, stride=2, groups=2, bias=False)
    assert t.weight.shape == (4, 3, 2, 2) and t.bias is None
    assert np.abs(t.weight.data).max() <= 1 / math.sqrt(3 * 2 * 2)


def test_layers_compute_their_ops():
    x = tg.Tensor(_randn(2, 4, 6, 6))
    conv = nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=1, groups=2)
    np.testing.assert_allclose(
        conv(x).data,
        ref_conv2d(x.data, conv.weight.data, conv.bias.data, 2, 1, 1, 2),
        atol=1e-5,
    )
    up = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)
    expected = ref_conv_transpose2d(x.data, up.weight.data, up.bias.data, 2, 1, 1)
    np.testing.assert_allclose(up(x).data, expected, atol=1e-5)
    assert up(x).shape == (2, 2, 12, 12)
    np.testing.assert_array_equal(
        nn.MaxPool2d(3, 2, 1)(x).data, ref_max_pool2d(x.data, 3, 2, 1)
    )
    np.testing.assert_allclose(
        nn.AvgPool2d(2)(x).data, ref_avg_pool2d(x.data, 2), atol=1e-6
    )
    assert nn.Flatten()(x).shape == (2, 144)
    assert nn.Flatten(0, 1)(x).shape == (8, 6, 6)
    assert nn.Flatten(2)(x).shape == (2, 4, 36)


def test_batch_norm_layers_train_and_eval():
    bn = nn.BatchNorm2d(3, momentum=0.5)
    x = tg.Tensor(_randn(4, 3, 2, 2) * 3 + 1)
    out = bn(x)
    mean, var = batch_stats(x.data)
    np.testing.assert_allclose(out.data, ref_batch_norm(x.data, mean, var), atol=1e-5)
    np.testing.assert_allclose(bn.running_mean.data, 0.5 * mean, rtol=1e-5)
    np.testing.assert_allclose(
        bn.running_var.data, 0.5 + 0.5 * var * 16 / 15, rtol=1e-5
    )
    bn.eval()
    running = bn.running_mean.data.copy()
    np.testing.assert_allclose(
        bn(x).data,
        ref_batch_norm(x.data, bn.running_mean.data, bn.running_var.data),
        atol=1e-5,
    )
    np.testing.assert_array_equal(bn.running_mean.data, running)
    bn1 = nn.BatchNorm1d(5)
    assert bn1(tg.randn(8, 5)).shape == (8, 5) and bn1(tg.randn(8, 5, 3)).shape == (
        8,
        5,
        3,
    )
    # running statistics are buffers: saved, never trained
    assert [name for name, _ in bn.named_parameters()] == ["weight", "bias"]
    assert [name for name, _ in bn.named_buffers()] == ["running_mean", "running_var"]


def _cnn():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3),
        nn.BatchNorm2d(6),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(6, 3),
    )


def test_state_dict_round_trip_includes_running_statistics(tmp_path):
    tg.manual_seed(0)
    model = _cnn()
    x = tg.randn(5, 1, 8, 8)
    model(x)  # one training forward moves the running statistics
    state = model.state_dict()
    assert list(state)[:6] == [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
        "1.running_mean",
        "1.running_var",
    ]
    assert not np.allclose(state["1.running_var"], 1.0)
    tg.save(state, tmp_path / "cnn.npz")
    tg.manual_seed(1)
    fresh = _cnn()
    fresh.load_state_dict(tg.load(tmp_path / "cnn.npz"))
    for key, value in fresh.state_dict().items():
        np.testing.assert_array_equal(value, state[key])
    model.eval()
    fresh.eval()
    np.testing.assert_array_equal(model(x).data, fresh(x).data)
    with pytest.raises(ValueError, match="1.running_mean"):
        fresh.load_state_dict({**state, "1.running_mean": np.zeros(5)})


def test_a_cnn_step_reduces_the_loss():
    tg.manual_seed(0)
    model = _cnn()
    x, y = tg.randn(12, 1, 8, 8), np.arange(12) % 3
    opt = tg.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(15):
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]


# ---- bad input -------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda: tg.conv2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3))),
            "conv2d: kernel",
        ),
        (
            lambda: tg.conv2d(np.ones((1, 3, 5, 5)), np.ones((2, 2, 3, 3))),
            "conv2d: input",
        ),
        (
            lambda: tg.conv2d(np.ones((1, 4, 5, 5)), np.ones((3, 2, 3, 3)), groups=2),
            "conv2d: groups=2",
        ),
        (
            lambda: tg.conv2d(np.ones((1, 3, 5, 5)), np.ones((2, 3, 3, 3)), stride=0),
            "conv2d: stride",
        ),
        (
            lambda: tg.conv2d(
                np.ones((1, 3, 5, 5)), np.ones((2, 3, 3, 3)), stride=(1, -1)
            ),
            "conv2d: stride",
        ),
        (lambda: tg.conv2d(np.ones((3, 5, 5)), np.ones((2, 3, 3, 3))), "conv2d: input"),
        (
            lambda: tg.conv2d(np.ones((1, 3, 5, 5)), np.ones((2, 3, 3))),
            "conv2d: weight",
        ),
        (
            lambda: tg.conv2d(np.ones((1, 3, 5, 5)), np.ones((2, 3, 3, 3)), np.ones(3)),
            "conv2d: bias",
        ),
        (
            lambda: tg.conv2d(np.ones((1, 3, 5, 5)), np.ones((2, 3, 3, 3)), padding=-1),
            "conv2d: padding",
        ),
        (
            lambda: tg.conv2d(np.ones((1, 3, 5, 5)), np.ones((2, 3, 3, 3)), groups=0),
            "conv2d: groups",
        ),
        (
            lambda: tg.conv_transpose2d(np.ones((1, 3, 2, 2)), np.ones((2, 3, 3, 3))),
            "conv_transpose2d: input",
        ),
        (
            lambda: tg.conv_transpose2d(
                np.ones((1, 2, 2, 2)), np.ones((2, 1, 3, 3)), stride=2, output_padding=2
            ),
            "conv_transpose2d: output_padding",
        ),
        (
            lambda: tg.conv_transpose2d(
                np.ones((1, 2, 1, 1)), np.ones((2, 1, 1, 1)), padding=1
            ),
            "conv_transpose2d: .*empty output",
        ),
        (lambda: tg.max_pool2d(np.ones((1, 1, 2, 2)), 3), "max_pool2d: kernel"),
        (
            lambda: tg.max_pool2d(np.ones((1, 1, 4, 4)), 2, padding=2),
            "max_pool2d: padding",
        ),
        (lambda: tg.max_pool2d(np.ones((4, 4)), 2), "max_pool2d: input"),
        (
            lambda: tg.avg_pool2d(np.ones((1, 1, 4, 4)), 2, stride=0),
            "avg_pool2d: stride",
        ),
        (lambda: tg.avg_pool2d(np.ones((1, 1, 2, 2)), (1, 3)), "avg_pool2d: kernel"),
        (lambda: tg.unfold(np.ones((1, 1, 2, 2)), 3), "unfold: kernel"),
        (lambda: tg.unfold(np.ones((1, 2, 2)), 1), "unfold: input"),
        (lambda: tg.fold(np.ones((1, 4, 3)), 3, 2), "fold: input of shape"),
        (lambda: tg.fold(np.ones((4, 4)), 3, 2), "fold: input must be 3-D"),
        (
            lambda: tg.batch_norm(
                np.ones((1, 3)), np.zeros(3), np.ones(3), training=True
            ),
            "batch_norm: training needs more than 1",
        ),
        (
            lambda: tg.batch_norm(np.ones((4, 3)), np.zeros(2), np.ones(3)),
            "batch_norm: running_mean",
        ),
        (
            lambda: tg.batch_norm(np.ones(4), np.zeros(1), np.ones(1)),
            "batch_norm: input",
        ),
        (lambda: tg.batch_norm(np.ones((4, 3)), None, None), "batch_norm: evaluation"),
        (lambda: nn.Conv2d(4, 6, 3, groups=4), "Conv2d: groups=4"),
        (lambda: nn.Conv2d(0, 6, 3), "Conv2d: in_channels"),
        (lambda: nn.MaxPool2d(2, stride=0), "MaxPool2d: stride"),
        (lambda: nn.BatchNorm2d(3)(tg.ones(2, 3, 4)), "BatchNorm2d: expected a 4-D"),
        (lambda: nn.BatchNorm1d(3)(tg.ones(2, 4)), "BatchNorm1d: .*4 channels"),
        (lambda: nn.BatchNorm1d(3, momentum=2.0), "BatchNorm1d: momentum"),
        (lambda: nn.Flatten(1, 0)(tg.ones(2, 3, 4)), "Flatten: start_dim"),
        (lambda: nn.Flatten(5)(tg.ones(2, 3)), "Flatten: axis 5"),
    ],
)
def test_bad_input_raises_a_value_error_naming_the_op(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda: tg.conv2d(np.ones((1, 3, 5, 5)), np.ones((2, 3, 3, 3)), stride=1.5),
            "conv2d: stride must be an int or a pair",
        ),
        (
            lambda: tg.max_pool2d(np.ones((1, 1, 4, 4)), (2, 2, 2)),
            "max_pool2d: kernel_size",
        ),
        (
            lambda: tg.conv2d(np.ones((1, 2, 4, 4)), np.ones((2, 2, 1, 1)), groups=1.0),
            "conv2d: groups",
        ),
    ],
)
def test_bad_types_raise_a_type_error_naming_the_op(call, match):
    with pytest.raises(TypeError, match=match):
        call()


# ---- the digits dataset ----------------------------------------------------------


def test_digits_are_the_font_glyphs_at_random_positions():
    from tinygrad_edu.data import datasets

    X, y = datasets.digits(n=50, seed=4, noise=0.0)
    assert X.shape == (50, 1, 12, 12) and X.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [5] * 10  # balanced
    font = np.array(
        [[[c == "#" for c in row] for row in glyph] for glyph in datasets.DIGIT_GLYPHS]
    )
    for image, label in zip(X[:, 0], y):
        # the ink is the label's glyph at some position (a few stroke pixels missing)
        assert any(_fits(image, font[label], r, c) for r in range(6) for c in range(8))
        assert np.all((image == 0) | ((image >= 0.6 - 1e-6) & (image <= 1.0)))
    again, _ = datasets.digits(n=50, seed=4, noise=0.0)
    np.testing.assert_array_equal(X, again)
    noisy, clean = (
        datasets.digits(n=200, seed=4, noise=0.5)[0],
        datasets.digits(n=200, seed=4, noise=0.0)[0],
    )
    assert 0.45 < (noisy - clean).std() < 0.55


def _fits(image, glyph, top, left):
    placed = np.zeros(image.shape, dtype=bool)
    placed[top : top + 7, left : left + 5] = glyph
    ink = image != 0
    return np.all(ink <= placed) and ink.sum() >= 0.6 * glyph.sum()


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"n": 0}, ValueError),
        ({"size": 6}, ValueError),
        ({"noise": -1.0}, ValueError),
        ({"n": 2.5}, TypeError),
    ],
)
def test_digits_checks_its_arguments(kwargs, error):
    from tinygrad_edu.data import datasets

    with pytest.raises(error):
        datasets.digits(**kwargs)


@pytest.mark.parametrize(
    "options, error",
    [({"eps": -1.0}, ValueError), ({"eps": float("nan")}, ValueError),
     ({"eps": "a"}, TypeError), ({"momentum": 2.0}, ValueError)],
)
def test_batch_norm_function_checks_eps_and_momentum(options, error):
    with pytest.raises(error, match=r"batch_norm: (eps|momentum) must"):
        tg.batch_norm(tg.ones(4, 3), np.zeros(3), np.ones(3), training=True, **options)
