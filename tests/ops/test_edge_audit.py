"""Derivatives at the special points of sinc, arctan2, binary_cross_entropy, clip,
maximum/minimum, fmax/fmin, relu and elu (docs/edge-values.md), checked against
closed forms, central differences and PyTorch's values written out by hand."""

import math

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import Tensor
from tinygrad_edu.testing import gradcheck, gradgradcheck

NAN = np.nan


def leaf(values, dtype=np.float64):
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def grads(fn, *values):
    """fn(*leaves), and each leaf's gradient of its sum (0 where none arrives)."""
    leaves = [leaf(v) for v in values]
    out = fn(*leaves)
    out.sum().backward()
    return out.data, [
        np.zeros(x.shape) if x.grad is None else x.grad.data for x in leaves
    ]


def derivatives(fn, x, order):
    """The first ``order`` derivatives of the elementwise ``fn`` at the points ``x``
    (each the gradient of the sum of the previous one, with create_graph)."""
    found, g = [], lambda t: fn(t).sum()
    for _ in range(order):
        d = tg.grad(g)
        found.append(d(Tensor(np.asarray(x, dtype=np.float64))).data)
        g = (lambda d: lambda t: d(t).sum())(d)
    return found


# ---- sinc: every derivative right at and near 0 ---------------------------------------


def _sinc_closed_forms(x):
    """sinc' = (cos πx − sinc x)/x and sinc'' = −π² sinc − 2 sinc'/x (from
    x·sinc x = sin(πx)/π differentiated twice); exact enough for |x| ≥ 0.1."""
    s = np.sinc(x)
    d1 = (np.cos(np.pi * x) - s) / x
    return d1, -np.pi**2 * s - 2 * d1 / x


def test_sinc_derivatives_at_zero_are_the_taylor_coefficients():
    """sinc x = 1 − (πx)²/3! + (πx)⁴/5! − ...: derivatives 0, −π²/3, 0, π⁴/5."""
    d1, d2, d3, d4 = derivatives(tg.sinc, [0.0], 4)
    assert d1.tolist() == [0.0] and d3.tolist() == [0.0]
    assert d2 == pytest.approx([-(np.pi**2) / 3], rel=1e-14)
    assert d4 == pytest.approx([np.pi**4 / 5], rel=1e-12)


def test_sinc_derivatives_near_zero_match_the_series_and_the_closed_forms():
    tiny = np.array([1e-300, -1e-8, 1e-4])  # the quotient is all cancellation here
    d1, d2 = derivatives(tg.sinc, tiny, 2)
    p2 = np.pi**2
    np.testing.assert_allclose(d1, -p2 * tiny / 3 + p2 * p2 * tiny**3 / 30, rtol=1e-12)
    np.testing.assert_allclose(d2, -p2 / 3 + p2 * p2 * tiny**2 / 10, rtol=1e-12)
    # either side of the switch to the series at |x| = 1/4, and far from it
    x = np.array([-0.3, -0.2500001, -0.25, -0.2499999, 0.1, 0.2499999, 0.25, 1.7])
    d1, d2 = derivatives(tg.sinc, x, 2)
    want1, want2 = _sinc_closed_forms(x)
    np.testing.assert_allclose(d1, want1, rtol=1e-12)
    np.testing.assert_allclose(d2, want2, rtol=1e-11)


def test_sinc_gradcheck_and_gradgradcheck_across_zero_and_the_switch():
    x = [[-0.3, -0.25, -0.1, 0.0], [1e-6, 0.2, 0.25, 0.26]]
    assert gradcheck(tg.sinc, [x])
    assert gradgradcheck(tg.sinc, [x])


def test_sinc_gradient_keeps_float32():
    x = leaf([0.0, 0.1, 0.5], np.float32)
    tg.sinc(x).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(
        x.grad.data, [0.0, *_sinc_closed_forms(np.array([0.1, 0.5]))[0]], rtol=1e-5
    )


# ---- arctan2: PyTorch's 0 at the origin -------------------------------------------------


def test_arctan2_gradient_at_the_origin_is_zero():
    with np.errstate(all="raise"):  # no 0/0 on the way
        _, (gy, gx) = grads(tg.arctan2, [0.0, 0.0, 3.0], [0.0, -0.0, 4.0])
    assert gy.tolist() == [0.0, 0.0, 4 / 25] and gx.tolist() == [0.0, 0.0, -3 / 25]
    assert np.signbit(gx[0])  # -0.0, as torch: -grad * y / ... with y = +0


def test_arctan2_second_derivatives_beside_the_origin_stay_right():
    y, x = np.array([0.0, 1.0, 0.5, -2.0]), np.array([0.0, 0.0, 0.5, 3.0])

    def gradient_sum(a, b):
        g = tg.grad(lambda a, b: tg.arctan2(a, b).sum(), argnums=(0, 1))(a, b)
        return (g[0] + g[1]).sum()

    with np.errstate(invalid="ignore"):  # hypot's 0/0 at the origin, as PyTorch's
        dy, dx = tg.grad(gradient_sum, argnums=(0, 1))(Tensor(y), Tensor(x))
    # ∂/∂y and ∂/∂x of x/r² − y/r², away from the origin (where they are NaN, as
    # PyTorch's: the second derivatives have no limit there)
    x, y, r4 = x[1:], y[1:], (x[1:] ** 2 + y[1:] ** 2) ** 2
    np.testing.assert_allclose(
        dy.data[1:], (y * y - x * x - 2 * x * y) / r4, rtol=1e-12
    )
    np.testing.assert_allclose(
        dx.data[1:], (y * y - x * x + 2 * x * y) / r4, rtol=1e-12
    )
    assert gradgradcheck(tg.arctan2, [y, x])


# ---- binary_cross_entropy: PyTorch's double backward --------------------------------


def _bce_hessian(p, y, eps=1e-12):
    """PyTorch's binary_cross_entropy_double_backward (per element)."""
    return (p * p - 2 * p * y + y) / ((p + eps) ** 2 * (1 - p + eps) ** 2)


def _bce(y, reduction="sum"):
    return lambda p: F.binary_cross_entropy(p, y, reduction=reduction)


def test_bce_hessian_is_zero_where_the_prediction_is_exact():
    hessian = tg.hessian(_bce(np.array([0.0, 1.0])))(Tensor(np.array([0.0, 1.0])))
    assert hessian.tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_bce_hessian_follows_pytorch_at_the_ends_and_the_closed_form_inside():
    p, y = np.array([0.0, 1.0, 0.3, 0.9, 1e-7]), np.array([1.0, 0.0, 0.6, 1.0, 0.0])
    hessian = tg.hessian(_bce(y))(Tensor(p)).data
    np.testing.assert_allclose(np.diag(hessian), _bce_hessian(p, y), rtol=1e-12)
    assert np.diag(hessian)[0] == pytest.approx(1e24, rel=1e-11)
    assert np.count_nonzero(hessian - np.diag(np.diag(hessian))) == 0
    p, y = p[2:4], y[2:4]  # inside, ε changes nothing visible: d²/dp² of the loss
    exact = (p * p - 2 * p * y + y) / (p * p * (1 - p) ** 2)
    np.testing.assert_allclose(np.diag(hessian)[2:4], exact, rtol=1e-9)


def test_bce_first_derivatives_keep_pytorchs_clamp():
    y = np.array([1.0, 0.0, 0.6, 0.0, 1.0])
    _, (g,) = grads(_bce(y, "none"), [0.0, 1.0, 0.3, 0.0, 1.0])
    np.testing.assert_allclose(g, [-1e12, 1e12, -0.3 / 0.21, 0.0, 0.0], rtol=1e-12)


def test_bce_second_order_in_the_upstream_gradient_too():
    """d/dw of d/dp (w · loss) is the first derivative: the backward op's second
    input (the upstream gradient) gets its gradient as well."""
    y = np.array([0.0, 1.0, 0.25])
    assert gradgradcheck(
        lambda p, w: F.binary_cross_entropy(p, y, reduction="none") * w,
        [[0.2, 0.7, 0.5], [1.5, -0.5, 2.0]],
    )


# ---- clip with Tensor bounds: PyTorch's clamp ------------------------------------------


def test_clip_bounds_broadcast_like_numpy():
    x, hi = np.array([[0.1, 1.5, 3.0]]), np.array([[1.0], [2.0]])
    for bound in (hi, Tensor(hi)):
        out = tg.clip(Tensor(x), -1.0, bound)
        assert out.shape == (2, 3)
        np.testing.assert_array_equal(out.data, np.clip(x, -1.0, hi))
    _, (gx, glo, ghi) = grads(tg.clip, x, -1.0, hi)
    assert gx.tolist() == [[2.0, 1.0, 0.0]]  # summed over the broadcast rows
    assert glo.tolist() == 0.0 and ghi.tolist() == [[2.0], [1.0]]


# torch.clamp(x, lo, hi) and its gradients, from torch 2.13 (x, lo, hi -> out, gx,
# glo, ghi): a tie goes to x; lo > hi gives hi and its gradient; lo == hi > x: none
CLAMP_CASES = [
    ((1.0, 1.0, 3.0), (1.0, 1.0, 0.0, 0.0)),  # x == lo
    ((3.0, 1.0, 3.0), (3.0, 1.0, 0.0, 0.0)),  # x == hi
    ((0.0, 1.0, 3.0), (1.0, 0.0, 1.0, 0.0)),  # below
    ((4.0, 1.0, 3.0), (3.0, 0.0, 0.0, 1.0)),  # above
    ((2.0, 2.0, 2.0), (2.0, 1.0, 0.0, 0.0)),  # all three equal
    ((0.0, 2.0, 2.0), (2.0, 0.0, 0.0, 0.0)),  # lo == hi, x below: nobody
    ((3.0, 2.0, 2.0), (2.0, 0.0, 0.0, 1.0)),  # lo == hi, x above
    ((1.5, 2.0, 1.0), (1.0, 0.0, 0.0, 1.0)),  # lo > hi: hi
    ((NAN, 0.0, 1.0), (NAN, 0.0, 0.0, 0.0)),
]


@pytest.mark.parametrize("args, want", CLAMP_CASES)
def test_clip_tensor_bounds_follow_torch_clamp(args, want):
    out, (gx, glo, ghi) = grads(tg.clip, *([v] for v in args))
    np.testing.assert_array_equal([out[0], gx[0], glo[0], ghi[0]], want)


def test_clip_with_one_tensor_bound():
    _, (gx, glo) = grads(lambda x, lo: tg.clip(x, lo, None), [1.0, 0.0, 2.0], [1.0] * 3)
    assert gx.tolist() == [1.0, 0.0, 1.0] and glo.tolist() == [0.0, 1.0, 0.0]
    _, (gx, ghi) = grads(lambda x, hi: tg.clip(x, None, hi), [1.0, 0.0, 2.0], [1.0] * 3)
    assert gx.tolist() == [1.0, 1.0, 0.0] and ghi.tolist() == [0.0, 0.0, 1.0]


def test_clip_tensor_bounds_gradcheck():
    rng = np.random.default_rng(3)
    x, lo, hi = (
        rng.normal(size=(3, 4)),
        rng.normal(size=4) - 0.5,
        rng.normal(size=(3, 1)),
    )
    assert gradcheck(tg.clip, [x, lo, hi + 0.5])  # normal draws: no ties
    assert gradgradcheck(tg.clip, [x, lo, hi + 0.5])


def test_clip_with_a_tensor_bound_keeps_float32():
    x = leaf([-2.0, 0.5, 2.0], np.float32)
    out = tg.clip(x, Tensor(np.float32(-1.0)), 1.0)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [0.0, 1.0, 0.0]


# ---- maximum / minimum / fmax / fmin: ties and NaN, as PyTorch -----------------------


A = [1.0, 2.0, NAN, NAN, 1.0]
B = [1.0, 1.0, 1.0, NAN, NAN]
# (op, out, grad_a, grad_b) for a = A, b = B, from torch 2.13
EXTREMA = [
    (tg.maximum, [1.0, 2.0, NAN, NAN, NAN], [0.5, 1, 1, 1, 1], [0.5, 0, 1, 1, 1]),
    (tg.minimum, [1.0, 1.0, NAN, NAN, NAN], [0.5, 0, 1, 1, 1], [0.5, 1, 1, 1, 1]),
    (tg.fmax, [1.0, 2.0, 1.0, NAN, 1.0], [1, 1, 0, 1, 1], [0, 0, 1, 0, 0]),
    (tg.fmin, [1.0, 1.0, 1.0, NAN, 1.0], [1, 0, 0, 1, 1], [0, 1, 1, 0, 0]),
]


@pytest.mark.parametrize(
    "op, out, grad_a, grad_b", EXTREMA, ids=["maximum", "minimum", "fmax", "fmin"]
)
def test_extrema_ties_and_nan_follow_pytorch(op, out, grad_a, grad_b):
    got, (ga, gb) = grads(op, A, B)
    np.testing.assert_array_equal(got, out)
    np.testing.assert_array_equal(ga, grad_a)
    np.testing.assert_array_equal(gb, grad_b)


def test_fmax_broadcasts_and_second_order_is_zero():
    _, (ga, gb) = grads(tg.fmax, [[1.0], [NAN]], [0.5, 1.0, 2.0])
    assert ga.tolist() == [[2.0], [0.0]] and gb.tolist() == [1.0, 1.0, 2.0]  # 1 == 1: a
    assert gradgradcheck(lambda a, b: tg.fmin(a, b) ** 2, [[0.3, -1.0], [0.5, -2.0]])


# ---- relu and elu -------------------------------------------------------------------


def test_relu_passes_the_gradient_at_nan_as_pytorchs_threshold_backward():
    _, (g,) = grads(tg.relu, [NAN, 0.0, -0.0, 2.0, -2.0])
    assert g.tolist() == [1.0, 0.0, 0.0, 1.0, 0.0]


def test_elu_derivatives_at_zero_are_alpha_and_pytorchs_zero():
    alpha = 2.0
    d1, d2, d3 = derivatives(lambda x: tg.elu(x, alpha), [0.0, -1.0, 1.0], 3)
    assert d1.tolist() == [alpha, alpha * math.exp(-1), 1.0]
    assert d2.tolist() == [0.0, alpha * math.exp(-1), 0.0]
    assert d3.tolist() == [0.0, alpha * math.exp(-1), 0.0]


@pytest.mark.parametrize("p, y", [(1.0, 1.0), (0.0, 0.0)])
def test_bce_second_derivative_is_the_same_forward_first(p, y):
    target = tg.Tensor(np.array([y]))
    f = lambda q: F.binary_cross_entropy(q, target, reduction="sum")  # noqa: E731
    at, one = np.array([p]), (np.ones(1),)
    reverse = tg.grad(lambda q: tg.grad(f)(q).sum())(at)
    forward_first = tg.grad(lambda q: tg.jvp(f, (q,), one)[1])(at)
    forward_twice = tg.jvp(lambda q: tg.jvp(f, (q,), one)[1], (at,), one)[1]
    assert reverse.tolist() == forward_first.tolist() == [0.0]
    assert forward_twice.item() == 0.0


def test_softplus_and_leaky_relu_of_ints_are_float_as_numpy():
    np.testing.assert_allclose(
        tg.softplus(Tensor([1, 0, -2])).data, np.logaddexp(0, [1.0, 0.0, -2.0])
    )
    assert tg.leaky_relu(Tensor([-2, 3])).tolist() == [-0.02, 3.0]
    assert tg.softplus(Tensor([True, False])).dtype.kind == "f"


@pytest.mark.parametrize(
    "make",
    [lambda: tg.linspace(0, 1, 10**12), lambda: tg.tile(tg.ones(3), 10**9),
     lambda: tg.repeat(tg.ones(3), 10**9), lambda: tg.repeat(tg.ones(3), [10**12, 1, 1])],
)
def test_huge_arrangements_are_refused_before_allocating(make):
    with pytest.raises(ValueError, match="MAX_CREATE_BYTES"):
        make()
