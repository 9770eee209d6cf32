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

# ---- random smooth functions of (x, y) from a small menu of ops -----------------------

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

    return st.recursive(leaves, extend, max_leaves=2 ** depth)


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
    found = np.asarray(found.data if isinstance(found, tg.Tensor) else found, np.float64)
    np.testing.assert_allclose(found, expected, rtol=rtol, atol=atol * max(1.0, np.abs(expected).max()))


points = st.floats(-1.0, 1.0)

# ---- issue 13.1 and 13.2 -----------------------------------------------------------------


def test_mixed_partial_through_nested_grad():
    f = lambda x, y: tg.sin(tg.sin(x) + tg.sin(y))  # noqa: E731
    x, y = np.float64(0.5), np.float64(0.3)
    expected = -np.sin(np.sin(x) + np.sin(y)) * np.cos(x) * np.cos(y)  # ≈ -0.5866
    assert abs(tg.grad(tg.grad(f, argnums=1), argnums=0)(x, y).item() - expected) < 1e-12
    assert abs(tg.grad(tg.grad(f, argnums=0), argnums=1)(x, y).item() - expected) < 1e-12


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
    d3 = tg.grad(tg.grad(tg.grad(lambda x: x ** 4)))
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


# ---- hypothesis properties ---------------------------------------------------------------


@given(expr=expressions(), x=points, y=points)
def test_mixed_partials_agree_with_each_other_and_central_differences(expr, x, y):
    f = as_function(expr)
    x, y = np.float64(x), np.float64(y)
    fxy = tg.grad(tg.grad(f, 1), 0)(x, y).item()
    fyx = tg.grad(tg.grad(f, 0), 1)(x, y).item()
    (numerical, _) = numerical_grad(tg.grad(f, 1), [x, y])
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


# ---- bad input -----------------------------------------------------------------------------


def test_grad_bad_input_names_the_transform_and_function():
    def square_sum(x):
        return (x * x).sum()

    with pytest.raises(ValueError, match=r"grad: argnums 2 is out of range .*square_sum"):
        tg.grad(square_sum, argnums=2)(1.0)
    with pytest.raises(ValueError, match=r"argnums names argument 0 twice"):
        tg.grad(lambda x, y: x * y, argnums=(0, -2))(1.0, 2.0)
    with pytest.raises(TypeError, match=r"grad: argnums must be an int"):
        tg.grad(square_sum, argnums=1.0)
    with pytest.raises(TypeError, match=r"value_and_grad: the function must return a Tensor"):
        tg.value_and_grad(lambda x: 3.0)(1.0)
    with pytest.raises(ValueError, match=r"grad: the function must return a scalar.*\(3,\)"):
        tg.grad(lambda x: x * 2)(np.ones(3))
    with pytest.raises(TypeError, match=r"grad: argument 0 of square_sum must be real"):
        tg.grad(square_sum)(np.array([1 + 2j]))
    with pytest.raises(TypeError, match=r"grad: argument 0 of square_sum must be real"):
        tg.grad(square_sum)("abc")
