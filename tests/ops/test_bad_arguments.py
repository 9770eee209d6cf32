"""Bad arguments to the ops and to Tensor creation: never a silent coercion, never
NumPy's error without a name. Each raises the documented type with a message that
starts with the public function the user called (issues 13.8, 18.6, 18.8)."""

import inspect

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor

# (what, call, exception type, the message starts with)
COERCIONS = [
    ("Tensor(None, dtype=float64)", lambda: Tensor(None, dtype=np.float64), TypeError, "Tensor:"),
    ("None inside a list", lambda: Tensor([1.0, None], dtype=np.float64), TypeError, "Tensor:"),
    ("a complex list", lambda: Tensor([1 + 2j, 3.0]), TypeError, "Tensor: complex"),
    ("a complex ndarray", lambda: Tensor(np.array([1 + 2j])), TypeError, "Tensor:"),
    ("a complex ndarray, dtype given",
     lambda: Tensor(np.array([1 + 2j]), dtype=np.float64), TypeError, "Tensor:"),
    ("np.complex128", lambda: Tensor(np.complex128(1 + 1j)), TypeError, "Tensor: complex"),
    ("np.complex64", lambda: Tensor(np.complex64(1)), TypeError, "Tensor: complex"),
    ("dtype=complex", lambda: Tensor([1.0], dtype=np.complex128), TypeError, "Tensor: dtype"),
    ("dtype=object", lambda: Tensor([1.0], dtype=object), TypeError, "Tensor: dtype"),
    ("text with a float dtype", lambda: Tensor(["1", "2"], dtype=np.float64), TypeError,
     "Tensor: expected numeric data"),
    ("a complex operand", lambda: tg.ones(3) + [1j, 0, 0], TypeError, "add: complex"),
    ("a complex scalar operand", lambda: tg.ones(3) * 1j, TypeError, "multiply: complex"),
    ("a text operand", lambda: tg.exp("1.0"), TypeError, "exp: expected numeric data"),
    ("a None operand", lambda: tg.ones(2) - None, TypeError, "subtract: cannot make"),
    ("reshape((2.9, 3))", lambda: tg.ones(6).reshape((2.9, 3)), TypeError, "reshape:"),
    ("reshape(2.0, 3)", lambda: tg.ones(6).reshape(2.0, 3), TypeError, "reshape:"),
    ("reshape(True, 6)", lambda: tg.ones(6).reshape(True, 6), TypeError, "reshape:"),
    ("broadcast_to((2.0, 3))", lambda: tg.ones(3).broadcast_to((2.0, 3)), TypeError,
     "broadcast_to:"),
    ("transpose(0.0, 1)", lambda: tg.ones(2, 3).transpose(0.0, 1), TypeError, "transpose:"),
    ("expand_dims(1.0)", lambda: tg.ones(2).expand_dims(1.0), TypeError, "expand_dims:"),
    ("expand_dims(None)", lambda: tg.ones(2).expand_dims(None), TypeError, "expand_dims:"),
    ("sum(axis=1.0)", lambda: tg.ones(2, 3).sum(axis=1.0), TypeError, "sum:"),
    ("sum(axis=True)", lambda: tg.ones(2, 3).sum(axis=True), TypeError, "sum:"),
    ("mean(axis='0')", lambda: tg.ones(2, 3).mean(axis="0"), TypeError, "mean:"),
    ("squeeze(axis=0.0)", lambda: tg.ones(1, 3).squeeze(0.0), TypeError, "squeeze:"),
    ("argmax(axis=(0, 1))", lambda: tg.ones(2, 3).argmax(axis=(0, 1)), TypeError, "argmax:"),
    ("concatenate(axis=0.0)", lambda: tg.concatenate([tg.ones(2)], axis=0.0), TypeError,
     "concatenate:"),
    ("stack(axis=False)", lambda: tg.stack([tg.ones(2)], axis=False), TypeError, "stack:"),
    ("swapaxes(0, 1.0)", lambda: tg.ones(2, 3).swapaxes(0, 1.0), TypeError, "swapaxes:"),
    ("var(ddof='a')", lambda: tg.ones(3).var(ddof="a"), TypeError, "var:"),
    ("std(ddof=None)", lambda: tg.ones(3).std(ddof=None), TypeError, "std:"),
    ("clip('0', '1')", lambda: tg.ones(3).clip("0", "1"), TypeError, "clip:"),
    ("clip(None, 1j)", lambda: tg.ones(3).clip(None, 1j), TypeError, "clip:"),
    ("elu('a')", lambda: tg.ones(3).elu("a"), TypeError, "elu:"),
    ("leaky_relu(None)", lambda: tg.ones(3).leaky_relu(None), TypeError, "leaky_relu:"),
    ("pad value 'a'", lambda: tg.ones(3).pad(1, "a"), TypeError, "pad:"),
    ("pad width 1.5", lambda: tg.ones(3).pad(1.5), TypeError, "pad:"),
    ("pad widths for 3 axes of a 1-D tensor", lambda: tg.ones(3).pad(((1, 1),) * 3), ValueError,
     "pad:"),
    ("zeros(2.5)", lambda: tg.zeros(2.5), TypeError, "zeros:"),
    ("ones((2, 2.0))", lambda: tg.ones((2, 2.0)), TypeError, "ones:"),
    ("zeros(-1)", lambda: tg.zeros(-1), ValueError, "zeros: negative dimensions"),
    ("full((2.5,), 1)", lambda: tg.full((2.5,), 1), TypeError, "full:"),
    ("full((2,), 1j)", lambda: tg.full((2,), 1j), TypeError, "full: complex"),
    ("full((2,), [1, 2])", lambda: tg.full((2,), [1, 2]), ValueError, "full:"),
    ("eye(2.0)", lambda: tg.eye(2.0), TypeError, "eye:"),
    ("rand(2, dtype=int64)", lambda: tg.rand(2, dtype=np.int64), TypeError, "rand: dtype"),
    ("randn(2, dtype=bool)", lambda: tg.randn(2, dtype=bool), TypeError, "randn: dtype"),
    ("zeros(2, dtype=complex)", lambda: tg.zeros(2, dtype=complex), TypeError, "zeros: dtype"),
    ("zeros_like(None)", lambda: tg.zeros_like(None), TypeError, "zeros_like:"),
    ("ones_like('ab')", lambda: tg.ones_like("ab"), TypeError, "ones_like:"),
    ("arange('a')", lambda: tg.arange("a"), TypeError, "arange:"),
    ("arange(1j)", lambda: tg.arange(1j), TypeError, "arange:"),
    ("arange(0, 1, 0)", lambda: tg.arange(0, 1, 0), ValueError, "arange: step"),
    ("arange()", lambda: tg.arange(), TypeError, "arange:"),
    ("astype(complex)", lambda: tg.ones(2).astype(np.complex128), TypeError, "astype: dtype"),
    ("astype('foo')", lambda: tg.ones(2).astype("foo"), TypeError, "astype:"),
]


@pytest.mark.parametrize("what, call, kind, starts", COERCIONS, ids=[c[0] for c in COERCIONS])
def test_bad_argument_raises_naming_the_function(what, call, kind, starts):
    with pytest.raises(kind) as error:
        call()
    assert type(error.value) in (kind, np.exceptions.AxisError)  # a plain type: no NumPy subclass
    assert str(error.value).startswith(starts), f"{what}: {error.value}"


def _ops_with_an_axis() -> list[str]:
    """Every public op taking ``axis`` (found from the signatures, so new ops join)."""
    return [
        name for name in tg.ops.__all__
        if "axis" in inspect.signature(getattr(tg.ops, name)).parameters
    ]


#: the other positional arguments of ops that need more than the tensor
_MORE_ARGUMENTS = {
    "repeat": (2,), "roll": (1,), "split": (1,), "array_split": (1,),
    "append": (tg.ones(2, 3),), "cross": (tg.ones(2, 3),),
}


def _call_with_axis(name: str, axis):
    fn = getattr(tg.ops, name)
    first = next(iter(inspect.signature(fn).parameters))
    x = tg.ones(2, 3)
    if first == "tensors":
        return fn([x, x], axis=axis)
    return fn(x, *_MORE_ARGUMENTS.get(name, ()), axis=axis)


@pytest.mark.parametrize("name", _ops_with_an_axis())
def test_out_of_range_axis_names_the_function(name):
    """An AxisError (a ValueError and an IndexError, as NumPy's) that starts with the
    public name: std says std, log_softmax says log_softmax, argmax says argmax."""
    with pytest.raises(np.exceptions.AxisError) as error:
        _call_with_axis(name, 7)
    assert str(error.value).startswith(f"{name}: axis 7 is out of bounds"), str(error.value)
    assert isinstance(error.value, ValueError)


@pytest.mark.parametrize("name", _ops_with_an_axis())
def test_float_axis_is_a_type_error_naming_the_function(name):
    with pytest.raises(TypeError, match=rf"^{name}: axis must be"):
        _call_with_axis(name, 1.0)


def test_the_axis_table_covers_the_reductions_and_shape_ops():
    assert {
        "sum", "mean", "max", "min", "prod", "var", "std", "logsumexp", "softmax",
        "log_softmax", "argmax", "argmin", "squeeze", "expand_dims", "concatenate", "stack",
    } <= set(_ops_with_an_axis())


def test_swapaxes_and_transpose_name_themselves():
    with pytest.raises(np.exceptions.AxisError, match="^swapaxes: axis 5"):
        tg.ones(2, 3).swapaxes(0, 5)
    with pytest.raises(ValueError, match=r"^transpose: axes \(0, 2\) are not a permutation"):
        tg.ones(2, 3).transpose(0, 2)


def test_arg_reductions_of_an_empty_axis_name_themselves():
    with pytest.raises(ValueError, match="^argmin: the argmin of an empty tensor"):
        tg.zeros(0, 3).argmin(axis=0)
    with pytest.raises(ValueError, match=r"^max: the max of an empty tensor of shape \(0, 3\)"):
        tg.zeros(0, 3).max(axis=0)
    # groups that are there but none of them: an empty result, as NumPy
    assert tg.zeros(0, 3).argmax(axis=1).shape == (0,)
    assert tg.zeros(0, 3).min(axis=1).shape == (0,)


def test_numeric_parameters_keep_the_tensor_dtype():
    """A np.float64 parameter is a Python number to the op: float32 stays float32."""
    x = Tensor(np.array([-1.0, 2.0], np.float32))
    assert tg.elu(x, np.float64(0.5)).dtype == np.float32
    assert tg.leaky_relu(x, np.float64(0.1)).dtype == np.float32
    assert tg.clip(x, np.float64(0.0), None).tolist() == [0.0, 2.0]
    assert tg.clip(x, np.float64(0.0), None).dtype == np.float32
    assert tg.pad(x, 1, np.float64(7.0)).dtype == np.float32
    bounds = Tensor(np.array([0.0, 1.0], np.float32))
    assert tg.clip(x, bounds, None).tolist() == [0.0, 2.0]  # a Tensor bound: differentiable


def test_arange_follows_numpys_dtype_rule_as_the_contract_says():
    """API.md: ``arange(...) (NumPy's dtype rule)``, so float arguments give float64,
    unlike Tensor(1.5), which follows the default float dtype."""
    assert tg.arange(0.0, 1.0, 0.5).dtype == np.arange(0.0, 1.0, 0.5).dtype == np.float64
    assert tg.arange(3).dtype == np.int64
    assert tg.arange(3, dtype=np.float32).tolist() == [0.0, 1.0, 2.0]
    assert tg.arange(np.int64(2), 5).tolist() == [2, 3, 4]


def test_valid_shapes_in_every_spelling_still_work():
    x = tg.ones(6)
    assert x.reshape(2, 3).shape == x.reshape((2, 3)).shape == x.reshape([2, 3]).shape
    assert x.reshape(np.int64(3), -1).shape == (3, 2)
    assert x.reshape(np.array([3, 2])).shape == (3, 2)
    assert tg.zeros(np.int32(2), 3).shape == tg.eye(np.int64(2), 3).shape == (2, 3)
    assert tg.full(3, 1.5).shape == (3,)
