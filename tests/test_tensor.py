"""Tensor storage, creation, dtype rules, NumPy interop, repr and the error messages
that name the op and the shapes."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor

# ---- creation and dtype rules ----------------------------------------------------------


def test_dtype_rules_follow_the_contract():
    assert Tensor(1.5).dtype == np.float32
    assert Tensor([1.0, 2]).dtype == np.float32
    assert Tensor([1, 2]).dtype == np.int64
    assert Tensor([True, False]).dtype == bool
    assert Tensor(np.zeros(2, np.float64)).dtype == np.float64
    assert Tensor(np.zeros(2, np.float16)).dtype == np.float16
    assert Tensor([1, 2], dtype=np.float64).dtype == np.float64


def test_default_dtype_can_be_changed():
    tg.set_default_dtype(np.float64)
    assert Tensor(1.0).dtype == np.float64
    assert tg.zeros(2).dtype == np.float64
    assert tg.randn(2).dtype == np.float64
    tg.set_default_dtype(np.float32)
    assert tg.get_default_dtype() == np.float32
    with pytest.raises(TypeError, match="floating"):
        tg.set_default_dtype(np.int32)


def test_python_scalars_do_not_promote_float32():
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    for y in (x * 2.5, 2.5 - x, x / 3, x**2, 1 / x, x + 1):
        assert y.dtype == np.float32
    assert (Tensor([1, 2]) * 2).dtype == np.int64
    assert (Tensor([1, 2]) * 0.5).dtype == np.float64  # NumPy: int64 with a float


def test_ndarray_on_the_left_gives_a_tensor():
    y = np.ones(3) + Tensor(np.ones(3), requires_grad=True)
    assert isinstance(y, Tensor) and y.requires_grad
    assert isinstance(np.ones((2, 2)) @ Tensor(np.ones((2, 2))), Tensor)


def test_creation_functions():
    assert tg.zeros(2, 3).shape == (2, 3) and tg.zeros((2, 3)).shape == (2, 3)
    assert tg.ones(2).tolist() == [1.0, 1.0]
    assert Tensor.full((2,), 7.0).tolist() == [7.0, 7.0]
    assert tg.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert tg.arange(3).dtype == np.int64
    assert tg.zeros_like(Tensor([1, 2])).dtype == np.int64
    assert tg.ones_like(np.zeros((2, 2))).shape == (2, 2)
    r = tg.rand(1000)
    assert r.dtype == np.float32 and 0 <= r.data.min() and r.data.max() < 1
    assert Tensor.randn(2, 2, requires_grad=True).requires_grad


def test_manual_seed_makes_draws_repeatable():
    tg.manual_seed(123)
    a = tg.randn(5).tolist(), tg.rand(3).tolist()
    tg.manual_seed(123)
    b = tg.randn(5).tolist(), tg.rand(3).tolist()
    tg.manual_seed(124)
    c = tg.randn(5).tolist(), tg.rand(3).tolist()
    assert a == b and a != c


def test_bad_data_is_refused():
    with pytest.raises(TypeError, match="numeric"):
        Tensor(["a", "b"])
    with pytest.raises(TypeError, match="object"):
        Tensor([object()])


# ---- attributes and interop --------------------------------------------------------------


def test_attributes():
    t = Tensor(np.arange(6.0).reshape(2, 3), name="x")
    assert (t.shape, t.ndim, t.size, len(t)) == ((2, 3), 2, 6, 2)
    assert t.T.shape == (3, 2)
    assert t.is_leaf and t.grad_fn is None and t.name == "x"
    assert np.asarray(t) is t.data and t.numpy() is t.data
    assert Tensor(3.5).item() == 3.5
    assert [row.tolist() for row in t] == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    y = Tensor([1.0], requires_grad=True) * 2
    assert not y.is_leaf and y.grad_fn.name == "multiply"


def test_repr_is_readable():
    assert repr(Tensor([1.0, 2.0])) == "Tensor([1., 2.], dtype=float32)"
    x = Tensor([1.0], requires_grad=True, name="w")
    assert repr(x) == "Tensor([1.], dtype=float32, requires_grad=True, name='w')"
    assert "grad_fn=<multiply>" in repr(x * 2)


def test_item_and_bool_of_many_elements_raise():
    with pytest.raises(ValueError, match="one-element"):
        Tensor([1.0, 2.0]).item()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(Tensor([1.0, 2.0]))


def test_comparisons_return_boolean_tensors_without_grad():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result in (x < 2, x <= 2, x > 2, x >= 2, x == 2, x != 2):
        assert result.dtype == bool and not result.requires_grad
    assert (x > 1.5).tolist() == [False, True, True]
    assert (x == Tensor([1.0, 0.0, 3.0])).tolist() == [True, False, True]


def test_argmax_argmin():
    x = Tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    assert x.argmax().item() == 3
    assert x.argmax(axis=1).tolist() == [1, 0]
    assert tg.argmin(x, axis=0).tolist() == [0, 1, 0]


def test_setitem_without_grad():
    x = Tensor(np.zeros(3))
    x[1] = 5.0
    assert x.tolist() == [0.0, 5.0, 0.0]
    w = Tensor(np.zeros(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="item assignment"):
        w[0] = 1.0


def test_astype():
    x = Tensor(np.ones(2, np.float32), requires_grad=True)
    y = x.astype(np.float64)
    assert y.dtype == np.float64 and y.requires_grad
    (y * 3).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [3.0, 3.0]
    assert not x.astype(np.int64).requires_grad


# ---- error messages name the op and the shapes ---------------------------------------


def test_matmul_error_names_shapes_and_suggests_transpose():
    with pytest.raises(
        ValueError, match=r"matmul: shapes \(3, 4\) and \(5, 2\) are not aligned \(4 != 5\)"
    ):
        tg.ones(3, 4) @ tg.ones(5, 2)
    with pytest.raises(ValueError, match=r"did you mean b\.T"):
        tg.ones(32, 3) @ tg.ones(10, 3)
    with pytest.raises(ValueError, match="scalars"):
        Tensor(1.0) @ tg.ones(2)


def test_broadcast_error_names_the_op():
    with pytest.raises(ValueError, match=r"add: shapes \(3,\) and \(4,\) cannot be broadcast"):
        tg.ones(3) + tg.ones(4)
    with pytest.raises(ValueError, match=r"multiply: shapes \(2, 3\) and \(2,\)"):
        tg.ones(2, 3) * tg.ones(2)
    with pytest.raises(ValueError, match="less"):
        tg.ones(3) < tg.ones(4)


def test_shape_op_errors():
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\)"):
        tg.ones(2, 3).reshape(4)
    with pytest.raises(ValueError, match="sum: axis 2 is out of bounds"):
        tg.ones(2, 3).sum(axis=2)
    with pytest.raises(ValueError, match="squeeze: axis 0"):
        tg.ones(2, 3).squeeze(0)
    with pytest.raises(IndexError, match=r"getitem: index 5 does not fit a tensor of shape \(3,\)"):
        tg.ones(3)[5]
    with pytest.raises(ValueError, match="concatenate"):
        tg.concatenate([tg.ones(2, 3), tg.ones(2, 4)])
    with pytest.raises(ValueError, match="stack"):
        tg.stack([tg.ones(2), tg.ones(3)])
    with pytest.raises(ValueError, match="broadcast_to"):
        tg.ones(3).broadcast_to((2, 4))


def test_linear_error_names_features():
    with pytest.raises(
        ValueError,
        match=(
            "linear: input of shape \\(4, 3\\) has 3 features "
            "but weight \\(2, 5\\) expects 5"
        ),
    ):
        tg.ops.linear(tg.ones(4, 3), tg.ones(2, 5))


# ---- NumPy 2 dtype rules for number operands (NEP 50) ----------------------------------


def test_a_python_float_next_to_an_int_or_bool_tensor_is_float64_as_numpy():
    ints, bools = np.array([1, 2, 3]), np.array([True, False, True])
    for got, want in [
        (Tensor(ints) * 0.1, ints * 0.1),
        (0.1 + Tensor(ints), 0.1 + ints),
        (Tensor(bools) * 0.1, bools * 0.1),
        (tg.maximum(Tensor([0, 2]), 0.1), np.maximum(np.array([0, 2]), 0.1)),
        (tg.where(Tensor(bools), Tensor(ints), 0.1), np.where(bools, ints, 0.1)),
    ]:
        assert got.dtype == want.dtype == np.float64
        np.testing.assert_array_equal(got.data, want)  # exactly: 0.1, not float32(0.1)
    assert Tensor([1, 2, 3]).mean().item() == 2.0
    assert Tensor([4, 4, 4]).var().item() == 0.0


def test_a_python_number_next_to_a_float_tensor_keeps_its_dtype():
    x32 = Tensor([1.0, 2.0])
    assert (x32 * 0.1).dtype == (x32 * 2).dtype == (2 - x32).dtype == np.float32
    assert tg.where(Tensor([True, False]), x32, 0.1).dtype == np.float32
    assert tg.maximum(x32, 0.1).dtype == np.float32
    assert (Tensor([1, 2]) * 2).dtype == np.int64
    assert (Tensor([True]) + 1).dtype == np.int64  # as NumPy: bool + int is int


def test_numpy_scalars_are_strongly_typed_as_in_nep_50():
    x32 = Tensor([1.0, 2.0])
    assert (x32 * np.float64(2)).dtype == np.float64
    assert (np.float64(2) * x32).dtype == np.float64
    assert (x32 + np.float32(1)).dtype == np.float32
    assert (Tensor([1, 2]) * np.int8(2)).dtype == np.int64
    assert Tensor([np.float64(1)]).dtype == np.float64
    assert Tensor([[np.float64(1.0)], [2.0]]).dtype == np.float64
    assert Tensor([np.float32(1), np.float32(2)]).dtype == np.float32
    assert Tensor([1.0, 2.0]).dtype == np.float32  # Python floats: the default dtype


# ---- conversion ------------------------------------------------------------------------


def test_np_array_copies_and_np_asarray_shares():
    t = Tensor([1.0, 2.0])
    copied = np.array(t)
    assert type(copied) is np.ndarray and copied is not t.data
    copied[0] = 5.0
    assert t.data[0] == 1.0
    assert np.asarray(t) is t.data
    assert np.asarray(t, dtype=np.float32) is t.data
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert np.array(t, copy=False) is t.data  # no copy needed: allowed
    with pytest.raises(ValueError, match="copy"):
        np.array(t, dtype=np.float64, copy=False)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # (np.matrix's)
@pytest.mark.parametrize("subclass", [np.matrix, np.ma.masked_array])
def test_ndarray_subclasses_become_plain_arrays(subclass):
    subclassed = subclass([[1.0, 2.0], [3.0, 4.0]])
    t = Tensor(subclassed)
    assert type(t.data) is np.ndarray
    np.testing.assert_array_equal((t * t).data, [[1.0, 4.0], [9.0, 16.0]])  # not a @
    assert type((Tensor([[1.0, 1.0]]) * subclassed).data) is np.ndarray


def test_masked_entries_are_refused_rather_than_unmasked():
    with pytest.raises(ValueError, match="masked"):
        Tensor(np.ma.masked_array([1.0, 2.0], mask=[True, False]))


def test_format_round_and_membership():
    assert f"{Tensor(3.14159):.2f}" == "3.14"
    assert f"{Tensor([2.5]):.1f}" == "2.5"
    assert f"{Tensor([1.0, 2.0])}" == str(Tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"one-element.*\(2,\)"):
        f"{Tensor([1.0, 2.0]):.2f}"
    rounded = round(Tensor(1.234, dtype=np.float64), 1)
    assert isinstance(rounded, Tensor) and rounded.item() == 1.2
    assert round(Tensor([0.5, 1.5, 2.6])).tolist() == [0.0, 2.0, 3.0]  # halves to even
    t = Tensor([[1.0, 3.0], [4.0, 5.0]])
    assert 3.0 in t and 4 in t and Tensor(5.0) in t
    assert 2.0 not in t


# ---- bool logic and floor division: no graph -------------------------------------------


def test_logic_operators_on_bool_tensors_as_numpy():
    a, b = np.array([True, True, False, False]), np.array([True, False, True, False])
    ta, tb = Tensor(a), Tensor(b)
    for got, want in [
        (~ta, ~a), (ta & tb, a & b), (ta | tb, a | b), (ta ^ tb, a ^ b),
        (True & ta, True & a), (a | tb, a | b), (False ^ ta, False ^ a),
    ]:
        assert isinstance(got, Tensor) and got.dtype == bool and not got.requires_grad
        np.testing.assert_array_equal(got.data, want)
    assert ((Tensor([1.0, 2.0]) > 1) & (Tensor([1.0, 2.0]) < 3)).tolist() == [False, True]
    assert (Tensor([6, 5]) & 3).tolist() == [2, 1]  # bitwise on ints, as NumPy


def test_logic_operators_refuse_floats_naming_the_op_and_shapes():
    with pytest.raises(TypeError, match=r"bitwise_and: .*\(1,\).*not supported"):
        Tensor([1.0]) & Tensor([2.0])
    with pytest.raises(TypeError, match=r"invert: .*\(1,\).*not supported"):
        ~Tensor([1.0])


def test_floor_division_matches_numpy_and_passes_no_gradient():
    a, b = np.array([7.0, -7.0, 1.0, 5.5]), np.array([2.0, 2.0, 0.1, -2.0])
    for got, want in [
        (Tensor(a, dtype=np.float64) // Tensor(b, dtype=np.float64), a // b),
        (Tensor([7, -7]) // 2, np.array([7, -7]) // 2),
        (7 // Tensor(b, dtype=np.float64), 7 // b),
        (a // Tensor(b, dtype=np.float64), a // b),
    ]:
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got.data, want)
    assert (Tensor([7.0]) // 2.0).dtype == np.float32
    x = Tensor([7.0, -3.0], requires_grad=True)
    y = (x // 2) * x  # d/dx = x // 2: the floor division itself contributes 0
    assert not (x // 2).requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [3.0, -2.0]


# ---- grad assignment is checked (PyTorch's rules) ---------------------------------------


def test_grad_assignment_is_checked_like_pytorch():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(1,\).*\(2,\)"):
        x.grad = Tensor([1.0])
    with pytest.raises(TypeError, match="Tensor or None.*ndarray"):
        x.grad = np.ones(2, np.float32)
    with pytest.raises(TypeError, match="dtype float64.*float32"):
        x.grad = Tensor(np.ones(2))
    assert x.grad is None
    x.grad = Tensor([0.5, 0.5])
    (x * x).sum().backward()  # the engine accumulates into what was assigned
    assert x.grad.tolist() == [2.5, 4.5]
    x.grad = None
    assert x.grad is None


def test_in_place_cast_error_names_the_op_shapes_and_dtypes():
    t = Tensor([1, 2])
    with pytest.raises(TypeError, match=r"in-place \+=: .*\(2,\), \(\).*int64, float64"):
        t += 0.5
    assert t.tolist() == [1, 2]


# ---- reductions over axis 0 / -1 of a 0-d tensor (NumPy's ufunc reductions) -----------


@pytest.mark.parametrize("name", ["sum", "max", "min", "prod", "logsumexp", "mean"])
@pytest.mark.parametrize("axis", [0, -1])
def test_a_0d_tensor_reduces_over_axis_0_or_minus_1(name, axis):
    x = Tensor(3.0, requires_grad=True)
    out = getattr(tg, name)(x, axis=axis)
    assert out.shape == () and out.item() == pytest.approx(3.0)
    out.backward()
    assert x.grad.item() == 1.0
    assert getattr(tg, name)(x, axis=axis, keepdims=True).shape == ()
    assert tg.softmax(x, axis=axis).item() == 1.0


def test_argmax_of_a_0d_tensor_takes_axis_minus_1_as_numpy():
    assert tg.argmax(Tensor(3.0), axis=-1).item() == np.argmax(np.array(3.0), axis=-1)
    with pytest.raises(np.exceptions.AxisError, match="axis 1"):
        tg.sum(Tensor(3.0), axis=1)


def test_concatenating_0d_tensors_is_a_value_error_as_numpy():
    with pytest.raises(ValueError, match="zero-dimensional arrays cannot be concatenated"):
        tg.concatenate([Tensor(1.0), Tensor(2.0)])
    with pytest.raises(ValueError, match="zero-dimensional"):
        tg.concatenate([Tensor([1.0]), Tensor(2.0)])


# ---- no_grad / enable_grad decorate bare, as in PyTorch 2 -------------------------------


def test_no_grad_and_enable_grad_decorate_without_parentheses():
    x = Tensor([1.0], requires_grad=True)

    @tg.no_grad
    def frozen(t):
        return t * 2

    @tg.enable_grad
    def recorded(t):
        return t * 2

    assert frozen.__name__ == "frozen"
    assert not frozen(x).requires_grad
    with tg.no_grad():
        assert recorded(x).requires_grad
        assert not (x * 2).requires_grad  # the decorator restored the mode
    assert (x * 2).requires_grad
    with pytest.raises(TypeError, match="no arguments"):
        tg.no_grad(3)


# ---- requires_grad assignment and needs_input_grad in forward, as PyTorch --------------


def test_assigning_requires_grad_is_checked_like_requires_grad_():
    t = Tensor([1, 2])
    with pytest.raises(TypeError, match="floating"):
        t.requires_grad = True
    x = Tensor([1.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        y.requires_grad = False
    x.requires_grad = False  # a leaf may stop
    assert not x.requires_grad


def test_needs_input_grad_is_readable_in_forward():
    seen = []

    class Scale(tg.Function):
        @staticmethod
        def forward(ctx, x, s):
            seen.append(ctx.needs_input_grad)
            return x * s

        @staticmethod
        def backward(ctx, grad):
            return grad, None

    x = Tensor([1.0], requires_grad=True)
    Scale.apply(x, Tensor([2.0]))
    with tg.no_grad():
        Scale.apply(x, Tensor([2.0]))
    assert seen == [(True, False), (False, False)]


def test_transforms_take_python_numbers_by_tensor_s_dtype_rule():
    square = tg.grad(lambda x: x * x)
    assert square(2.0).dtype == np.float32  # as Tensor(2.0)
    assert square(2).dtype == np.float32
    assert square(np.float64(2.0)).dtype == np.float64  # NumPy scalars keep theirs
    assert tg.grad(lambda x: (x * x).sum())([1.0, 2.0]).tolist() == [2.0, 4.0]
    with pytest.raises(TypeError, match="must be real numbers"):
        square("a")


@pytest.mark.parametrize(
    "index, value, error",
    [(0, "a", TypeError), (0, None, TypeError), (0, 1j, TypeError),
     (5, 1.0, IndexError), (slice(None), np.ones(4), ValueError)],
)
def test_item_assignment_refuses_bad_values_naming_setitem(index, value, error):
    y = tg.zeros(3)
    with pytest.raises(error, match="setitem"):
        y[index] = value
    assert y.tolist() == [0.0, 0.0, 0.0]


def test_item_assignment_converts_as_numpy_does():
    y = tg.zeros(3, dtype=np.float64)
    y[0], y[1:] = 0.1, [0.2, 0.3]
    assert y.tolist() == [0.1, 0.2, 0.3]  # exact: no detour through float32


def test_an_empty_list_index_selects_nothing_as_numpy():
    x = Tensor(np.ones((3, 2)), requires_grad=True)
    y = x[[]]
    assert y.shape == np.ones((3, 2))[[]].shape == (0, 2)
    y.sum().backward()
    assert x.grad.tolist() == np.zeros((3, 2)).tolist()
