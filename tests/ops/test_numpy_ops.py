"""NumPy's differentiable surface beyond the op table: bad input names the op,
piecewise-constant ops give exactly 0 (also at the jumps), einsum's repeated and
ellipsis labels, and the cases the table's draws do not reach."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.testing import gradcheck, gradgradcheck, numerical_grad

RNG = np.random.default_rng(0)


def leaf(*shape):
    return tg.Tensor(RNG.standard_normal(shape), requires_grad=True)


# ---- bad input: a ValueError / TypeError naming the op ------------------------------


@pytest.mark.parametrize(
    "call, error, words",
    [
        (
            lambda: tg.einsum("ij,jk", tg.ones(2, 3)),
            ValueError,
            "einsum: subscripts 'ij,jk' name 2",
        ),
        (
            lambda: tg.einsum("ijk", tg.ones(2, 3)),
            ValueError,
            "einsum: operand 0 has shape (2, 3)",
        ),
        (
            lambda: tg.einsum("ij,jk", tg.ones(2, 3), tg.ones(4, 2)),
            ValueError,
            "label 'j'",
        ),
        (lambda: tg.einsum("ij->k", tg.ones(2, 3)), ValueError, "einsum: output"),
        (
            lambda: tg.einsum("i1", tg.ones(2, 3)),
            ValueError,
            "einsum: invalid subscripts",
        ),
        (lambda: tg.einsum("...i...", tg.ones(2, 3)), ValueError, "einsum: invalid"),
        (lambda: tg.einsum(), ValueError, "einsum: needs subscripts"),
        (
            lambda: tg.split(tg.arange(5.0), 2),
            ValueError,
            "split: array split does not result",
        ),
        (lambda: tg.split(tg.arange(4.0), 0), ValueError, "split: number of sections"),
        (
            lambda: tg.split(tg.ones(2, 2), 2, axis=2),
            ValueError,
            "split: axis 2 is out of bounds",
        ),
        (
            lambda: tg.vsplit(tg.ones(4), 2),
            ValueError,
            "vsplit: only works on tensors of 2",
        ),
        (lambda: tg.dsplit(tg.ones(2, 2), 2), ValueError, "dsplit: only works"),
        (lambda: tg.hsplit(tg.ones(2, 3), 2), ValueError, "hsplit: array split"),
        (
            lambda: tg.cumsum(tg.ones(2, 2), axis=(0, 1)),
            TypeError,
            "cumsum: axis must be an int",
        ),
        (
            lambda: tg.cumprod(tg.ones(2), axis=3),
            ValueError,
            "cumprod: axis 3 is out of bounds",
        ),
        (lambda: tg.diff(tg.ones(3), n=-1), ValueError, "diff: order n"),
        (lambda: tg.diff(tg.Tensor(1.0)), ValueError, "diff: needs at least a 1-D"),
        (
            lambda: tg.sort(tg.ones(2), axis=1),
            ValueError,
            "sort: axis 1 is out of bounds",
        ),
        (lambda: tg.tile(tg.ones(2), -1), ValueError, "tile: reps"),
        (
            lambda: tg.repeat(tg.ones(3), [1, 2]),
            ValueError,
            "repeat: 2 repeats for axis 0",
        ),
        (lambda: tg.repeat(tg.ones(3), -1), ValueError, "repeat: repeats must be"),
        (lambda: tg.roll(tg.ones(3), 1.5), TypeError, "roll: shift and axis"),
        (
            lambda: tg.rot90(tg.ones(2, 2), axes=(0, 0)),
            ValueError,
            "rot90: axes must be different",
        ),
        (
            lambda: tg.rot90(tg.ones(2, 2), axes=(0,)),
            ValueError,
            "rot90: axes must name 2",
        ),
        (
            lambda: tg.fliplr(tg.ones(3)),
            ValueError,
            "fliplr: needs a tensor of at least 2",
        ),
        (lambda: tg.flip(tg.ones(3), 1), ValueError, "flip: axis 1 is out of bounds"),
        (lambda: tg.tril(tg.Tensor(1.0)), ValueError, "tril: needs a tensor"),
        (
            lambda: tg.moveaxis(tg.ones(2, 3), [0, 1], [0]),
            ValueError,
            "moveaxis: source",
        ),
        (lambda: tg.moveaxis(tg.ones(2, 3), 0, 2), ValueError, "moveaxis: axis 2"),
        (lambda: tg.hstack(tg.ones(2)), TypeError, "hstack: expects a sequence"),
        (lambda: tg.vstack([]), ValueError, "vstack: need at least one"),
        (
            lambda: tg.append(tg.ones(2, 2), tg.ones(3), axis=0),
            ValueError,
            "concatenate",
        ),
        (lambda: tg.tensordot(tg.ones(2, 3), tg.ones(4, 2)), ValueError, "tensordot"),
        (
            lambda: tg.tensordot(tg.ones(2, 3), tg.ones(2, 3), 3),
            ValueError,
            "tensordot: axes=3",
        ),
        (
            lambda: tg.tensordot(tg.ones(2, 3), tg.ones(3, 2), ([1], [1])),
            ValueError,
            "tensordot: shape mismatch for sum: axis 1",
        ),
        (
            lambda: tg.dot(tg.ones(2, 3), tg.ones(2, 3)),
            ValueError,
            "dot: shapes (2, 3) and (2, 3) not aligned",
        ),
        (lambda: tg.inner(tg.ones(2), tg.ones(3)), ValueError, "inner: last axes"),
        (
            lambda: tg.cross(tg.ones(2), tg.ones(2)),
            ValueError,
            "cross: vectors along axis -1 must have 3",
        ),
        (
            lambda: tg.diagonal(tg.ones(3)),
            ValueError,
            "diagonal: needs at least 2 dims",
        ),
        (
            lambda: tg.diagonal(tg.ones(2, 2), axis1=1, axis2=-1),
            ValueError,
            "diagonal: axis1 and axis2",
        ),
        (
            lambda: tg.diag(tg.ones(2, 2, 2)),
            ValueError,
            "diag: input must be 1-D or 2-D",
        ),
        (lambda: tg.round(tg.ones(2), 0.5), TypeError, "round: decimals"),
        (
            lambda: tg.hypot(tg.ones(2), tg.ones(3)),
            ValueError,
            "hypot: shapes (2,) and (3,)",
        ),
        (lambda: tg.mod(tg.ones(2), tg.ones(3)), ValueError, "mod: shapes"),
        (lambda: tg.linspace(0, 1, -2), ValueError, "linspace: num"),
    ],
)
def test_bad_input_names_the_op(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)


# ---- piecewise constant: exactly 0 --------------------------------------------------


@pytest.mark.parametrize("op", [tg.sign, tg.floor, tg.ceil, tg.trunc, tg.round])
def test_step_functions_have_zero_gradient_also_at_their_jumps(op):
    x = tg.Tensor([-1.5, -1.0, 0.0, 0.5, 2.0], dtype=np.float64, requires_grad=True)
    op(x).backward(tg.Tensor([1.0, 2.0, 3.0, 4.0, 5.0], dtype=np.float64))
    assert x.grad is not None and np.array_equal(x.grad.data, np.zeros(5))
    (g,) = tg.gradients((op(x) * x).sum(), [x], create_graph=True)
    np.testing.assert_array_equal(g.data, op(x).data)  # d(op(x)·x) = op(x) + 0·x


def test_linspace_is_creation_without_a_graph():
    t = tg.linspace(tg.Tensor(0.0, requires_grad=True), 1.0, 5)
    assert not t.requires_grad and t.grad_fn is None and t.dtype == np.float32
    np.testing.assert_allclose(t.data, np.linspace(0, 1, 5))
    values, step = tg.linspace(0, 2, 4, endpoint=False, retstep=True, dtype=np.float64)
    assert step == 0.5 and values.tolist() == [0.0, 0.5, 1.0, 1.5]
    assert tg.linspace(0, 1, 3, requires_grad=True).requires_grad


# ---- einsum ---------------------------------------------------------------------


def test_einsum_diagonal_gradient_lands_on_the_diagonal():
    a = leaf(3, 3)
    g = tg.Tensor([1.0, 2.0, 3.0], dtype=np.float64)
    tg.einsum("ii->i", a).backward(g)
    np.testing.assert_array_equal(a.grad.data, np.diag([1.0, 2.0, 3.0]))


@pytest.mark.parametrize(
    "subscripts, shapes",
    [
        ("ii", [(3, 3)]),
        ("ii->i", [(3, 3)]),
        ("i,i", [(4,), (4,)]),
        ("...ij,...jk", [(2, 1, 2, 3), (4, 3, 2)]),
        ("i...j,j->...", [(2, 3, 4), (4,)]),
        ("...ii->...", [(2, 3, 3)]),
        ("ijj,jk->ik", [(2, 3, 3), (3, 2)]),
        ("iij,j", [(2, 2, 3), (3,)]),
        ("ij,ij->ij", [(1, 3), (2, 3)]),
        ("ij->", [(2, 3)]),
        ("ab,bc,ca", [(2, 3), (3, 4), (4, 2)]),
        ("...,...", [(2, 3), (3,)]),
        ("i,j,k", [(2,), (1,), (3,)]),
        # gradients that sum over nothing: the broadcast-product path
        ("ij,ij->", [(3, 4), (3, 4)]),
        ("ijk,ij->", [(2, 3, 4), (2, 3)]),
        ("ij,jk->kji", [(2, 3), (3, 4)]),
        (",ij->ij", [(), (2, 3)]),
        (",->", [(), ()]),
        ("ij->ji", [(2, 3)]),
    ],
)
def test_einsum_matches_numpy_and_central_differences(subscripts, shapes):
    arrays = [RNG.standard_normal(s) for s in shapes]
    out = tg.einsum(subscripts, *[tg.Tensor(a) for a in arrays])
    np.testing.assert_allclose(out.data, np.einsum(subscripts, *arrays), rtol=1e-12)

    def fn(*xs):
        return tg.einsum(subscripts, *xs)

    assert gradcheck(fn, arrays)
    assert gradgradcheck(fn, arrays)


def test_einsum_product_gradients_are_new_arrays():
    # 'ij->ji' and 'ij,ij->' give grad transposed / grad times b: never a view of
    # the cotangent or of b, which the caller still owns
    a, b = leaf(2, 3), leaf(2, 3)
    g = RNG.standard_normal((3, 2))
    tg.einsum("ij->ji", a).backward(g)
    np.testing.assert_array_equal(a.grad.data, g.T)
    assert not np.shares_memory(a.grad.data, g)
    a.grad = None
    tg.einsum("ij,ij->", a, b).backward(np.float64(2.0))
    np.testing.assert_array_equal(a.grad.data, 2.0 * b.data)
    assert not np.shares_memory(a.grad.data, b.data)


def test_einsum_sublist_form_and_optimize():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((3, 4))
    out = tg.einsum(tg.Tensor(a), [0, 1], tg.Tensor(b), [1, 2], [0, 2])
    np.testing.assert_allclose(out.data, a @ b)
    out = tg.einsum(tg.Tensor(a), [Ellipsis, 1], tg.Tensor(b), [1, 2])
    np.testing.assert_allclose(out.data, np.einsum(a, [Ellipsis, 1], b, [1, 2]))
    out = tg.einsum("ij,jk->ik", a, b, optimize=True)
    np.testing.assert_allclose(out.data, a @ b)
    assert gradcheck(
        lambda x, y: tg.einsum("ij,jk->ik", x, y, optimize="greedy"), [a, b]
    )


def test_einsum_keeps_float32():
    a = tg.Tensor(np.ones((3, 3), np.float32), requires_grad=True)
    tg.einsum("ii->", a).backward()
    assert a.grad.dtype == np.float32 and a.grad.data.tolist() == np.eye(3).tolist()


# ---- cases the table's draws do not reach -------------------------------------------


def test_cumprod_with_zeros_is_exact():
    x = np.array([2.0, 0.0, 3.0, 0.0, 5.0])
    (numeric,) = numerical_grad(
        lambda t: tg.cumprod(t), [x], cotangent=np.arange(1.0, 6.0)
    )
    t = tg.Tensor(x, requires_grad=True)
    tg.cumprod(t).backward(tg.Tensor(np.arange(1.0, 6.0)))
    np.testing.assert_allclose(t.grad.data, numeric, atol=1e-6)
    assert gradgradcheck(lambda t: tg.cumprod(t), [x])


def test_sort_ties_send_each_gradient_to_one_element():
    x = tg.Tensor([1.0, 1.0, 0.0], dtype=np.float64, requires_grad=True)
    tg.sort(x).backward(tg.Tensor([10.0, 20.0, 30.0], dtype=np.float64))
    assert x.grad.tolist() == [20.0, 30.0, 10.0]  # stable: the first 1.0 sorts first


def test_fmax_fmin_ignore_nan_and_send_it_no_gradient():
    a = tg.Tensor([np.nan, 1.0, 3.0], dtype=np.float64, requires_grad=True)
    b = tg.Tensor([2.0, np.nan, 1.0], dtype=np.float64, requires_grad=True)
    out = tg.fmax(a, b)
    assert out.tolist() == [2.0, 1.0, 3.0]
    out.backward(tg.ones(3, dtype=np.float64))
    assert a.grad.tolist() == [0.0, 1.0, 1.0] and b.grad.tolist() == [1.0, 0.0, 0.0]
    assert tg.fmin(a, b).tolist() == [2.0, 1.0, 1.0]


def test_nan_to_num_replaces_and_blocks_the_gradient():
    x = tg.Tensor([np.nan, np.inf, -np.inf, 2.0], dtype=np.float64, requires_grad=True)
    out = tg.nan_to_num(x, posinf=5.0)
    assert out.data[:3].tolist() == [0.0, 5.0, np.finfo(np.float64).min]
    out.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 1.0]


def test_atleast_nd_of_several_inputs_is_a_tuple():
    a, b = tg.atleast_2d(tg.Tensor(1.0), tg.ones(3))
    assert (a.shape, b.shape) == ((1, 1), (1, 3))
    assert tg.atleast_3d(tg.ones(3)).shape == np.atleast_3d(np.ones(3)).shape


def test_split_returns_parts_with_their_own_gradients():
    x = tg.Tensor(np.arange(6.0), requires_grad=True)
    first, second = tg.split(x, [2])
    (first * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 0.0, 0.0, 0.0, 0.0]
    assert [p.shape for p in tg.array_split(x, 4)] == [(2,), (2,), (1,), (1,)]


def test_remainder_operators():
    a = tg.Tensor([5.5, -5.5], dtype=np.float64, requires_grad=True)
    assert (a % 2).tolist() == [1.5, 0.5] and (7 % tg.Tensor([4.0])).tolist() == [3.0]
    (a % 2).sum().backward()
    assert a.grad.tolist() == [1.0, 1.0]
    b = tg.Tensor([2.0, 2.0], dtype=np.float64, requires_grad=True)
    tg.fmod(tg.Tensor([5.5, -5.5], dtype=np.float64), b).sum().backward()
    assert b.grad.tolist() == [-2.0, 2.0]  # -trunc(a / b)


def test_methods_match_functions():
    x = tg.Tensor(RNG.uniform(0.1, 0.9, (3, 3)))
    pairs = [
        (x.tan(), tg.tan(x)),
        (x.arcsin(), tg.arcsin(x)),
        (x.log1p(), tg.log1p(x)),
        (x.cumsum(0), tg.cumsum(x, 0)),
        (x.sort(0), tg.sort(x, 0)),
        (x.tril(), tg.tril(x)),
        (x.trace(), tg.trace(x)),
        (x.diagonal(1), tg.diagonal(x, 1)),
        (x.dot(x), tg.dot(x, x)),
        (x.flip(0), tg.flip(x, 0)),
        (x.rot90(), tg.rot90(x)),
        (x.ravel(), tg.ravel(x)),
        (x.repeat(2, 0), tg.repeat(x, 2, 0)),
        (x.round(1), tg.round(x, 1)),
        (x.hypot(x), tg.hypot(x, x)),
        (x.moveaxis(0, 1), tg.moveaxis(x, 0, 1)),
    ]
    for method, function in pairs:
        np.testing.assert_array_equal(method.data, function.data)
