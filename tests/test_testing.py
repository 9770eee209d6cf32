"""The gradient-check kit catches the bugs it exists for, and the strategies draw what
they promise.

A check that never fails proves nothing, so most tests here write a deliberately
wrong backward (a missing transpose, a scale error, an unreversed index, a detached
second derivative) and require ``gradcheck``/``gradgradcheck`` to name it.
"""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Function, Tensor
from tinygrad_edu.testing import (
    GradcheckError,
    gradcheck,
    gradgradcheck,
    numerical_grad,
)
from tinygrad_edu.testing import strategies as tst
from tinygrad_edu.testing._gradcheck import _compare

from .user_ops import Cube

MESSAGE = re.compile(
    r"(?P<name>\S+): input (?P<input>\d+), index (?P<index>\([\d, ]*\)): "
    r"analytic (?P<analytic>\S+) != numerical (?P<numerical>\S+) \(max excess"
)


def parse(error: GradcheckError) -> dict:
    match = MESSAGE.match(str(error))
    assert match, f"unexpected message: {error}"
    fields = match.groupdict()
    fields["input"] = int(fields["input"])
    fields["index"] = eval(fields["index"])  # a tuple literal such as (2, 0)
    fields["analytic"] = float(fields["analytic"])
    fields["numerical"] = float(fields["numerical"])
    return fields


# ---- user-defined ops, right and wrong ----------------------------------------------




class Transpose(Function):
    @staticmethod
    def forward(ctx, x):
        return x.T.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad.T


class TransposeForgetsToTranspose(Function):
    @staticmethod
    def forward(ctx, x):
        return x.T.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad  # right shape for a square input, wrong values


class MulTwiceTooBigForB(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, 2 * grad * a  # grad_b is twice too big


class DoubleWrongAtIndex2(Function):
    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, grad):
        grad_x = 2 * grad
        grad_x[2] *= 2  # one wrong element
        return grad_x


class ReverseForgetsToReverse(Function):
    @staticmethod
    def forward(ctx, x):
        return x[::-1].copy()

    @staticmethod
    def backward(ctx, grad):
        return grad  # should be grad[::-1]; invisible to an all-ones cotangent


class NaNGradient(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def backward(ctx, grad):
        return np.full_like(grad, np.nan)


class SlightlyOff(Function):
    """Relative error 1e-4 in the gradient: inside rtol=1e-3, outside rtol=1e-6."""

    @staticmethod
    def forward(ctx, x):
        return 3 * x

    @staticmethod
    def backward(ctx, grad):
        return 3 * grad * (1 + 1e-4)


class RecordCotangent(Function):
    seen: list = []

    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def backward(ctx, grad):
        RecordCotangent.seen.append(grad.copy())
        return grad


SQUARE = np.array([[1.0, 2.0, -0.5], [0.3, -1.2, 4.0], [2.5, 0.7, -3.0]])


def linearized_cube(x):
    """x**3 through its tangent line at x: right value, right gradient, but the
    gradient's graph is detached, so the second derivative comes out 0 (not 6x)."""
    x0 = x.detach()
    return x0**3 + 3 * x0**2 * (x - x0)


# ---- numerical_grad -----------------------------------------------------------------


@pytest.mark.parametrize(
    "fn, formula",
    [
        (lambda x: x * x, lambda x: 2 * x),
        (lambda x: tg.sin(x), np.cos),
        (lambda x: tg.exp(x), np.exp),
        (lambda x: (x**3).sum(), lambda x: 3 * x**2),
        (lambda x: tg.tanh(x).mean(), lambda x: (1 - np.tanh(x) ** 2) / x.size),
    ],
    ids=["square", "sin", "exp", "sum_cube", "mean_tanh"],
)
def test_numerical_grad_matches_formulas(fn, formula):
    x = np.array([[0.5, -1.0, 2.0], [0.1, 1.5, -2.5]])
    (g,) = numerical_grad(fn, [x])
    assert g.dtype == np.float64 and g.shape == x.shape
    np.testing.assert_allclose(g, formula(x), rtol=1e-7, atol=1e-8)


def test_numerical_grad_several_broadcast_inputs():
    a = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0]])
    b = np.array([0.5, -2.0, 1.5])
    grad_a, grad_b = numerical_grad(lambda a, b: a * b + a, [a, b])
    np.testing.assert_allclose(grad_a, np.broadcast_to(b + 1, a.shape), atol=1e-8)
    np.testing.assert_allclose(grad_b, a.sum(axis=0), atol=1e-8)


def test_numerical_grad_uses_the_cotangent():
    x = np.array([0.5, -1.0, 2.0])
    v = np.array([1.0, -3.0, 0.25])
    (g,) = numerical_grad(lambda x: x * x, [x], cotangent=v)
    np.testing.assert_allclose(g, 2 * x * v, atol=1e-8)

    w = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    v2 = np.array([[1.0, -1.0], [0.5, 2.0]])
    m = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
    (g,) = numerical_grad(lambda m: m @ Tensor(w), [m], cotangent=v2)
    np.testing.assert_allclose(g, v2 @ w.T, atol=1e-8)  # d<v, m w>/dm = v w^T


def test_numerical_grad_scalars_tensors_and_float32():
    (g,) = numerical_grad(lambda x: x**3, [2.0])
    assert g.shape == () and abs(g - 12.0) < 1e-6
    x32 = Tensor(np.array([1.0, -2.0], dtype=np.float32), requires_grad=True)
    (g,) = numerical_grad(lambda x: x * x, [x32])
    assert g.dtype == np.float64  # differentiated in float64, whatever the input
    np.testing.assert_allclose(g, [2.0, -4.0], atol=1e-7)
    assert x32.grad is None


def test_numerical_grad_passes_integer_inputs_through():
    x = np.array([0.5, -1.0, 2.0])
    index = np.array([0, 2, 2])
    grad_x, grad_index = numerical_grad(lambda x, i: x[i], [x, index])
    np.testing.assert_allclose(grad_x, [1.0, 0.0, 2.0], atol=1e-8)  # repeats add up
    assert grad_index.shape == index.shape and not grad_index.any()


def test_numerical_grad_leaves_inputs_alone_and_runs_without_graph():
    x = np.array([0.5, -1.0, 2.0])
    original = x.copy()
    modes, seen = [], []

    def fn(t):
        modes.append(tg.is_grad_enabled())
        seen.append(t.data.copy())
        return t * 2

    numerical_grad(fn, [x], eps=1e-3)
    np.testing.assert_array_equal(x, original)
    assert not any(modes)
    # each element is perturbed alone and restored before the next
    for call in seen[1:]:
        assert np.count_nonzero(call != original) == 1


def test_numerical_grad_rejects_a_cotangent_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"cotangent has shape \(2,\).*\(3,\)"):
        numerical_grad(lambda x: x * 2, [np.ones(3)], cotangent=np.ones(2))


# ---- gradcheck: correct ops pass ----------------------------------------------------


def test_correct_user_functions_pass():
    assert gradcheck(Cube.apply, [np.array([0.5, -1.5, 2.0])]) is True
    assert gradcheck(Transpose.apply, [SQUARE]) is True
    assert gradcheck(Transpose.apply, [SQUARE[:2]]) is True  # non-square too


def test_builtin_ops_pass_with_broadcasting_and_index_arrays():
    a = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0]])
    b = np.array([0.5, -2.0, 1.5])
    assert gradcheck(lambda a, b: tg.tanh(a * b) + a / (b * b + 1), [a, b])
    index = np.array([0, 2, 2, 1])  # int input: passed through, not checked
    assert gradcheck(lambda x, i: x[i] * x[i], [b, index])


# ---- gradcheck: wrong backwards are caught and located ------------------------------


def test_missing_transpose_is_caught_off_the_diagonal():
    with pytest.raises(GradcheckError) as info:
        gradcheck(TransposeForgetsToTranspose.apply, [SQUARE])
    fields = parse(info.value)
    assert fields["name"] == "TransposeForgetsToTranspose.apply"
    assert fields["input"] == 0
    row, col = fields["index"]
    assert row != col  # the diagonal of grad and grad.T agree


def test_scale_error_names_the_second_input():
    a, b = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.3, -0.7])
    with pytest.raises(GradcheckError) as info:
        gradcheck(MulTwiceTooBigForB.apply, [a, b])
    fields = parse(info.value)
    assert fields["input"] == 1
    assert fields["analytic"] == pytest.approx(2 * fields["numerical"], rel=1e-4)


def test_message_points_at_the_wrong_element_with_both_values():
    x = np.array([0.5, -1.0, 2.0, 0.25])
    with pytest.raises(GradcheckError) as info:
        gradcheck(DoubleWrongAtIndex2.apply, [x], seed=3)
    fields = parse(info.value)
    assert fields["index"] == (2,)
    v = np.random.default_rng(3).standard_normal(4)  # the documented cotangent
    assert fields["numerical"] == pytest.approx(2 * v[2], rel=1e-4)
    assert fields["analytic"] == pytest.approx(4 * v[2], rel=1e-4)


def test_random_cotangent_catches_what_an_all_ones_cotangent_hides():
    x = np.array([0.5, -1.0, 2.0, 3.0])
    # with v = 1 the unreversed gradient looks right ...
    leaf = Tensor(x, requires_grad=True)
    ReverseForgetsToReverse.apply(leaf).backward(np.ones(4))
    np.testing.assert_allclose(
        leaf.grad.data, numerical_grad(lambda t: t[::-1], [x])[0]
    )
    # ... the random cotangent of gradcheck does not
    with pytest.raises(GradcheckError, match=r"input 0, index \(\d,\)"):
        gradcheck(ReverseForgetsToReverse.apply, [x])


def test_the_cotangent_is_seeded_standard_normal():
    RecordCotangent.seen.clear()
    gradcheck(RecordCotangent.apply, [np.ones((2, 3))], seed=7)
    gradcheck(RecordCotangent.apply, [np.ones((2, 3))], seed=7)
    gradcheck(RecordCotangent.apply, [np.ones((2, 3))], seed=8)
    first, again, other = RecordCotangent.seen
    expected = np.random.default_rng(7).standard_normal((2, 3))
    np.testing.assert_allclose(first, expected)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_nan_gradient_is_an_error():
    with pytest.raises(GradcheckError, match="analytic nan != numerical"):
        gradcheck(NaNGradient.apply, [np.array([1.0, 2.0])])


def test_a_detached_output_has_zero_gradient_and_fails():
    with pytest.raises(GradcheckError, match="analytic 0 != numerical"):
        gradcheck(lambda x: x.detach() * 2, [np.array([1.0, 2.0])])


def test_x_times_detached_x_has_the_right_value_but_the_wrong_gradient():
    with pytest.raises(GradcheckError):
        gradcheck(lambda x: x * x.detach(), [np.array([0.5, 1.5])])


def test_tolerances_are_atol_plus_rtol_times_numerical():
    x = np.array([0.5, -1.0, 2.0])
    assert gradcheck(SlightlyOff.apply, [x])  # 1e-4 relative error < rtol=1e-3
    with pytest.raises(GradcheckError):
        gradcheck(SlightlyOff.apply, [x], atol=0.0, rtol=1e-6)


def test_compare_checks_shapes_and_non_finite_values():
    with pytest.raises(GradcheckError, match=r"input 1: analytic gradient has shape"):
        _compare("f", 1, np.zeros((3,)), np.zeros((3, 1)), 1e-5, 1e-3)
    analytic = np.array([1.0, np.inf])
    with pytest.raises(GradcheckError, match=r"index \(1,\): analytic inf"):
        _compare("f", 0, analytic, np.array([1.0, 2.0]), 1e-5, 1e-3)
    # where f itself is not finite there is nothing to compare
    _compare("f", 0, np.array([1.0, 5.0]), np.array([1.0, np.nan]), 1e-5, 1e-3)


# ---- gradcheck: the contract around the check ---------------------------------------


def test_users_tensors_are_left_alone():
    x = Tensor(np.array([0.5, -1.0], dtype=np.float32), requires_grad=True)
    assert gradcheck(lambda t: t * t, [x])
    assert x.grad is None and x.dtype == np.float32
    np.testing.assert_array_equal(x.data, np.array([0.5, -1.0], dtype=np.float32))


def test_works_inside_no_grad():
    with tg.no_grad():
        assert gradcheck(lambda t: tg.exp(t), [np.array([0.5, -1.0])])
        assert gradgradcheck(lambda t: tg.exp(t), [np.array([0.5, -1.0])])


def test_fn_must_return_a_tensor():
    def as_array(x):
        return x.data * 2

    with pytest.raises(TypeError, match="as_array must return a Tensor, got ndarray"):
        gradcheck(as_array, [np.ones(2)])


def test_needs_a_float_input():
    with pytest.raises(ValueError, match="no floating-point input"):
        gradcheck(lambda i: Tensor(np.ones(2))[i], [np.array([0, 1])])


def test_seed_is_keyword_only():
    with pytest.raises(TypeError):
        gradcheck(lambda t: t * 2, [np.ones(2)], 1e-6, 1e-5, 1e-3, 0)


def test_gradcheck_error_is_an_assertion_error():
    assert issubclass(GradcheckError, AssertionError)


# ---- gradgradcheck ------------------------------------------------------------------


def test_gradgradcheck_passes_for_builtin_ops():
    x = np.array([0.5, -1.3, 2.0])
    y = np.array([[0.3], [-0.8]])
    assert gradgradcheck(lambda x: x * x * x, [x]) is True
    assert gradgradcheck(lambda x, y: tg.sin(x) * y + x / (y * y + 1), [x, y])
    assert gradgradcheck(lambda x: x * 2, [x])  # second derivative 0, no graph at all
    assert gradgradcheck(lambda x, i: x[i] * x[i], [x, np.array([0, 2, 2])])


def test_gradgradcheck_catches_a_detached_first_derivative():
    x = np.array([0.5, -1.3, 2.0])
    assert gradcheck(linearized_cube, [x])  # first order is right ...
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(linearized_cube, [x])  # ... second order is not
    fields = parse(info.value)
    assert fields["name"] == "grad(linearized_cube)"
    assert fields["input"] == 0
    assert fields["analytic"] == 0.0 and fields["numerical"] != 0.0


def test_gradgradcheck_names_the_input_with_the_wrong_second_derivative():
    a, b = np.array([0.5, -1.3]), np.array([1.5, 0.7])

    def f(a, b):
        return a * a * a + linearized_cube(b)

    with pytest.raises(GradcheckError) as info:
        gradgradcheck(f, [a, b])
    assert parse(info.value)["input"] == 1


# ---- the kit driven by the strategies, as a user would ------------------------------


@given(tst.broadcastable_tensors(2, elements=tst.floats(-2, 2), max_side=3))
def test_property_gradcheck_of_a_broadcast_expression(ab):
    assert gradcheck(lambda a, b: tg.tanh(a * b) + a, list(ab))


# ---- strategies ---------------------------------------------------------------------


@given(data=st.data())
def test_shapes_stay_in_bounds(data):
    min_dims = data.draw(st.integers(0, 2))
    max_dims = data.draw(st.integers(min_dims, 4))
    min_side = data.draw(st.integers(0, 2))
    max_side = data.draw(st.integers(max(min_side, 1), 5))
    shape = data.draw(
        tst.shapes(
            min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
        )
    )
    assert isinstance(shape, tuple)
    assert min_dims <= len(shape) <= max_dims
    assert all(min_side <= n <= max_side for n in shape)


@given(data=st.data())
def test_broadcastable_shapes_broadcast(data):
    shape = data.draw(tst.shapes())
    other = data.draw(tst.broadcastable_shapes(shape, max_dims=4))
    assert len(other) <= 4 and all(1 <= n <= 4 for n in other)
    np.broadcast_shapes(shape, other)  # raises if they do not


@given(tst.floats(-2.5, 3.0))
def test_floats_are_finite_and_in_range(x):
    assert isinstance(x, float) and np.isfinite(x) and -2.5 <= x <= 3.0


@given(tst.elements_away_from([0.0, 1.0], -2, 2, margin=0.01))
def test_elements_away_from_keeps_its_distance(x):
    assert -2 <= x <= 2 and abs(x) > 0.01 and abs(x - 1) > 0.01


@given(tst.arrays())
def test_arrays_default_to_finite_float64(a):
    assert isinstance(a, np.ndarray) and a.dtype == np.float64
    assert a.ndim <= 3 and np.all(np.isfinite(a)) and np.all(np.abs(a) <= 10)


@given(
    tst.arrays(tst.shapes(min_dims=2, max_dims=2), dtype=np.float32),
    tst.arrays((3,), dtype=bool),
)
def test_arrays_take_a_shape_strategy_and_other_dtypes(a, mask):
    assert a.ndim == 2 and a.dtype == np.float32 and np.all(np.isfinite(a))
    assert mask.shape == (3,) and mask.dtype == bool


@given(
    tst.tensors(), tst.tensors(shape=(2, 3)), tst.tensors(shape=tst.shapes(min_dims=1))
)
def test_tensors_are_float64_leaves_that_require_grad(x, y, z):
    for t in (x, y, z):
        assert isinstance(t, Tensor) and t.requires_grad and t.is_leaf
        assert t.dtype == np.float64 and np.all(np.isfinite(t.data))
    assert y.shape == (2, 3) and z.ndim >= 1


@given(tst.tensors(dtype=np.int64, requires_grad=False, elements=st.integers(0, 9)))
def test_tensors_without_grad_and_other_dtypes(t):
    assert not t.requires_grad and t.dtype == np.int64
    assert np.all((0 <= t.data) & (t.data <= 9))


def test_tensors_refuse_grad_for_integer_dtypes():
    with pytest.raises(TypeError, match="requires_grad=False"):
        tst.tensors(dtype=np.int64)


@given(st.integers(1, 4).flatmap(lambda n: tst.broadcastable_tensors(n, max_side=3)))
def test_broadcastable_tensors_broadcast(ts):
    assert isinstance(ts, tuple) and 1 <= len(ts) <= 4
    assert all(t.requires_grad and t.dtype == np.float64 for t in ts)
    assert all(t.ndim <= 3 and all(n <= 3 for n in t.shape) for t in ts)
    np.broadcast_shapes(*(t.shape for t in ts))


@given(tst.broadcastable_tensors(3, elements=tst.floats(0.5, 1.0), requires_grad=False))
def test_broadcastable_tensors_use_elements(ts):
    assert len(ts) == 3 and not any(t.requires_grad for t in ts)
    assert all(np.all((0.5 <= t.data) & (t.data <= 1.0)) for t in ts)


@given(data=st.data())
def test_axes_are_valid_and_distinct(data):
    shape = data.draw(tst.shapes(max_dims=4))
    axis = data.draw(tst.axes(len(shape)))
    x = np.zeros(shape)
    np.sum(x, axis=axis)  # NumPy accepts it
    if isinstance(axis, tuple):
        normalized = [a % x.ndim for a in axis]
        assert len(axis) >= 1 and len(set(normalized)) == len(axis)
    elif axis is not None:
        assert -x.ndim <= axis < x.ndim


@given(tst.matmul_shapes())
def test_matmul_shapes_are_valid_for_np_matmul(pair):
    shape_a, shape_b = pair
    assert len(shape_a) >= 1 and len(shape_b) >= 1
    np.matmul(np.ones(shape_a), np.ones(shape_b))  # raises if they do not fit


@pytest.mark.parametrize(
    "condition",
    [
        lambda a, b: len(a) == 1 and len(b) == 1,  # vector @ vector
        lambda a, b: len(a) == 1 and len(b) >= 3,  # vector @ batch of matrices
        lambda a, b: len(a) >= 3 and len(b) == 1,  # batch of matrices @ vector
        lambda a, b: len(a) >= 3 and len(b) >= 3 and a[:-2] != b[:-2],  # broadcast
    ],
    ids=["1d_1d", "1d_batched", "batched_1d", "batch_broadcast"],
)
def test_matmul_shapes_cover_the_numpy_cases(condition):
    find(
        tst.matmul_shapes(),
        lambda p: condition(*p),
        settings=settings(max_examples=2000),
    )


def test_strategies_module_exports_what_it_documents():
    for name in tst.__all__:
        assert callable(getattr(tst, name)), name
        assert getattr(tst, name).__doc__, name


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )


def test_testing_imports_without_hypothesis_and_strategies_explain_the_fix():
    result = _run(
        "import sys\n"
        "import tinygrad_edu.testing\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'hypothesis']\n"
        "sys.modules['hypothesis'] = None  # as if it were not installed\n"
        "try:\n"
        "    import tinygrad_edu.testing.strategies\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'tinygrad-edu[test]'" in result.stdout


def test_importing_strategies_leaves_hypothesis_settings_alone():
    result = _run(
        "from hypothesis import settings\n"
        "before = settings.default\n"
        "import tinygrad_edu.testing.strategies\n"
        "assert settings.default is before\n"
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "options",
    [{"eps": 0}, {"eps": -1e-6}, {"eps": float("nan")}, {"atol": float("nan")}, {"rtol": -1}],
)
def test_gradcheck_refuses_steps_and_tolerances_that_would_pass_anything(options):
    with pytest.raises(ValueError, match="must be a finite number"):
        tg.testing.gradcheck(lambda x: x * 2.0, [np.ones(2)], **options)


def test_gradcheck_fails_when_no_element_could_be_compared():
    with pytest.raises(tg.testing.GradcheckError, match="no element could be checked"):
        with np.errstate(invalid="ignore"):
            tg.testing.gradcheck(lambda x: tg.log(x - 5.0), [np.ones(2)])
