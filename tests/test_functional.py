"""Functional transforms (tinygrad_edu.functional): grad and value_and_grad, nested.

Every derivative is checked against a closed form or central differences
(``tinygrad_edu.testing.numerical_grad``), never against the library's own output.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.testing import numerical_grad

# ---- random smooth functions of (x, y) from a small menu of ops ----------------------

UNARY = {
    "sin": (tg.sin, np.sin),
    "cos": (tg.cos, np.cos),
    "tanh": (tg.tanh, np.tanh),
    "exp": (tg.exp, np.exp),
    "square": (tg.square, np.square),
}
BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "mul": (lambda a, b: a * b, np.multiply),
}


def expressions(depth: int = 3) -> st.SearchStrategy:
    """Expression trees: "x", "y", a constant, (unary, e) or (binary, e1, e2)."""
    leaves = st.one_of(
        st.sampled_from(["x", "y"]), st.floats(-1.5, 1.5).map(lambda c: round(c, 2))
    )

    def extend(children):
        return st.one_of(
            st.tuples(st.sampled_from(sorted(UNARY)), children),
            st.tuples(st.sampled_from(sorted(BINARY)), children, children),
        )

    return st.recursive(leaves, extend, max_leaves=2**depth)


def evaluate(expr, x, y, numpy=False):
    """The expression with tinygrad_edu ops (or NumPy's, ``numpy=True``)."""
    if isinstance(expr, str):
        return x if expr == "x" else y
    if isinstance(expr, float):
        return expr
    op, *args = expr
    fns = UNARY.get(op) or BINARY[op]
    values = [evaluate(a, x, y, numpy) for a in args]
    return fns[1 if numpy else 0](*values)


def as_function(expr):
    """f(x, y) returning a Tensor even when the expression is a constant."""

    def f(x, y):
        return x * 0.0 + evaluate(expr, x, y)

    return f


def close(found, expected, rtol=1e-4, atol=1e-6):
    found = np.asarray(
        found.data if isinstance(found, tg.Tensor) else found, np.float64
    )
    np.testing.assert_allclose(
        found, expected, rtol=rtol, atol=atol * max(1.0, np.abs(expected).max())
    )


points = st.floats(-1.0, 1.0)

# ---- issue 13.1 and 13.2 -------------------------------------------------------------


def test_mixed_partial_through_nested_grad():
    f = lambda x, y: tg.sin(tg.sin(x) + tg.sin(y))  # noqa: E731
    x, y = np.float64(0.5), np.float64(0.3)
    expected = -np.sin(np.sin(x) + np.sin(y)) * np.cos(x) * np.cos(y)  # ≈ -0.5866
    assert (
        abs(tg.grad(tg.grad(f, argnums=1), argnums=0)(x, y).item() - expected) < 1e-12
    )
    assert (
        abs(tg.grad(tg.grad(f, argnums=0), argnums=1)(x, y).item() - expected) < 1e-12
    )


def test_inner_grad_closing_over_the_outer_variable():
    g = lambda x: x * tg.grad(lambda y: x * y)(np.float64(2.0))  # noqa: E731  (= x²)
    assert tg.grad(g)(np.float64(1.0)).item() == 2.0
    assert tg.grad(g)(np.float64(-3.0)).item() == -6.0


def test_no_perturbation_confusion():
    """The inner derivative is w.r.t. the inner argument only, even when it is given
    the outer variable: d/dx [x · (d/dy x·y at y = x)] = d/dx x² = 2x (not 4x)."""
    h = lambda x: x * tg.grad(lambda y: x * y)(x)  # noqa: E731
    assert tg.grad(h)(3.0).item() == 6.0


def test_third_derivative():
    d3 = tg.grad(tg.grad(tg.grad(lambda x: x**4)))
    assert d3(2.0).item() == 48.0  # 24x


def test_top_level_results_carry_no_graph():
    value, g = tg.value_and_grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(
        np.ones(3), np.arange(3.0)
    )
    for t in (value, *g):
        assert not t.requires_grad and t.grad_fn is None


def test_argument_that_requires_grad_keeps_the_graph_and_no_grad_is_touched():
    """As torch.func: the gradient is differentiable w.r.t. such an argument."""
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    g = tg.grad(lambda a: (a * a * a).sum())(x)  # 3a²
    assert x.grad is None
    np.testing.assert_array_equal(g.data, [3.0, 12.0])
    g.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [6.0, 12.0])  # 6a


def test_grad_under_no_grad_is_plain():
    w = tg.Tensor(3.0, requires_grad=True)
    with tg.no_grad():
        g = tg.grad(lambda x: w * x * x)(2.0)
    assert g.item() == 12.0 and not g.requires_grad


def test_captured_tensor_gets_its_gradient_through_grad():
    """grad keeps the graph to a captured tensor, so backward reaches it (torch.func)."""
    w = tg.Tensor(np.float64(3.0), requires_grad=True)
    gx = tg.grad(lambda x: w * x * x)(np.float64(2.0))  # 2wx
    assert gx.item() == 12.0 and gx.requires_grad
    gx.backward()
    assert w.grad.item() == 4.0  # d(2wx)/dw = 2x


def test_identity_function_and_unused_argument():
    assert tg.grad(lambda x: x)(3.0).item() == 1.0
    g = tg.grad(lambda x, y: x * 2.0, argnums=1)(tg.Tensor(1.0), np.array([1.0, 2.0]))
    np.testing.assert_array_equal(g.data, [0.0, 0.0])


# ---- hypothesis properties -----------------------------------------------------------


@given(expr=expressions(), x=points, y=points)
def test_mixed_partials_agree_with_each_other_and_central_differences(expr, x, y):
    f = as_function(expr)
    x, y = np.float64(x), np.float64(y)
    fxy = tg.grad(tg.grad(f, 1), 0)(x, y).item()
    fyx = tg.grad(tg.grad(f, 0), 1)(x, y).item()
    numerical, _ = numerical_grad(tg.grad(f, 1), [x, y])
    close(fxy, numerical)
    close(fyx, numerical)


@given(expr=expressions(), x=points, y=points)
def test_second_derivative_matches_central_differences(expr, x, y):
    f = as_function(expr)
    x, y = np.float64(x), np.float64(y)
    fxx = tg.grad(tg.grad(f, 0), 0)(x, y)
    close(fxx, numerical_grad(tg.grad(f, 0), [x, y])[0])


@given(expr=expressions(), x=points, y=points)
def test_grad_through_a_closure_over_the_outer_variable(expr, x, y):
    """g(x) = x · ∂f/∂y(x, y) with the inner grad closing over the outer x."""
    f = as_function(expr)

    def g(x):
        return x * tg.grad(lambda y_: f(x, y_))(np.float64(y))

    found = tg.grad(g)(np.float64(x))
    close(found, numerical_grad(g, [np.float64(x)])[0])


@given(expr=expressions(), x=points, y=points)
def test_grad_of_value_and_grad(expr, x, y):
    """h(x) = f + ∂f/∂x, both from one value_and_grad: h' = ∂f/∂x + ∂²f/∂x²."""
    f = as_function(expr)

    def h(x):
        value, g = tg.value_and_grad(f)(x, np.float64(y))
        return value + g

    found = tg.grad(h)(np.float64(x))
    close(found, numerical_grad(h, [np.float64(x)])[0])


@given(expr=expressions(), x=points, y=points)
def test_value_matches_numpy(expr, x, y):
    value, _ = tg.value_and_grad(as_function(expr))(np.float64(x), np.float64(y))
    close(value, np.float64(evaluate(expr, np.float64(x), np.float64(y), numpy=True)))


# ---- bad input -----------------------------------------------------------------------


def test_grad_bad_input_names_the_transform_and_function():
    def square_sum(x):
        return (x * x).sum()

    with pytest.raises(
        ValueError, match=r"grad: argnums 2 is out of range .*square_sum"
    ):
        tg.grad(square_sum, argnums=2)(1.0)
    with pytest.raises(ValueError, match=r"argnums names argument 0 twice"):
        tg.grad(lambda x, y: x * y, argnums=(0, -2))(1.0, 2.0)
    with pytest.raises(TypeError, match=r"grad: argnums must be an int"):
        tg.grad(square_sum, argnums=1.0)
    with pytest.raises(
        TypeError, match=r"value_and_grad: the function must return a Tensor"
    ):
        tg.value_and_grad(lambda x: 3.0)(1.0)
    with pytest.raises(
        ValueError, match=r"grad: the function must return a scalar.*\(3,\)"
    ):
        tg.grad(lambda x: x * 2)(np.ones(3))
    with pytest.raises(TypeError, match=r"grad: argument 0 of square_sum must be real"):
        tg.grad(square_sum)(np.array([1 + 2j]))
    with pytest.raises(TypeError, match=r"grad: argument 0 of square_sum must be real"):
        tg.grad(square_sum)("abc")


# ---- vjp, jvp, jacobian, hessian -----------------------------------------------------

sizes = st.integers(1, 4)
seeds = st.integers(0, 2**16)


def tanh_layer(seed: int, n_out: int, n_in: int):
    """f(x) = tanh(W x + b) with fixed random W, b; f in NumPy; its Jacobian
    diag(1 − f²) W."""
    rng = np.random.default_rng(seed)
    W, b = rng.standard_normal((n_out, n_in)), rng.standard_normal(n_out)

    def f(x):
        return tg.tanh(tg.matmul(tg.Tensor(W), x) + b)

    def reference(x):
        return np.tanh(W @ x + b)

    def jacobian(x):
        return (1 - reference(x) ** 2)[:, None] * W

    return f, reference, jacobian


def directional_difference(f, x, t, eps=1e-6):
    """Central difference of f along t: (f(x + eps t) − f(x − eps t)) / 2 eps."""
    with tg.no_grad():
        plus, minus = f(tg.Tensor(x + eps * t)).data, f(tg.Tensor(x - eps * t)).data
    return (plus - minus) / (2 * eps)


@given(seed=seeds, n_out=sizes, n_in=sizes)
def test_vjp_is_v_transpose_jacobian(seed, n_out, n_in):
    f, reference, jac = tanh_layer(seed, n_out, n_in)
    rng = np.random.default_rng(seed + 1)
    x, v = rng.standard_normal(n_in), rng.standard_normal(n_out)
    out, vjp_fn = tg.vjp(f, x)
    close(out, reference(x), rtol=1e-12)
    (found,) = vjp_fn(v)
    close(found, v @ jac(x), rtol=1e-10)
    close(found, numerical_grad(f, [x], cotangent=v)[0])
    (again,) = vjp_fn(2 * v)  # vjp_fn may be called again (the graph is kept)
    close(again, 2 * v @ jac(x), rtol=1e-10)
    assert not out.requires_grad and not found.requires_grad


@given(seed=seeds, n_out=sizes, n_in=sizes)
def test_jvp_is_jacobian_times_tangent(seed, n_out, n_in):
    f, reference, jac = tanh_layer(seed, n_out, n_in)
    rng = np.random.default_rng(seed + 2)
    x, t = rng.standard_normal(n_in), rng.standard_normal(n_in)
    out, tangent = tg.jvp(f, (x,), (t,))
    close(out, reference(x), rtol=1e-12)
    close(tangent, jac(x) @ t, rtol=1e-10)
    close(tangent, directional_difference(f, x, t))
    assert not tangent.requires_grad


@given(expr=expressions(), x=points, y=points, tx=points, ty=points)
def test_jvp_of_two_arguments_matches_central_differences(expr, x, y, tx, ty):
    f = as_function(expr)
    _, tangent = tg.jvp(
        f, (np.float64(x), np.float64(y)), (np.float64(tx), np.float64(ty))
    )
    gx, gy = numerical_grad(f, [np.float64(x), np.float64(y)])
    close(tangent, gx * tx + gy * ty)


@given(
    seed=seeds,
    shape_in=st.sampled_from([(3,), (2, 2), (1, 3), ()]),
    shape_out=st.sampled_from([(2,), (3, 1), ()]),
)
def test_jacobian_shape_rows_and_both_modes(seed, shape_in, shape_out):
    """J has shape out.shape + in.shape; reverse, forward, stacked vjps and central
    differences agree."""
    rng = np.random.default_rng(seed)
    n_in, n_out = int(np.prod(shape_in)), int(np.prod(shape_out))
    W = rng.standard_normal((n_out, n_in))

    def f(x):
        return tg.sin(tg.matmul(tg.Tensor(W), x.reshape(-1)) * x.sum()).reshape(
            shape_out
        )

    x = rng.standard_normal(shape_in)
    J = tg.jacobian(f)(x)
    assert J.shape == shape_out + shape_in
    close(tg.jacobian(f, mode="forward")(x), J.data, rtol=1e-10)
    _, vjp_fn = tg.vjp(f, x)
    rows = [vjp_fn(np.eye(n_out)[k].reshape(shape_out))[0].data for k in range(n_out)]
    close(J.data.reshape(n_out, n_in), np.stack(rows).reshape(n_out, n_in), rtol=1e-10)
    for k in range(n_out):
        v = np.eye(n_out)[k].reshape(shape_out)
        close(
            J.data.reshape(n_out, *shape_in)[k], numerical_grad(f, [x], cotangent=v)[0]
        )


def test_jacobian_of_several_arguments():
    a, b = np.array([1.0, 2.0]), np.array([3.0, -1.0, 0.5])
    Ja, Jb = tg.jacobian(lambda a, b: (a[:, None] * b).sum(1), argnums=(0, 1))(a, b)
    close(Ja, np.diag(np.full(2, b.sum())))  # ∂(a_i Σb)/∂a_j
    close(Jb, np.tile(a[:, None], (1, 3)))  # ∂(a_i Σb)/∂b_j = a_i


@given(seed=seeds, n=sizes, m=sizes)
def test_hessian_of_logsumexp_matches_closed_form(seed, n, m):
    """f(x) = logsumexp(A x): H = Aᵀ (diag p − p pᵀ) A with p = softmax(A x)."""
    rng = np.random.default_rng(seed)
    A, x = rng.standard_normal((m, n)), rng.standard_normal(n)
    H = tg.hessian(lambda x: tg.logsumexp(tg.matmul(tg.Tensor(A), x)))(x)
    z = A @ x
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    expected = A.T @ (np.diag(p) - np.outer(p, p)) @ A
    assert H.shape == (n, n)
    close(H, expected, rtol=1e-9)
    close(H.data, H.data.T, rtol=1e-12)  # symmetric


@given(expr=expressions(), x=points, y=points)
def test_hessian_of_two_arguments_is_symmetric_and_matches_nested_grad(expr, x, y):
    f = as_function(expr)
    x, y = np.float64(x), np.float64(y)
    (hxx, hxy), (hyx, hyy) = tg.hessian(f, argnums=(0, 1))(x, y)
    close(hxy, hyx.item())
    close(hxx, numerical_grad(tg.grad(f, 0), [x, y])[0])
    close(hxy, numerical_grad(tg.grad(f, 0), [x, y])[1])
    close(hyy, numerical_grad(tg.grad(f, 1), [x, y])[1])


def test_transforms_nest_inside_grad():
    """grad through jacobian and jvp: d/dx Σ J(x) and d/dx Σ J(x)·t, for f = sin(x)·x."""
    f = lambda x: tg.sin(x) * x  # noqa: E731  J = diag(cos(x)·x + sin(x))
    x, t = np.array([0.4, -1.2]), np.array([0.5, 2.0])
    found = tg.grad(lambda x: tg.jacobian(f)(x).sum())(x)
    close(found, 2 * np.cos(x) - x * np.sin(x))
    found = tg.grad(lambda x: tg.jvp(f, (x,), (t,))[1].sum())(x)
    close(found, t * (2 * np.cos(x) - x * np.sin(x)))
    found = tg.grad(lambda x: tg.vjp(f, x)[1](t)[0].sum())(x)
    close(found, t * (2 * np.cos(x) - x * np.sin(x)))


def test_functions_that_ignore_their_input_give_zeros():
    const = lambda x: tg.Tensor([1.0, 2.0])  # noqa: E731
    x = np.array([3.0, 4.0, 5.0])
    np.testing.assert_array_equal(tg.jacobian(const)(x).data, np.zeros((2, 3)))
    np.testing.assert_array_equal(tg.jvp(const, (x,), (x,))[1].data, np.zeros(2))
    np.testing.assert_array_equal(tg.vjp(const, x)[1](np.ones(2))[0].data, np.zeros(3))


class ArraySquare(tg.Function):
    """A user op: its backward works on arrays, so it is differentiable only once."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(2 * x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.saved_tensors[0]


def test_bad_input_to_the_transforms_names_them():
    def wide(x):
        return x.sum()

    with pytest.raises(
        TypeError, match=r"vjp: the function must return a Tensor.*<lambda>"
    ):
        tg.vjp(lambda x: [x], 1.0)
    with pytest.raises(TypeError, match=r"jvp: the function must return a Tensor"):
        tg.jvp(lambda x: 2.0, (1.0,), (1.0,))
    with pytest.raises(TypeError, match=r"jacobian: the function must return a Tensor"):
        tg.jacobian(lambda x: x.data)(np.ones(2))
    with pytest.raises(TypeError, match=r"hessian: the function must return a Tensor"):
        tg.hessian(lambda x: None)(np.ones(2))
    with pytest.raises(
        ValueError, match=r"jvp: tangent 0 has shape \(3,\) but must have shape \(2,\)"
    ):
        tg.jvp(wide, (np.ones(2),), (np.ones(3),))
    with pytest.raises(
        ValueError, match=r"jvp: got 1 primal\(s\) but 2 tangent\(s\) for wide"
    ):
        tg.jvp(wide, (np.ones(2),), (np.ones(2), np.ones(2)))
    with pytest.raises(TypeError, match=r"jvp: primals must be a tuple"):
        tg.jvp(wide, np.ones(2), (np.ones(2),))
    with pytest.raises(TypeError, match=r"jvp: tangent 0 must be real numbers"):
        tg.jvp(wide, (np.ones(2),), (np.ones(2) * 1j,))
    _, vjp_fn = tg.vjp(lambda x: x * 2, np.ones(2))
    with pytest.raises(
        ValueError,
        match=r"vjp: the cotangent has shape \(\) but must have shape \(2,\)",
    ):
        vjp_fn(1.0)
    with pytest.raises(ValueError, match=r"jacobian: argnums 1 is out of range .*wide"):
        tg.jacobian(wide, argnums=1)(np.ones(2))
    with pytest.raises(ValueError, match=r"hessian: argnums -2 is out of range .*wide"):
        tg.hessian(wide, argnums=-2)(np.ones(2))
    with pytest.raises(
        ValueError, match=r"jacobian: mode must be 'reverse' or 'forward'"
    ):
        tg.jacobian(wide, mode="sideways")
    # forward mode differentiates backward formulas: an op written on arrays cannot be
    with pytest.raises(
        RuntimeError, match=r"arraysquare.backward works on NumPy arrays"
    ):
        tg.jvp(ArraySquare.apply, (np.ones(2),), (np.ones(2),))
    assert tg.vjp(ArraySquare.apply, np.ones(2))[1](np.ones(2))[0].tolist() == [
        2.0,
        2.0,
    ]


def test_differentiating_through_the_tangent_and_the_cotangent():
    """jvp is linear in t and vjp_fn in v: d Σ(J·t)/dt = Jᵀ1 and d Σ(vᵀJ)/dv = J1."""
    f, reference, jac = tanh_layer(3, 2, 3)
    x = np.array([0.1, -0.2, 0.3])
    found = tg.grad(lambda t: tg.jvp(f, (x,), (t,))[1].sum())(np.ones(3))
    close(found, jac(x).T @ np.ones(2), rtol=1e-10)
    found = tg.grad(lambda v: tg.vjp(f, x)[1](v)[0].sum())(np.ones(2))
    close(found, jac(x) @ np.ones(3), rtol=1e-10)


def test_hessian_of_a_vector_function_stacks_each_outputs_hessian():
    """f_k = tanh(w_k·x + b_k): H[k] = −2 f_k (1 − f_k²) w_k w_kᵀ, shape (2, 3, 3)."""
    f, reference, jac = tanh_layer(5, 2, 3)
    x = np.array([0.4, -0.1, 0.2])
    y = reference(x)
    W = jac(x) / (1 - y**2)[:, None]
    expected = np.stack(
        [-2 * y[k] * (1 - y[k] ** 2) * np.outer(W[k], W[k]) for k in range(2)]
    )
    H = tg.hessian(f)(x)
    assert H.shape == (2, 3, 3)
    close(H, expected, rtol=1e-9)


@pytest.mark.parametrize(
    "who, call",
    [
        ("grad", lambda: tg.grad(5)),
        ("value_and_grad", lambda: tg.value_and_grad(5)),
        ("jacobian", lambda: tg.jacobian(3)),
        ("hessian", lambda: tg.hessian(3)),
        ("vjp", lambda: tg.vjp(3, tg.Tensor([1.0]))),
        ("jvp", lambda: tg.jvp(3, (tg.Tensor([1.0]),), ([1.0],))),
    ],
)
def test_a_transform_of_a_non_function_is_refused_at_once(who, call):
    """The error comes when the transform is applied, naming it, not later as
    "'int' object is not callable" from inside the library."""
    with pytest.raises(TypeError, match=rf"^{who}: expected a function, got int$"):
        call()
