"""nn.functional: every loss against its formula in NumPy for every reduction,
its gradient, stability at logits of ±1e4, and its errors."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn
from tinygrad_edu.testing import gradcheck, gradgradcheck

REDUCTIONS = ["mean", "sum", "none"]


def _reduce(x, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](x)


def _np_log_softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _floats(lo=-5.0, hi=5.0):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


# ---- reference formulas (NumPy, float64) ---------------------------------------------

ELEMENTWISE = {
    "mse_loss": (F.mse_loss, lambda x, y: (x - y) ** 2, "real"),
    "l1_loss": (F.l1_loss, lambda x, y: np.abs(x - y), "real"),
    "binary_cross_entropy": (
        F.binary_cross_entropy,
        lambda p, y: -(y * np.log(p) + (1 - y) * np.log(1 - p)),
        "prob",
    ),
    "binary_cross_entropy_with_logits": (
        F.binary_cross_entropy_with_logits,
        lambda x, y: -(
            y * np.log(1 / (1 + np.exp(-x)))
            + (1 - y) * np.log(1 - 1 / (1 + np.exp(-x)))
        ),
        "prob_target",
    ),
    "hinge_loss": (F.hinge_loss, lambda s, y: np.maximum(0, 1 - y * s), "signed"),
    "perceptron_loss": (
        F.perceptron_loss,
        lambda s, y: np.maximum(0, -y * s),
        "signed",
    ),
}


@st.composite
def _loss_case(draw, kind):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    if kind == "prob":
        x = draw(hnp.arrays(np.float64, shape, elements=_floats(0.01, 0.99)))
    else:
        x = draw(hnp.arrays(np.float64, shape, elements=_floats()))
    if kind == "signed":
        y = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.0, 1.0])))
        x[np.abs(x) < 1e-3] = 0.5  # off the kink (y·s = 0 / 1 for unit labels)
        x[np.abs(np.abs(x) - 1) < 1e-3] = 0.5
    elif kind in ("prob", "prob_target"):
        y = draw(hnp.arrays(np.float64, shape, elements=_floats(0.0, 1.0)))
    else:
        y = draw(hnp.arrays(np.float64, shape, elements=_floats()))
        x[np.abs(x - y) < 1e-3] += 0.5  # off l1's kink
    return x, y


@pytest.mark.parametrize("name", list(ELEMENTWISE))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(data=st.data())
def test_elementwise_losses_match_formula_and_gradcheck(name, reduction, data):
    fn, formula, kind = ELEMENTWISE[name]
    x, y = data.draw(_loss_case(kind))
    out = fn(tg.Tensor(x), tg.Tensor(y), reduction=reduction)
    expected = _reduce(formula(x, y), reduction)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-9, atol=1e-12)
    assert gradcheck(lambda x: fn(x, y, reduction=reduction), [x])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(
    n=st.integers(1, 5),
    c=st.integers(1, 5),
    seed=st.integers(0, 2**16),
)
def test_cross_entropy_and_nll_match_formula(reduction, n, c, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c)) * 3
    t = rng.integers(0, c, n)
    expected = _reduce(-_np_log_softmax(x)[np.arange(n), t], reduction)
    ce = F.cross_entropy(tg.Tensor(x), t, reduction=reduction)
    np.testing.assert_allclose(ce.data, expected, rtol=1e-10, atol=1e-12)
    nll = F.nll_loss(tg.Tensor(x).log_softmax(axis=-1), t, reduction=reduction)
    np.testing.assert_allclose(nll.data, expected, rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda x: F.cross_entropy(x, t, reduction), [x])
    assert gradcheck(lambda x: F.nll_loss(x, t, reduction), [x])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_fused_losses_have_second_derivatives(reduction):
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((4, 3)), np.array([0, 2, 1, 2])
    assert gradgradcheck(lambda x: F.cross_entropy(x, t, reduction), [x])
    p, y = rng.uniform(0.1, 0.9, (4, 3)), rng.uniform(0, 1, (4, 3))
    assert gradgradcheck(lambda p: F.binary_cross_entropy(p, y, reduction), [p])


def test_cross_entropy_backward_is_softmax_minus_one_hot():
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    t = np.array([3, 0, 1])
    logits = tg.Tensor(x, requires_grad=True)
    F.cross_entropy(logits, t).backward()
    p = np.exp(_np_log_softmax(x.astype(np.float64)))
    np.testing.assert_allclose(
        logits.grad.data, (p - np.eye(4)[t]) / 3, rtol=1e-5, atol=1e-7
    )
    assert logits.grad.dtype == np.float32


def test_cross_entropy_single_sample_and_probability_targets():
    x = np.array([1.0, 2.0, 0.5])
    expected = -_np_log_softmax(x)[1]
    assert F.cross_entropy(tg.Tensor(x), 1).item() == pytest.approx(expected)
    assert F.cross_entropy(tg.Tensor(x), np.int64(1), reduction="none").shape == ()
    one_hot = np.eye(3)[[1, 2]]
    logits = np.stack([x, x])
    np.testing.assert_allclose(
        F.cross_entropy(tg.Tensor(logits), one_hot, reduction="none").data,
        -_np_log_softmax(logits)[[0, 1], [1, 2]],
    )
    assert F.nll_loss(tg.Tensor(_np_log_softmax(x)), 1).item() == pytest.approx(
        expected
    )


def test_binary_cross_entropy_clamps_like_pytorch():
    p = tg.Tensor([0.0, 1.0, 0.0, 1.0], requires_grad=True)
    loss = F.binary_cross_entropy(p, [1.0, 0.0, 0.0, 1.0], reduction="none")
    assert loss.tolist() == [100.0, 100.0, 0.0, 0.0]
    loss.sum().backward()
    assert np.all(np.isfinite(p.grad.data))


def test_bce_with_logits_equals_logistic_regression_loss_of_the_lecture():
    """y in ±1: log(1 + exp(−y·s)), the lecture's L_lr, is BCE with t = (y + 1) / 2."""
    s = np.array([-3.0, -0.5, 0.0, 2.0, 7.0])
    y = np.array([1.0, -1.0, 1.0, -1.0, 1.0])
    ours = F.binary_cross_entropy_with_logits(
        tg.Tensor(s), (y + 1) / 2, reduction="none"
    )
    np.testing.assert_allclose(ours.data, np.log1p(np.exp(-y * s)), rtol=1e-12)


def test_penalties():
    a = tg.Tensor([1.0, -2.0], requires_grad=True)
    b = tg.Tensor([[3.0]], requires_grad=True)
    assert F.l1_penalty([a, b]).item() == 6.0
    assert F.l2_penalty([a, b]).item() == 14.0
    F.l2_penalty([a, b]).backward()
    assert a.grad.tolist() == [2.0, -4.0] and b.grad.tolist() == [[6.0]]
    model = nn.Linear(2, 1)
    expected = sum(np.abs(p.data).sum() for p in model.parameters())
    assert F.l1_penalty(model).item() == pytest.approx(expected, rel=1e-6)
    assert F.l2_penalty(a).item() == 5.0
    assert F.l1_penalty([]).item() == 0.0


@given(
    hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
    hnp.array_shapes(min_dims=0, max_dims=2, max_side=4),
    st.integers(0, 2**32 - 1),
)
def test_l2_penalty_is_one_fused_op_with_first_and_second_derivatives(
    shape_a, shape_b, seed
):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    total = F.l2_penalty([tg.Tensor(a), tg.Tensor(b)])
    np.testing.assert_allclose(total.data, (a * a).sum() + (b * b).sum(), rtol=1e-12)
    assert total.shape == () and total.dtype == np.float64
    assert gradcheck(lambda a, b: F.l2_penalty([a, b]), [a, b])
    assert gradgradcheck(lambda a, b: F.l2_penalty([a, b]), [a, b])


@pytest.mark.parametrize(
    "loss, op, margin",
    [(F.hinge_loss, F.HingeLoss, 1.0), (F.perceptron_loss, F.PerceptronLoss, 0.0)],
    ids=["hinge", "perceptron"],
)
@given(
    hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
    st.sampled_from(REDUCTIONS),
    st.integers(0, 2**32 - 1),
)
def test_fused_margin_losses_match_their_formula_and_differences(
    loss, op, margin, shape, reduction, seed
):
    rng = np.random.default_rng(seed)
    s = rng.standard_normal(shape)
    s[
        np.abs(margin - np.abs(s)) < 1e-3
    ] += 0.01  # keep away from the kink at y·s = margin
    y = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    losses = np.maximum(0, margin - y * s)
    expected = {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]
    np.testing.assert_allclose(loss(tg.Tensor(s), y, reduction).data, expected)
    assert gradcheck(lambda s: loss(s, y, reduction), [s])
    assert gradgradcheck(lambda s: loss(s, y, reduction), [s])
    # the target's side, through the op itself (the public function rejects labels
    # other than ±1, which central differences must step away from)
    assert gradcheck(lambda y: op.apply(tg.Tensor(s), y, reduction=reduction), [y])


def test_perceptron_loss_counts_the_boundary_as_a_mistake():
    """y·s = 0: loss 0, but the gradient −y flows (the perceptron updates on it)."""
    s = tg.Tensor([0.0, 0.0, 1.0], requires_grad=True)
    F.perceptron_loss(s, [1.0, -1.0, 1.0], "sum").backward()
    assert s.grad.tolist() == [-1.0, 1.0, 0.0]


def test_hinge_loss_gradient_reaches_a_target_that_requires_grad():
    s = tg.Tensor([0.5, 2.0, -1.0], requires_grad=True)
    y = tg.Tensor([1.0, 1.0, -1.0], requires_grad=True)
    F.hinge_loss(s, y, "sum").backward()
    assert s.grad.tolist() == [-1.0, 0.0, 0.0] and y.grad.tolist() == [-0.5, 0.0, 0.0]


def test_l2_penalty_skips_parameters_that_need_no_gradient():
    a = tg.Tensor([1.0, 2.0], requires_grad=True)
    frozen = tg.Tensor([3.0])
    F.l2_penalty([a, frozen]).backward()
    assert a.grad.tolist() == [2.0, 4.0] and frozen.grad is None
    assert F.l2_penalty([tg.ones(2, dtype=np.float32)]).dtype == np.float32


# ---- stability -----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_losses_stay_finite_at_huge_logits(dtype):
    big = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [1e4, 1e4, -1e4]], dtype=dtype)
    x64, t = big.astype(np.float64), np.array([1, 0, 2])
    pos, neg = (big > 0).astype(dtype), (big < 0).astype(dtype)
    signs = np.sign(big - 0.5)
    ce = -_np_log_softmax(x64)[np.arange(3), t].mean()
    softplus = np.logaddexp(0, x64)
    cases = [  # (loss, its exact value by a stable NumPy formula)
        (lambda x: F.cross_entropy(x, t), ce),
        (lambda x: F.nll_loss(x.log_softmax(axis=-1), t), ce),
        (
            lambda x: F.binary_cross_entropy_with_logits(x, pos),
            np.mean(softplus - x64 * pos),
        ),
        (
            lambda x: F.binary_cross_entropy_with_logits(x, neg),
            np.mean(softplus - x64 * neg),
        ),
        (
            lambda x: F.binary_cross_entropy(x.sigmoid(), neg),
            (8 * 100 + math.log(2)) / 9,
        ),
        (lambda x: F.hinge_loss(x, signs), np.mean(np.maximum(0, 1 - signs * x64))),
        (lambda x: F.perceptron_loss(x, -signs), np.mean(np.maximum(0, signs * x64))),
        (lambda x: F.mse_loss(x.sigmoid(), np.zeros_like(big)), (5 + 0.25) / 9),
    ]
    for fn, expected in cases:
        x = tg.Tensor(big, requires_grad=True)
        loss = fn(x)
        loss.backward()
        assert np.isfinite(loss.item()) and np.all(np.isfinite(x.grad.data)), fn
        assert x.grad.dtype == dtype
        assert loss.item() == pytest.approx(expected, rel=1e-6, abs=1e-6)


# ---- errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [
        F.mse_loss,
        F.l1_loss,
        F.binary_cross_entropy,
        F.binary_cross_entropy_with_logits,
        F.hinge_loss,
        F.perceptron_loss,
    ],
)
def test_target_shape_mismatch_names_the_shapes(fn):
    with pytest.raises(ValueError, match=r"\(4, 1\).*\(4,\)"):
        fn(tg.full((4, 1), 0.5), np.ones(4))


@pytest.mark.parametrize(
    "call",
    [
        lambda r: F.mse_loss(tg.ones(2), np.ones(2), reduction=r),
        lambda r: F.cross_entropy(tg.ones(2, 2), [0, 1], reduction=r),
        lambda r: F.nll_loss(tg.ones(2, 2), [0, 1], reduction=r),
        lambda r: F.hinge_loss(tg.ones(2), np.ones(2), reduction=r),
    ],
)
def test_invalid_reduction(call):
    with pytest.raises(ValueError, match="reduction"):
        call("avg")


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_class_targets_are_checked(fn):
    logits = tg.zeros(3, 4)
    with pytest.raises(ValueError, match="target 4 is out of range for 4 classes"):
        fn(logits, [0, 4, 1])
    with pytest.raises(ValueError, match="out of range"):
        fn(logits, [0, -1, 1])
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        fn(logits, [0, 1])
    with pytest.raises(TypeError, match="integer class indices"):
        fn(logits, np.array([0.0, 1.0, 2.0]))


# every loss with a valid input for 3 samples
LOSSES_AND_INPUTS = [
    (F.mse_loss, tg.zeros(3)),
    (F.l1_loss, tg.zeros(3)),
    (F.binary_cross_entropy, tg.full((3,), 0.5)),
    (F.binary_cross_entropy_with_logits, tg.zeros(3)),
    (F.hinge_loss, tg.zeros(3)),
    (F.perceptron_loss, tg.zeros(3)),
    (F.cross_entropy, tg.zeros(3, 2)),
    (F.nll_loss, tg.zeros(3, 2)),
]
BAD_TARGETS = [  # (target, what the message says, what it silently became before)
    ([1.0, None, 0.0], "target contains None", "NaN"),
    (["1", "0", "1"], "target holds strings", "parsed numbers"),
    ([1 + 2j, 0.0, 1.0], "target is complex", "truncated to real"),
]


@pytest.mark.parametrize(
    "loss, input", LOSSES_AND_INPUTS, ids=[f.__name__ for f, _ in LOSSES_AND_INPUTS]
)
@pytest.mark.parametrize(
    "values, says, before", BAD_TARGETS, ids=[b[2] for b in BAD_TARGETS]
)
def test_a_non_numeric_target_raises_type_error_naming_the_loss(
    loss, input, values, says, before
):
    for target in (values, np.array(values)):  # a list and an array
        with pytest.raises(
            TypeError, match=rf"^{loss.__name__}: {says}; it must be real"
        ):
            loss(input, target)


def test_other_input_errors():
    with pytest.raises(ValueError, match="probabilities"):
        F.binary_cross_entropy(tg.Tensor([1.5]), [1.0])
    with pytest.raises(ValueError, match="-1 or \\+1"):
        F.perceptron_loss(tg.Tensor([0.5, 1.0]), [0.0, 1.0])
    with pytest.raises(ValueError, match="-1 or \\+1"):
        F.hinge_loss(tg.Tensor([0.5]), [0.0])
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        F.cross_entropy(tg.zeros(2, 3, 4), [0, 1])


def test_functional_activations_are_reexported():
    x = tg.Tensor([-1.0, 2.0])
    assert F.relu(x).tolist() == [0.0, 2.0]
    assert F.leaky_relu(x, 0.1).tolist() == pytest.approx([-0.1, 2.0])
    assert F.softmax(x).sum().item() == pytest.approx(1.0)
    assert F.heaviside(x).tolist() == [0.0, 1.0]
    assert F.linear(tg.ones(1, 2), tg.ones(3, 2)).shape == (1, 3)
    assert math.isclose(F.sigmoid(tg.Tensor(0.0)).item(), 0.5)
