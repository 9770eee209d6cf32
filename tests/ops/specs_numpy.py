"""Rows of the op table for NumPy's differentiable surface (issue 16): the trig and
mathematical families, the arrangement family, the contractions.

``specs.py`` appends ``numpy_specs()`` to ``SPECS``, so ``test_gradients.py`` (forward
== NumPy, gradcheck, gradgradcheck) and ``test_float16.py`` run every row. The
piecewise-constant ops (sign, floor, ...) are rows too: their inputs are kept away
from the jumps, where central differences give exactly the 0 that backward gives.
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.testing import strategies as tst

INTEGERS = tuple(float(i) for i in range(-4, 5))
HALVES = tuple(i + 0.5 for i in range(-4, 4))


def _array(data, min_dims=0, max_dims=3, max_side=3, lo=-3.0, hi=3.0, shape=None):
    shape = (
        shape
        if shape is not None
        else tst.shapes(min_dims=min_dims, max_dims=max_dims, max_side=max_side)
    )
    return data.draw(tst.arrays(shape, elements=tst.floats(lo, hi)))


def _distinct(x, margin=1e-3):
    flat = np.sort(x.ravel())
    assume(flat.size < 2 or np.min(np.diff(flat)) > margin)


# ---- elementwise -----------------------------------------------------------------


def draw_away_from_origin(data, spec):
    """arctan2 and hypot: no derivative at (0, 0); arctan2 also jumps on y = 0, x < 0."""
    from .specs import draw_broadcastable

    arrays, params = draw_broadcastable(data, spec)
    a, b = np.broadcast_arrays(*arrays)
    assume(np.all(np.hypot(a, b) > 0.3) and np.all(np.abs(a) > 1e-2))
    return arrays, params


def draw_remainder(data, spec):
    """mod/fmod jump where a / b is an integer: built away from there (not filtered).

    a has the broadcast shape, so each a can be nudged off the jump on its own; b
    (|b| ≥ 0.5) takes a suffix of a's shape with some axes 1 (broadcast).
    """
    a = _array(data)
    kept = a.shape[len(a.shape) - data.draw(st.integers(0, a.ndim)) :]
    b = _array(data, shape=tuple(n if data.draw(st.booleans()) else 1 for n in kept))
    b = np.where(b >= 0, b + 0.5, b - 0.5)
    ratio = a / b
    a = np.where(np.abs(ratio - np.round(ratio)) < 0.05, a + 0.1 * b, a)
    return [a, b], dict(spec.params)


def draw_axis_or_none(data, spec, lo=-3.0, hi=3.0, distinct=False):
    from .specs import away_from_kinks

    x = _array(data, min_dims=1, lo=lo, hi=hi)
    away_from_kinks([x], spec.kinks)
    if distinct:
        _distinct(x)
    axis = data.draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    return [x], {"axis": axis}


def draw_cumprod_with_zeros(data, spec):
    from .specs import away_from_kinks

    x = _array(data, min_dims=1)
    away_from_kinks([x], (0.0,))  # zeros only where placed: tiny x is ill-conditioned
    zeros = data.draw(tst.arrays(x.shape, dtype=bool, elements=st.booleans()))
    x = np.where(zeros, 0.0, x)
    axis = data.draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    return [x], {"axis": axis}


def draw_diff(data, spec):
    x = _array(data, min_dims=1, max_side=4)
    return [x], {
        "n": data.draw(st.integers(0, 3)),
        "axis": data.draw(st.integers(-x.ndim, x.ndim - 1)),
    }


def draw_nan_to_num(data, spec):
    x = _array(data)
    return [x], {"nan": 1.5, "posinf": 9.0, "neginf": -9.0}


# ---- arrangement -----------------------------------------------------------------


def draw_sort(data, spec):
    return draw_axis_or_none(data, spec, distinct=True)


def draw_tile(data, spec):
    x = _array(data)
    reps = data.draw(
        st.one_of(st.integers(0, 3), st.lists(st.integers(1, 2), max_size=4).map(tuple))
    )
    return [x], {"reps": reps}


def draw_repeat(data, spec):
    x = _array(data, min_dims=1)
    axis = data.draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    n = x.size if axis is None else x.shape[axis]
    repeats = data.draw(
        st.one_of(
            st.integers(0, 3), st.lists(st.integers(0, 3), min_size=n, max_size=n)
        )
    )
    return [x], {"repeats": repeats, "axis": axis}


def draw_roll(data, spec):
    x = _array(data, min_dims=1)
    shift = data.draw(st.integers(-4, 4))
    axis = data.draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    if axis is not None and x.ndim > 1 and data.draw(st.booleans()):
        shift, axis = (shift, data.draw(st.integers(-3, 3))), (
            axis,
            (axis + 1) % x.ndim,
        )
    return [x], {"shift": shift, "axis": axis}


def draw_flip(data, spec):
    x = _array(data, min_dims=1)
    axis = data.draw(st.one_of(st.none(), tst.axes(x.ndim)))
    return [x], {"axis": axis}


def draw_rot90(data, spec):
    x = _array(data, min_dims=2)
    a, b = data.draw(
        st.lists(st.integers(0, x.ndim - 1), min_size=2, max_size=2, unique=True)
    )
    return [x], {"k": data.draw(st.integers(-2, 5)), "axes": (a, b - x.ndim)}


def draw_triangle(data, spec):
    x = _array(data, min_dims=1)
    return [x], {"k": data.draw(st.integers(-2, 2))}


def _sections(data, size, equal):
    if data.draw(st.booleans()):  # a number of sections
        if equal:
            return data.draw(
                st.sampled_from([n for n in range(1, size + 1) if size % n == 0])
            )
        return data.draw(st.integers(1, size + 1))
    return sorted(data.draw(st.lists(st.integers(0, size), max_size=3)))


def _joined(parts, concatenate):
    """The parts of a split as one array, each scaled by its position (so a part
    swapped with another shows in the value and in the gradient)."""
    return concatenate([(p * (i + 1)).reshape(-1) for i, p in enumerate(parts)])


def _split_spec(name, axis_of, min_dims, equal):
    from .specs import OpSpec

    def draw(data, spec):
        x = _array(data, min_dims=min_dims, max_side=4)
        axis = axis_of(x, data)
        return [x], {
            "sections": _sections(data, x.shape[axis], equal),
            **({"axis": axis} if name in ("split", "array_split") else {}),
        }

    def fn(x, sections, **kw):
        return _joined(getattr(tg, name)(x, sections, **kw), tg.concatenate)

    def reference(x, sections, **kw):
        return _joined(getattr(np, name)(x, sections, **kw), np.concatenate)

    return OpSpec(name, fn, reference, draw=draw)


def _any_axis(x, data):
    return data.draw(st.integers(0, x.ndim - 1))


def draw_append(data, spec):
    x = _array(data, min_dims=1)
    axis = data.draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    if axis is None:
        values = _array(data)
    else:
        shape = list(x.shape)
        shape[axis] = data.draw(st.integers(1, 3))
        values = _array(data, shape=tuple(shape))
    return [x, values], {"axis": axis}


def draw_joinable(min_dims, axis):
    """Several arrays that agree on every axis but ``axis`` (after atleast_{min_dims}d)."""

    def draw(data, spec):
        base = data.draw(tst.shapes(min_dims=min_dims, max_dims=3, max_side=3))
        arrays = []
        for _ in range(data.draw(st.integers(1, 3))):
            shape = list(base)
            if shape:
                shape[min(axis, len(shape) - 1)] = data.draw(st.integers(1, 3))
            arrays.append(_array(data, shape=tuple(shape)))
        return arrays, {}

    return draw


def draw_moveaxis(data, spec):
    x = _array(data, min_dims=1, max_dims=4)
    count = data.draw(st.integers(1, x.ndim))
    source = data.draw(
        st.lists(
            st.integers(0, x.ndim - 1), min_size=count, max_size=count, unique=True
        )
    )
    dest = data.draw(
        st.lists(st.integers(-x.ndim, -1), min_size=count, max_size=count, unique=True)
    )
    if count == 1 and data.draw(st.booleans()):
        return [x], {"source": source[0], "destination": dest[0]}
    return [x], {"source": source, "destination": dest}


# ---- contractions ----------------------------------------------------------------

EINSUM_CASES = [
    "ij,jk->ik",
    "ij,jk",
    "ii->i",
    "ii",
    "i,i",
    "...ij,...jk",
    "ij->",
    "ij",
    "ijk->kji",
    "i,j->ij",
    "bij,bjk->bik",
    "iij->ji",
    "ab,bc,cd->ad",
    "i...->...",
    "...i,...i->...",
    "ij,j",
    "ij->j",
    "iji->j",
    "ij,ij->ij",
    "i...i",
    "a,b,c",
    "...->...",
]


def draw_einsum(data, spec):
    subscripts = data.draw(st.sampled_from(EINSUM_CASES))
    sizes = {
        c: data.draw(st.integers(1, 3)) for c in sorted(set(subscripts) - set(".,->"))
    }
    batch = data.draw(tst.shapes(max_dims=2, max_side=3))
    arrays = []
    for term in subscripts.split("->")[0].split(","):
        head, _, tail = term.partition("...")
        shape = [sizes[c] for c in head]
        if "..." in term:
            kept = batch[len(batch) - data.draw(st.integers(0, len(batch))) :]
            shape += [n if data.draw(st.booleans()) else 1 for n in kept]
            shape += [sizes[c] for c in tail]
        arrays.append(_array(data, shape=tuple(shape), lo=-2, hi=2))
    return arrays, {"subscripts": subscripts}


def draw_tensordot(data, spec):
    a = _array(data, min_dims=1, lo=-2, hi=2)
    count = data.draw(st.integers(0, a.ndim))
    contracted = data.draw(st.permutations(range(a.ndim)))[:count]
    extra = list(data.draw(tst.shapes(max_dims=2, max_side=3)))
    b_axes = [a.shape[i] for i in contracted] + extra
    order = data.draw(st.permutations(range(len(b_axes))))
    b = _array(data, shape=tuple(b_axes[i] for i in order), lo=-2, hi=2)
    where_in_b = [order.index(i) for i in range(count)]
    if (
        data.draw(st.booleans())
        and contracted == list(range(a.ndim - count, a.ndim))
        and where_in_b == list(range(count))
    ):
        return [a, b], {"axes": count}
    return [a, b], {"axes": (list(contracted), where_in_b)}


def draw_dot(data, spec):
    k = data.draw(st.integers(1, 3))
    a = _array(
        data,
        shape=tuple(data.draw(tst.shapes(max_dims=2, max_side=3))) + (k,),
        lo=-2,
        hi=2,
    )
    if data.draw(st.booleans()):
        b = _array(data, shape=(k,), lo=-2, hi=2)
    else:
        lead = tuple(data.draw(tst.shapes(max_dims=1, max_side=3)))
        b = _array(data, shape=lead + (k, data.draw(st.integers(1, 3))), lo=-2, hi=2)
    if data.draw(st.integers(0, 5)) == 0:
        a = _array(data, shape=(), lo=-2, hi=2)
    return [a, b], {}


def draw_inner(data, spec):
    k = data.draw(st.integers(1, 3))
    shapes = [
        tuple(data.draw(tst.shapes(max_dims=2, max_side=3))) + (k,) for _ in range(2)
    ]
    return [_array(data, shape=s, lo=-2, hi=2) for s in shapes], {}


def draw_two(data, spec):
    return [_array(data, max_dims=2, lo=-2, hi=2) for _ in range(2)], {}


def draw_cross(data, spec):
    """3-vectors along ``axis`` (last or first), the other axes broadcasting."""
    tensors = data.draw(tst.broadcastable_tensors(2, max_dims=2, max_side=3))
    axis = data.draw(st.sampled_from([-1, 0]))
    arrays = [
        np.moveaxis(_array(data, shape=t.shape + (3,), lo=-2, hi=2), -1, axis).copy()
        for t in tensors
    ]
    return arrays, {"axis": axis}


def draw_diagonal(data, spec):
    x = _array(data, min_dims=2)
    a, b = data.draw(
        st.lists(st.integers(-x.ndim, x.ndim - 1), min_size=2, max_size=2).filter(
            lambda ab: ab[0] % x.ndim != ab[1] % x.ndim
        )
    )
    return [x], {"offset": data.draw(st.integers(-2, 2)), "axis1": a, "axis2": b}


def draw_diag(data, spec):
    x = _array(data, min_dims=1, max_dims=2)
    return [x], {"k": data.draw(st.integers(-2, 2))}


def numpy_specs() -> list:
    """The rows (called by specs.py once OpSpec exists: the two modules import each
    other, and this way either may be imported first)."""
    from .specs import OpSpec, draw_distinct

    return [
        # ---- trig ----
        OpSpec("tan", tg.tan, np.tan, domain=(-1.2, 1.2)),
        OpSpec("sinh", tg.sinh, np.sinh),
        OpSpec("cosh", tg.cosh, np.cosh),
        OpSpec("arcsin", tg.arcsin, np.arcsin, domain=(-0.9, 0.9)),
        OpSpec("arccos", tg.arccos, np.arccos, domain=(-0.9, 0.9)),
        OpSpec("arctan", tg.arctan, np.arctan),
        OpSpec("arcsinh", tg.arcsinh, np.arcsinh),
        OpSpec("arccosh", tg.arccosh, np.arccosh, domain=(1.1, 4.0)),
        OpSpec("arctanh", tg.arctanh, np.arctanh, domain=(-0.9, 0.9)),
        OpSpec("sinc", tg.sinc, np.sinc, kinks=(0.0,)),
        OpSpec("arctan2", tg.arctan2, np.arctan2, arity=2, draw=draw_away_from_origin),
        OpSpec("hypot", tg.hypot, np.hypot, arity=2, draw=draw_away_from_origin),
        # ---- exponents and logarithms ----
        OpSpec("log1p", tg.log1p, np.log1p, domain=(-0.5, 3.0)),
        OpSpec("expm1", tg.expm1, np.expm1),
        OpSpec("log2", tg.log2, np.log2, domain=(0.1, 10.0)),
        OpSpec("log10", tg.log10, np.log10, domain=(0.1, 10.0)),
        OpSpec("exp2", tg.exp2, np.exp2),
        OpSpec("logaddexp", tg.logaddexp, np.logaddexp, arity=2, domain=(-10.0, 10.0)),
        # ---- rounding: gradient 0, checked away from the jumps ----
        OpSpec("sign", tg.sign, np.sign, kinks=(0.0,)),
        OpSpec("floor", tg.floor, np.floor, kinks=INTEGERS),
        OpSpec("ceil", tg.ceil, np.ceil, kinks=INTEGERS),
        OpSpec("trunc", tg.trunc, np.trunc, kinks=INTEGERS),
        OpSpec("round", tg.round, np.round, kinks=HALVES),
        OpSpec(
            "round_decimals",
            tg.round,
            np.round,
            kinks=tuple((2 * k + 1) / 20 for k in range(-4, 4)),
            domain=(-0.3, 0.3),
            params={"decimals": 1},
        ),
        # ---- remainders and extrema ----
        OpSpec("mod", tg.mod, np.mod, arity=2, draw=draw_remainder),
        OpSpec(
            "mod_operator", lambda a, b: a % b, np.mod, arity=2, draw=draw_remainder
        ),
        OpSpec("fmod", tg.fmod, np.fmod, arity=2, draw=draw_remainder),
        OpSpec("fmax", tg.fmax, np.fmax, arity=2, draw=draw_distinct),
        OpSpec("fmin", tg.fmin, np.fmin, arity=2, draw=draw_distinct),
        OpSpec("nan_to_num", tg.nan_to_num, np.nan_to_num, draw=draw_nan_to_num),
        # ---- sums, products, differences ----
        OpSpec("cumsum", tg.cumsum, np.cumsum, draw=draw_axis_or_none),
        OpSpec("cumprod", tg.cumprod, np.cumprod, kinks=(0.0,), draw=draw_axis_or_none),
        OpSpec(
            "cumprod_with_zeros", tg.cumprod, np.cumprod, draw=draw_cumprod_with_zeros
        ),
        OpSpec("diff", tg.diff, np.diff, draw=draw_diff),
        # ---- arrangement ----
        OpSpec("sort", tg.sort, np.sort, draw=draw_sort),
        OpSpec("tile", tg.tile, np.tile, draw=draw_tile),
        OpSpec("repeat", tg.repeat, np.repeat, draw=draw_repeat),
        OpSpec("roll", tg.roll, np.roll, draw=draw_roll),
        OpSpec("flip", tg.flip, np.flip, draw=draw_flip),
        OpSpec(
            "fliplr",
            tg.fliplr,
            np.fliplr,
            draw=lambda d, s: ([_array(d, min_dims=2)], {}),
        ),
        OpSpec(
            "flipud",
            tg.flipud,
            np.flipud,
            draw=lambda d, s: ([_array(d, min_dims=1)], {}),
        ),
        OpSpec("rot90", tg.rot90, np.rot90, draw=draw_rot90),
        OpSpec("tril", tg.tril, np.tril, draw=draw_triangle),
        OpSpec("triu", tg.triu, np.triu, draw=draw_triangle),
        _split_spec("split", _any_axis, 1, equal=True),
        _split_spec("array_split", _any_axis, 1, equal=False),
        _split_spec("hsplit", lambda x, d: 1 if x.ndim > 1 else 0, 1, equal=True),
        _split_spec("vsplit", lambda x, d: 0, 2, equal=True),
        _split_spec("dsplit", lambda x, d: 2, 3, equal=True),
        OpSpec("append", tg.append, np.append, draw=draw_append),
        OpSpec(
            "hstack",
            lambda *xs: tg.hstack(xs),
            lambda *xs: np.hstack(xs),
            draw=draw_joinable(1, 1),
        ),
        OpSpec(
            "vstack",
            lambda *xs: tg.vstack(xs),
            lambda *xs: np.vstack(xs),
            draw=draw_joinable(2, 0),
        ),
        OpSpec(
            "dstack",
            lambda *xs: tg.dstack(xs),
            lambda *xs: np.dstack(xs),
            draw=draw_joinable(3, 2),
        ),
        OpSpec(
            "column_stack",
            lambda *xs: tg.column_stack(xs),
            lambda *xs: np.column_stack(xs),
            draw=draw_joinable(2, 1),
        ),
        OpSpec("ravel", tg.ravel, np.ravel),
        OpSpec("moveaxis", tg.moveaxis, np.moveaxis, draw=draw_moveaxis),
        OpSpec("atleast_1d", tg.atleast_1d, np.atleast_1d),
        OpSpec("atleast_2d", tg.atleast_2d, np.atleast_2d),
        OpSpec("atleast_3d", tg.atleast_3d, np.atleast_3d),
        # ---- contractions ----
        OpSpec(
            "einsum",
            lambda *xs, subscripts: tg.einsum(subscripts, *xs),
            lambda *xs, subscripts: np.einsum(subscripts, *xs),
            draw=draw_einsum,
        ),
        OpSpec("tensordot", tg.tensordot, np.tensordot, draw=draw_tensordot),
        OpSpec("dot", tg.dot, np.dot, draw=draw_dot),
        OpSpec("inner", tg.inner, np.inner, draw=draw_inner),
        OpSpec("outer", tg.outer, np.outer, draw=draw_two),
        OpSpec("kron", tg.kron, np.kron, draw=draw_two),
        OpSpec("cross", tg.cross, np.cross, draw=draw_cross),
        OpSpec("diagonal", tg.diagonal, np.diagonal, draw=draw_diagonal),
        OpSpec("trace", tg.trace, np.trace, draw=draw_diagonal),
        OpSpec("diag", tg.diag, np.diag, draw=draw_diag),
    ]
