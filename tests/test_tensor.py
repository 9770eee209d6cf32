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
