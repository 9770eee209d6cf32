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
    [
        tg.sigmoid,
        tg.softplus,
        tg.log_softmax,
        tg.logsumexp,
        tg.softmax,
        tg.tanh,
        tg.elu,
    ],
    ids=lambda f: f.__name__,
)
def test_finite_values_and_gradients_at_1e4(fn, dtype):
    x = leaf([-1e4, -50.0, 0.0, 50.0, 1e4], dtype)
    out = fn(x)
    assert np.all(np.isfinite(out.data))
    (
        out * Tensor(np.linspace(-1, 1, out.size).reshape(out.shape).astype(dtype))
    ).sum().backward()
    assert np.all(np.isfinite(x.grad.data))
    assert x.grad.dtype == dtype


def test_stable_values_are_right_at_extremes():
    x = Tensor(np.array([-1e4, 1e4]))
    assert tg.sigmoid(x).tolist() == [0.0, 1.0]
    assert tg.softplus(x).tolist() == [0.0, 1e4]
    assert tg.logsumexp(Tensor(np.array([1e4, 1e4]))).item() == pytest.approx(
        1e4 + np.log(2)
    )
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
    assert grad_of(lambda x: tg.clip(x, -1, 1), [-2.0, 0.5, 2.0]).tolist() == [
        0.0,
        1.0,
        0.0,
    ]
    assert grad_of(lambda x: x.clip(None, 0.0), [-2.0, 3.0]).tolist() == [1.0, 0.0]


# ---- zeros in prod and pow ----------------------------------------------------------------


def test_prod_gradient_with_zeros():
    assert grad_of(tg.prod, [2.0, 0.0, 3.0]).tolist() == [0.0, 6.0, 0.0]
    assert grad_of(tg.prod, [0.0, 0.0, 3.0]).tolist() == [0.0, 0.0, 0.0]
    assert gradcheck(
        lambda x: tg.prod(x, axis=1), [np.array([[0.0, 2.0, 3.0], [1.0, 2.0, 3.0]])]
    )


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
        ((3,), (3,)),
        ((3,), (3, 2)),
        ((2, 3), (3,)),
        ((4, 2, 3), (3,)),
        ((3,), (4, 3, 2)),
        ((2, 1, 2, 3), (4, 3, 2)),
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


# ---- 0 * inf points: PyTorch's values (FunctionsManual.cpp), as closed forms -----------------

# (a, b, a**b, d/da, d/db). PyTorch's pow_backward_self is 0 where b == 0 and
# b * a**(b-1) elsewhere; pow_backward_exponent is 0 where a == 0 and b >= 0 and
# a**b * log(a) elsewhere (so -inf at a = 0, b < 0 and nan for a negative base).
INF, NAN = np.inf, np.nan
POWER_AT_ZERO_BASE = [
    (0.0, 0.0, 1.0, 0.0, 0.0),
    (0.0, 0.5, 0.0, INF, 0.0),
    (0.0, 1.0, 0.0, 1.0, 0.0),
    (0.0, 1.5, 0.0, 0.0, 0.0),
    (0.0, 2.0, 0.0, 0.0, 0.0),
    (0.0, 3.0, 0.0, 0.0, 0.0),
    (0.0, -1.0, INF, -INF, -INF),
    (0.0, -2.0, INF, -INF, -INF),
    (-2.0, 3.0, -8.0, 12.0, NAN),
    (-2.0, 2.0, 4.0, -4.0, NAN),
    (2.0, 0.0, 1.0, 0.0, np.log(2.0)),
    (3.0, 2.0, 9.0, 6.0, 9.0 * np.log(3.0)),
]


@pytest.mark.parametrize("a, b, value, grad_a, grad_b", POWER_AT_ZERO_BASE)
def test_power_value_and_gradients_at_special_points(a, b, value, grad_a, grad_b):
    base, exponent = leaf([a]), leaf([b])
    with np.errstate(all="ignore"):
        out = base**exponent
        out.sum().backward()
    np.testing.assert_equal(out.data, [value])
    np.testing.assert_allclose(base.grad.data, [grad_a], rtol=1e-15)
    np.testing.assert_allclose(exponent.grad.data, [grad_b], rtol=1e-15)


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_derivatives_of_x_to_an_int_power_at_zero(n):
    """d/dx x**n at 0 is [n == 1], d²/dx² is 2·[n == 2]: no nan from 0 * inf,
    also through the recorded backward (create_graph)."""
    first = tg.grad(lambda x: x**n)
    second = tg.grad(lambda x: first(x))
    x = Tensor(np.float64(0.0))
    assert first(x).item() == float(n == 1)
    assert second(x).item() == 2.0 * (n == 2)


def test_std_gradient_is_zero_where_std_is_zero():
    """torch's std_backward masks result == 0: one element, a length-1 axis and
    constant data give gradient 0, not nan; varying groups get (x - mean) / (n·std)."""
    assert grad_of(tg.std, [3.0]).tolist() == [0.0]
    assert grad_of(lambda x: x.std(axis=1), [[1.0], [2.0]]).tolist() == [[0.0], [0.0]]
    x = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 6.0]])
    grad = grad_of(lambda t: t.std(axis=1, keepdims=True), x)
    expected = (x[1] - x[1].mean()) / (3 * x[1].std())
    assert grad[0].tolist() == [0.0, 0.0, 0.0]
    np.testing.assert_allclose(grad[1], expected, rtol=1e-12)
    hessian_row = tg.grad(lambda t: tg.grad(tg.std)(t)[0])(Tensor(np.full(3, 2.0)))
    assert np.all(np.isfinite(hessian_row.data))


def test_var_of_one_element_is_zero_with_gradient_zero():
    assert tg.var(Tensor(np.array([5.0]))).item() == 0.0
    assert grad_of(tg.var, [5.0]).tolist() == [0.0]
    assert grad_of(lambda x: x.var(ddof=1), [1.0, 3.0]).tolist() == [-2.0, 2.0]


def test_var_and_std_without_degrees_of_freedom_raise():
    """NumPy returns nan/inf with a warning there; we raise, naming the function."""
    with pytest.raises(ValueError, match="^std: 1 elements with ddof=1"):
        tg.std(tg.ones(1), ddof=1)
    with pytest.raises(ValueError, match="^var: 2 elements with ddof=3"):
        tg.var(tg.ones(2, 3), axis=0, ddof=3)


def test_max_gradient_goes_to_nan_entries():
    """torch's evenly_distribute_backward: a NaN result's gradient is shared by the NaNs."""
    assert grad_of(tg.max, [NAN, 0.0, NAN]).tolist() == [0.5, 0.0, 0.5]
    assert grad_of(lambda x: x.min(axis=1), [[NAN, 1.0], [2.0, 1.0]]).tolist() == [
        [1.0, 0.0],
        [0.0, 1.0],
    ]


def test_minus_infinity_entries_get_zero_gradient():
    assert grad_of(tg.logsumexp, [-INF, 0.0, 0.0]).tolist() == [0.0, 0.5, 0.5]
    # d/dx Σ log_softmax(x) = 1 − 2·softmax(x) for two entries
    assert grad_of(tg.log_softmax, [-INF, 0.0]).tolist() == [1.0, -1.0]
    weights = Tensor(np.array([1.0, 2.0]))
    assert grad_of(lambda x: tg.softmax(x) * weights, [-INF, 0.0]).tolist() == [
        0.0,
        0.0,
    ]


def test_logsumexp_of_only_minus_infinity_has_a_nan_gradient():
    """As PyTorch (exp(x − result) = exp(−inf + inf)): softmax of nothing is 0/0."""
    x = leaf([-INF, -INF])
    out = tg.logsumexp(x)
    with np.errstate(all="ignore"):
        out.backward()
    assert out.item() == -INF and np.all(np.isnan(x.grad.data))


def test_prod_second_derivatives_with_zeros_are_exact():
    """∂²(x0·x1·x2)/∂x0∂xj = Π of the others: [0, x2, x1] at x = [0, 0, 3]."""
    x = leaf([0.0, 0.0, 3.0])
    tg.prod(x).backward(create_graph=True)
    first = x.grad
    x.grad = None
    first[0].backward()
    assert first.tolist() == [0.0, 0.0, 0.0]
    assert x.grad.tolist() == [0.0, 3.0, 0.0]


def test_clip_boundary_and_elu_limit_gradients():
    """torch's clamp_backward counts the bounds as inside; elu's slope at −inf is 0."""
    assert grad_of(lambda x: tg.clip(x, -1.0, 1.0), [-1.0, 1.0]).tolist() == [1.0, 1.0]
    assert grad_of(tg.elu, [-INF, -1e4]).tolist() == [0.0, 0.0]


def test_pole_gradients_follow_ieee_as_pytorch():
    """d/dx 1/x, ln x, √x at x = 0: −inf, inf, inf (torch: −g/x², g/x, g/(2√x))."""
    with np.errstate(divide="ignore"):
        assert grad_of(lambda x: 1 / x, [0.0]).tolist() == [-INF]
        assert grad_of(tg.log, [0.0]).tolist() == [INF]
        assert grad_of(tg.sqrt, [0.0]).tolist() == [INF]


# ---- empty tensors -----------------------------------------------------------------------------


def test_prod_of_empty_tensors_and_its_gradient():
    x = leaf(np.zeros(0))
    out = tg.prod(x)
    out.backward()
    assert out.item() == 1.0 and x.grad.shape == (0,)
    y = leaf(np.zeros((0, 3)))
    out = tg.prod(y, axis=0)
    out.sum().backward()
    assert out.tolist() == [1.0, 1.0, 1.0] and y.grad.shape == (0, 3)


def test_logsumexp_and_softmax_over_an_empty_axis():
    """An empty sum is 0, so logsumexp over no elements is −inf (as PyTorch)."""
    assert tg.logsumexp(tg.zeros(0)).item() == -INF
    x = leaf(np.zeros((2, 0)))
    out = tg.logsumexp(x, axis=1)
    out.sum().backward()
    assert out.tolist() == [-INF, -INF] and x.grad.shape == (2, 0)
    assert tg.softmax(tg.zeros(2, 0), axis=1).shape == (2, 0)
    assert tg.log_softmax(tg.zeros(0, 3), axis=0).shape == (0, 3)


# ---- a list holding Tensors is one array (stacked, graph kept) -------------------------------------


def test_a_list_of_tensors_given_to_an_op_is_stacked_with_its_graph():
    x = leaf([1.0, 2.0, 3.0])
    m = tg.mean([x, x + 2.0])
    assert m.item() == pytest.approx(3.0) and m.dtype == np.float64 and m.requires_grad
    m.backward()
    assert x.grad.tolist() == pytest.approx([1 / 3] * 3)  # x counted twice, each 1/6
    y = leaf([0.5, -1.0, 0.0])
    out = tg.exp([x, y])
    assert out.shape == (2, 3)
    out.sum().backward()
    np.testing.assert_allclose(y.grad.data, np.exp([0.5, -1.0, 0.0]))


def test_a_list_of_scalar_tensors_as_an_operand():
    a, b = leaf(2.0), leaf(3.0)
    out = Tensor(np.array([1.0, 1.0])) * [a, b]
    out.sum().backward()
    assert out.tolist() == [2.0, 3.0] and a.grad.item() == 1.0 and b.grad.item() == 1.0
    with pytest.raises(ValueError, match="must have one shape"):
        tg.sum([a, leaf([1.0, 2.0])])


def test_tensor_constructor_refuses_tensors_that_require_grad():
    x = leaf([1.0, 2.0])
    with pytest.raises(TypeError, match=r"^Tensor: .*require grad.*tg\.stack"):
        Tensor([x, x * 2])
    made = Tensor([x.detach(), x.detach()])  # no graph to lose: a plain leaf
    assert made.dtype == np.float64 and made.tolist() == [[1.0, 2.0], [1.0, 2.0]]
    assert not made.requires_grad
