"""Hand-written cases the property tests keep away from: kinks, ties, zeros, huge
inputs, repeated indices, and the 1-D corners of matmul."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.testing import gradcheck


def leaf(values, dtype=np.float64):
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def grad_of(fn, values, dtype=np.float64):
    x = leaf(values, dtype)
    fn(x).sum().backward()
    return x.grad.data


# ---- numerically stable at |x| = 1e4 ----------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "fn",
    [tg.sigmoid, tg.softplus, tg.log_softmax, tg.logsumexp, tg.softmax, tg.tanh, tg.elu],
    ids=lambda f: f.__name__,
)
def test_finite_values_and_gradients_at_1e4(fn, dtype):
    x = leaf([-1e4, -50.0, 0.0, 50.0, 1e4], dtype)
    out = fn(x)
    assert np.all(np.isfinite(out.data))
    (out * Tensor(np.linspace(-1, 1, out.size).reshape(out.shape).astype(dtype))).sum().backward()
    assert np.all(np.isfinite(x.grad.data))
    assert x.grad.dtype == dtype


def test_stable_values_are_right_at_extremes():
    x = Tensor(np.array([-1e4, 1e4]))
    assert tg.sigmoid(x).tolist() == [0.0, 1.0]
    assert tg.softplus(x).tolist() == [0.0, 1e4]
    assert tg.logsumexp(Tensor(np.array([1e4, 1e4]))).item() == pytest.approx(1e4 + np.log(2))
    assert tg.log_softmax(x).tolist() == pytest.approx([-2e4, 0.0])


def test_logsumexp_of_all_minus_infinity_is_minus_infinity():
    assert tg.logsumexp(Tensor(np.array([-np.inf, -np.inf]))).item() == -np.inf


# ---- kinks and ties: the conventions we document --------------------------------------------


def test_relu_abs_gradient_at_zero_is_zero():
    assert grad_of(tg.relu, [0.0]).tolist() == [0.0]
    assert grad_of(tg.abs, [0.0]).tolist() == [0.0]
    assert grad_of(lambda x: tg.leaky_relu(x, 0.1), [0.0, -1.0]).tolist() == [0.1, 0.1]


def test_max_ties_share_the_gradient():
    assert grad_of(tg.max, [1.0, 3.0, 3.0]).tolist() == [0.0, 0.5, 0.5]
    assert grad_of(lambda x: tg.min(x, axis=1), [[2.0, 2.0], [1.0, 5.0]]).tolist() == [
        [0.5, 0.5],
        [1.0, 0.0],
    ]
    a, b = leaf([1.0, 2.0]), leaf([1.0, 3.0])
    tg.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 0.0] and b.grad.tolist() == [0.5, 1.0]


def test_clip_gradient_inside_and_outside():
    assert grad_of(lambda x: tg.clip(x, -1, 1), [-2.0, 0.5, 2.0]).tolist() == [0.0, 1.0, 0.0]
    assert grad_of(lambda x: x.clip(None, 0.0), [-2.0, 3.0]).tolist() == [1.0, 0.0]


# ---- zeros in prod and pow ----------------------------------------------------------------


def test_prod_gradient_with_zeros():
    assert grad_of(tg.prod, [2.0, 0.0, 3.0]).tolist() == [0.0, 6.0, 0.0]
    assert grad_of(tg.prod, [0.0, 0.0, 3.0]).tolist() == [0.0, 0.0, 0.0]
    assert gradcheck(lambda x: tg.prod(x, axis=1), [np.array([[0.0, 2.0, 3.0], [1.0, 2.0, 3.0]])])


def test_power_gradients_at_zero_base():
    a, b = leaf([0.0, 2.0]), leaf([2.0, 3.0])
    (a**b).sum().backward()
    assert a.grad.tolist() == [0.0, 12.0]
    assert b.grad.tolist() == pytest.approx([0.0, 8 * np.log(2)])


def test_reflected_power_and_division():
    x = leaf([1.0, 2.0])
    (2**x + 1 / x).sum().backward()
    assert x.grad.tolist() == pytest.approx(
        np.log(2) * 2 ** np.array([1.0, 2.0]) - 1 / np.array([1.0, 4.0])
    )


# ---- indexing ----------------------------------------------------------------------------------


def test_repeated_indices_accumulate():
    x = leaf(np.arange(4.0))
    x[np.array([1, 1, 3, 1])].sum().backward()
    assert x.grad.tolist() == [0.0, 3.0, 0.0, 1.0]


def test_boolean_mask_and_tensor_index():
    x = leaf([[1.0, -2.0], [-3.0, 4.0]])
    x[x.data > 0].sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    y = leaf([5.0, 6.0, 7.0])
    y[Tensor([2, 0])].sum().backward()
    assert y.grad.tolist() == [1.0, 0.0, 1.0]


def test_cross_entropy_style_pick():
    logits = leaf(np.zeros((3, 4)))
    labels = np.array([0, 3, 3])
    (-logits.log_softmax()[np.arange(3), labels]).mean().backward()
    expected = np.full((3, 4), 0.25) / 3
    expected[np.arange(3), labels] -= 1 / 3
    assert np.allclose(logits.grad.data, expected)


# ---- matmul corners ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape_a,shape_b",
    [
        ((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)),
        ((4, 2, 3), (3,)), ((3,), (4, 3, 2)), ((2, 1, 2, 3), (4, 3, 2)),
    ],
)
def test_matmul_shapes_and_gradients(shape_a, shape_b):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=shape_a), rng.normal(size=shape_b)
    assert np.allclose((Tensor(a) @ Tensor(b)).data, a @ b)
    assert gradcheck(tg.matmul, [a, b])


def test_linear_without_bias_and_with_1d_input():
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=3), rng.normal(size=(2, 3)), rng.normal(size=2)
    assert np.allclose(tg.ops.linear(Tensor(x), Tensor(w), Tensor(b)).data, w @ x + b)
    assert gradcheck(tg.ops.linear, [x, w, b])
    assert gradcheck(lambda x, w: tg.ops.linear(x, w), [rng.normal(size=(4, 3)), w])


# ---- mixed dtypes ----------------------------------------------------------------------------


def test_gradient_takes_the_input_dtype():
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    w = Tensor(np.ones(3, np.float64), requires_grad=True)
    (x * w).sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float64
