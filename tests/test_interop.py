"""NumPy functions on Tensors (NEP 13/18): the graph is recorded, the gradients are
right, functions without an op raise a TypeError that names them and points at
``t.data``, an ndarray ``out=`` computes on plain arrays, ``np.asarray(t)`` is
``t.data``."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.interop import ON_DATA, TABLE
from tinygrad_edu.testing import gradcheck

RNG = np.random.default_rng(0)


def leaf(*shape):
    return tg.Tensor(RNG.uniform(0.5, 1.5, shape), requires_grad=True)


@pytest.mark.parametrize(
    "numpy_call, tinygrad_call",
    [
        (lambda t, u: np.exp(t), lambda t, u: tg.exp(t)),
        (lambda t, u: np.sum(t, axis=0), lambda t, u: tg.sum(t, axis=0)),
        (
            lambda t, u: np.mean(t * u, axis=1, keepdims=True),
            lambda t, u: tg.mean(t * u, 1, True),
        ),
        (lambda t, u: np.concatenate([t, u]), lambda t, u: tg.concatenate([t, u])),
        (lambda t, u: np.stack([t, u], axis=1), lambda t, u: tg.stack([t, u], axis=1)),
        (lambda t, u: np.matmul(t, u.T), lambda t, u: tg.matmul(t, u.T)),
        (
            lambda t, u: np.where(t.data > 1, t, u),
            lambda t, u: tg.where(t.data > 1, t, u),
        ),
        (lambda t, u: np.maximum(t, u), lambda t, u: tg.maximum(t, u)),
        (lambda t, u: np.power(t, u), lambda t, u: t**u),
        (lambda t, u: np.einsum("ij,kj->ik", t, u), lambda t, u: t @ u.T),
        (lambda t, u: np.tensordot(t, u, 2), lambda t, u: (t * u).sum()),
        (lambda t, u: np.reshape(t, (3, 2)), lambda t, u: t.reshape(3, 2)),
        (lambda t, u: np.transpose(t), lambda t, u: t.T),
        (lambda t, u: np.clip(t, 0.8, 1.2), lambda t, u: tg.clip(t, 0.8, 1.2)),
        (
            lambda t, u: np.pad(t, 1, constant_values=2.0),
            lambda t, u: tg.pad(t, 1, 2.0),
        ),
        (lambda t, u: np.cumsum(t, axis=1), lambda t, u: tg.cumsum(t, 1)),
        (lambda t, u: np.sort(t * u), lambda t, u: tg.sort(t * u)),
        (lambda t, u: np.trace(np.dot(t, u.T)), lambda t, u: tg.trace(tg.dot(t, u.T))),
        (lambda t, u: np.add.reduce(t), lambda t, u: t.sum(axis=0)),
        (lambda t, u: np.multiply.accumulate(t, axis=1), lambda t, u: tg.cumprod(t, 1)),
        (
            lambda t, u: np.hypot(t, u) + np.arctan2(t, u),
            lambda t, u: tg.hypot(t, u) + tg.arctan2(t, u),
        ),
    ],
)
def test_numpy_functions_record_the_graph(numpy_call, tinygrad_call):
    t, u = leaf(2, 3), leaf(2, 3)
    out = numpy_call(t, u)
    assert isinstance(out, tg.Tensor) and out.grad_fn is not None
    expected = tinygrad_call(t, u)
    np.testing.assert_allclose(out.data, expected.data, rtol=1e-12)
    assert gradcheck(numpy_call, [t, u])


def test_ndarray_on_the_left_returns_a_tensor_with_gradients():
    t = leaf(3)
    a = RNG.standard_normal(3)
    for out in (a + t, a - t, a * t, a / t, a**t, a @ t, a % t):
        assert isinstance(out, tg.Tensor) and out.requires_grad
    (a * t).sum().backward()
    np.testing.assert_allclose(t.grad.data, a)
    assert isinstance(a < t, tg.Tensor) and (a < t).dtype == bool


def test_micrograd_style_update_works_in_place_on_the_array():
    w = tg.Tensor([1.0, -2.0], dtype=np.float64, requires_grad=True)
    (w * w).sum().backward()
    array = w.data
    w.data -= 0.1 * w.grad  # ndarray -= Tensor
    assert w.data is array  # in place, the same storage
    np.testing.assert_allclose(w.data, [0.8, -1.6])
    out = np.empty(2)
    result = np.multiply(w, 2.0, out=out)
    assert result is out and out.tolist() == [1.6, -3.2]


def test_out_must_not_be_a_tensor():
    t = leaf(2)
    with pytest.raises(TypeError, match=r"numpy.add: out= cannot be a Tensor.*t\.data"):
        np.add(t, 1.0, out=t)


def test_functions_without_an_op_name_themselves_and_point_at_the_data():
    t = leaf(4)
    with pytest.raises(
        TypeError, match=r"numpy.median has no tinygrad_edu op.*t\.data"
    ):
        np.median(t)
    with pytest.raises(
        TypeError, match=r"numpy.cbrt has no tinygrad_edu op.*numpy.cbrt\(t\.data\)"
    ):
        np.cbrt(t)
    with pytest.raises(TypeError, match=r"numpy.add.outer has no tinygrad_edu op"):
        np.add.outer(t, t)
    with pytest.raises(TypeError, match=r"numpy.sum on a Tensor: .*dtype"):
        np.sum(t, dtype=np.float32)


def test_asarray_is_the_data_and_records_nothing():
    t = leaf(2, 2)
    assert np.asarray(t) is t.data
    assert np.array(t).tolist() == t.data.tolist()


def test_questions_about_values_are_answered_on_the_arrays():
    t = leaf(2, 3)
    assert np.shape(t) == (2, 3) and np.ndim(t) == 2 and np.size(t) == 6
    assert np.allclose(t, t.data) and np.array_equal(t, t.data)
    np.testing.assert_allclose(t, t.data)
    nan = np.isnan(tg.Tensor([1.0, np.nan]))
    assert isinstance(nan, tg.Tensor) and nan.tolist() == [False, True]


def test_the_table_maps_to_callables_or_on_data():
    for key, op in TABLE.items():
        assert op is ON_DATA or callable(op), key


def test_functions_outside_the_numpy_namespace_are_named_where_they_live():
    t = leaf(4)
    with pytest.raises(
        TypeError,
        match=r"^numpy\.linalg\.norm has no tinygrad_edu op.*numpy\.linalg\.norm\(t\.data\)",
    ):
        np.linalg.norm(t)
    with pytest.raises(TypeError, match=r"^numpy\.fft\.fft has no tinygrad_edu op"):
        np.fft.fft(t)


def test_np_array_copies_while_asarray_shares():
    t = leaf(3)
    copied = np.array(t)
    assert copied is not t.data and np.shares_memory(copied, t.data) is False
    np.testing.assert_array_equal(copied, t.data)
    assert np.asarray(t) is t.data


def test_logic_and_floor_division_ufuncs_give_tensors_without_a_graph():
    mask, ints = tg.Tensor([True, False]), tg.Tensor([7, -7])
    for out, want in [
        (np.logical_not(mask), [False, True]),
        (np.invert(mask), [False, True]),
        (np.bitwise_and(mask, np.array([True, True])), [True, False]),
        (np.array([False, True]) | mask, [True, True]),
        (np.array([True, True]) ^ mask, [False, True]),
        (np.floor_divide(ints, 2), [3, -4]),
        (np.array([7, -7]) // tg.Tensor([2, 2]), [3, -4]),
    ]:
        assert isinstance(out, tg.Tensor) and not out.requires_grad
        assert out.tolist() == want
