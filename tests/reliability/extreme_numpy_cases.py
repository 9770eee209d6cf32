"""Rows of ``test_extreme_values.CASES`` for NumPy's differentiable surface (issue 16).

Imported by ``test_extreme_values.py`` right after its own ``CASES`` (whose helpers
it reuses), so every op of ``tinygrad_edu.ops`` is fuzzed at ±1e4 and ±1e30 in
float32 and float64: no NaN or Inf where the true result is finite.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

import tinygrad_edu as tg


def _tev():
    """test_extreme_values, which imports this module while it builds CASES (so this
    module reads its helpers when called, never at import: either may come first)."""
    from . import test_extreme_values

    return test_extreme_values


def fixed(name, fn, lo, hi, finite=None):
    """An elementwise row whose domain does not scale with the bound (arcsin: [-1, 1]);
    ``hi=None`` means up to the bound."""

    def draw(data, dtype, bound):
        shape = data.draw(_tev().shape_strategy())
        return [
            _tev().draw_array(data, dtype, shape, lo, bound if hi is None else hi)
        ], {}

    draw.grid = lambda dtype, bound: [
        ([_tev()._edges(dtype, lo, bound if hi is None else hi)], {})
    ]
    return _tev().Case(name, fn, draw=draw, finite=finite)


# ---- where results must be finite ------------------------------------------------------


def fin_tan(arrays, params, dtype):
    (x,) = arrays
    return True, [
        2 * _tev().log_abs(np.tan(x.astype(np.float64))) < _tev().log_limit(dtype)
    ]


def fin_cosh(arrays, params, dtype):
    (x,) = arrays
    ok = np.abs(x.astype(np.float64)) - math.log(2) < _tev().log_limit(dtype)
    return ok, [ok]


def fin_exp2(arrays, params, dtype):
    (x,) = arrays
    ok = x.astype(np.float64) * math.log(2) < _tev().log_limit(dtype)
    return ok, [ok]


def fin_inside_unit(arrays, params, dtype):
    """arcsin/arccos: finite values on [-1, 1], gradients inside (-1, 1)."""
    (x,) = arrays
    return True, [np.abs(x) < 1]


def fin_arctanh(arrays, params, dtype):
    (x,) = arrays
    inside = np.abs(x) < 1
    return inside, [inside]


def fin_above(limit):
    def finite(arrays, params, dtype):
        (x,) = arrays
        return (x >= limit) if limit == 1 else (x > limit), [x > limit]

    return finite


def fin_not_both_zero(arrays, params, dtype):
    a, b = arrays
    return True, [(a != 0) | (b != 0)] * 2


def fin_remainder(arrays, params, dtype):
    """mod/fmod: undefined for b = 0; grad_b = -quotient, which can overflow."""
    a, b = arrays
    nonzero = b != 0
    return nonzero, [
        nonzero,
        nonzero & (_tev().log_abs(a) - _tev().log_abs(b) < _tev().log_limit(dtype)),
    ]


def fin_cumprod(arrays, params, dtype):
    """Every partial product along the rows, and every product of the others."""
    (x,) = arrays
    logs = _tev().log_abs(x)
    ok = bool(
        np.all(
            np.cumsum(np.abs(np.where(np.isfinite(logs), logs, 0)), axis=-1)
            < _tev().log_limit(dtype)
        )
    )
    return ok, [ok]


def fin_outer(arrays, params, dtype):
    a, b = arrays
    ok = float(np.max(_tev().log_abs(a))) + float(np.max(_tev().log_abs(b))) + math.log(
        a.size + b.size
    ) < _tev().log_limit(dtype)
    return ok, [ok, ok]


def draw_vectors(data, dtype, bound):
    n = data.draw(st.integers(1, 3))
    return [_tev().draw_array(data, dtype, (n, 3), -bound, bound) for _ in range(2)], {}


def _vector_grid(dtype, bound):
    rows = _tev().grid_rows(dtype, bound)
    a = np.concatenate([rows, rows[:, :1]], axis=1)
    return [([a, a[::-1].copy()], {})]


draw_vectors.grid = _vector_grid


def _parts(parts):
    return tg.concatenate([p.reshape(-1) * (i + 1) for i, p in enumerate(parts)])


def numpy_cases() -> list:
    """The rows, built when test_extreme_values asks (its helpers exist by then)."""
    t = _tev()
    Case, elementwise = t.Case, t.elementwise
    draw_pair, draw_divide, draw_matmul, draw_shape_op = (
        t.draw_pair,
        t.draw_divide,
        t.draw_matmul,
        t.draw_shape_op,
    )
    fin_exp, fin_log, fin_matmul = t.fin_exp, t.fin_log, t.fin_matmul
    return [
        # ---- trig ----
        elementwise("tan", tg.tan, finite=fin_tan),
        elementwise("sinh", tg.sinh, finite=fin_cosh),
        elementwise("cosh", tg.cosh, finite=fin_cosh),
        fixed("arcsin", tg.arcsin, -1.0, 1.0, fin_inside_unit),
        fixed("arccos", tg.arccos, -1.0, 1.0, fin_inside_unit),
        elementwise("arctan", tg.arctan),
        elementwise("arcsinh", tg.arcsinh),
        fixed("arccosh", tg.arccosh, 1.0, None, fin_above(1)),
        fixed("arctanh", tg.arctanh, -1.0, 1.0, fin_arctanh),
        elementwise("sinc", tg.sinc),
        Case("arctan2", tg.arctan2, draw=draw_pair, finite=fin_not_both_zero),
        Case("hypot", tg.hypot, draw=draw_pair, finite=fin_not_both_zero),
        # ---- exponents and logarithms ----
        fixed("log1p", tg.log1p, -1.0, None, fin_above(-1)),
        elementwise("expm1", tg.expm1, finite=fin_exp),
        elementwise("log2", tg.log2, domain=(0.0, 1.0), finite=fin_log),
        elementwise("log10", tg.log10, domain=(0.0, 1.0), finite=fin_log),
        elementwise("exp2", tg.exp2, finite=fin_exp2),
        elementwise("logaddexp", tg.logaddexp, arity=2),
        # ---- rounding, remainders, extrema ----
        elementwise("sign", tg.sign),
        elementwise("floor", tg.floor),
        elementwise("ceil", tg.ceil),
        elementwise("round", tg.round),
        elementwise("trunc", tg.trunc),
        Case("mod", tg.mod, draw=draw_divide, finite=fin_remainder),
        Case("fmod", tg.fmod, draw=draw_divide, finite=fin_remainder),
        elementwise("fmax", tg.fmax, arity=2),
        elementwise("fmin", tg.fmin, arity=2),
        elementwise("nan_to_num", tg.nan_to_num),
        Case("cumsum", lambda x: tg.cumsum(x, axis=-1), draw=draw_shape_op),
        Case(
            "cumprod",
            lambda x: tg.cumprod(x, axis=-1),
            draw=draw_shape_op,
            finite=fin_cumprod,
        ),
        Case("diff", lambda x: tg.diff(x, axis=0), draw=draw_shape_op),
        # ---- arrangement ----
        Case("sort", lambda x: tg.sort(x, axis=-1), draw=draw_shape_op),
        Case("tile", lambda x: tg.tile(x, (2, 1)), draw=draw_shape_op),
        Case("repeat", lambda x: tg.repeat(x, 2, axis=0), draw=draw_shape_op),
        Case("roll", lambda x: tg.roll(x, 1), draw=draw_shape_op),
        Case("flip", tg.flip, draw=draw_shape_op),
        Case("fliplr", tg.fliplr, draw=draw_shape_op),
        Case("flipud", tg.flipud, draw=draw_shape_op),
        Case("rot90", tg.rot90, draw=draw_shape_op),
        Case("tril", tg.tril, draw=draw_shape_op),
        Case("triu", tg.triu, draw=draw_shape_op),
        Case("split", lambda x: _parts(tg.split(x, [1])), draw=draw_shape_op),
        Case(
            "array_split",
            lambda x: _parts(tg.array_split(x, 2, axis=1)),
            draw=draw_shape_op,
        ),
        Case("hsplit", lambda x: _parts(tg.hsplit(x, [1])), draw=draw_shape_op),
        Case("vsplit", lambda x: _parts(tg.vsplit(x, [1])), draw=draw_shape_op),
        Case(
            "dsplit",
            lambda x: _parts(tg.dsplit(x.expand_dims(-1), [0])),
            draw=draw_shape_op,
        ),
        Case("append", lambda x: tg.append(x, -x), draw=draw_shape_op),
        Case("hstack", lambda x: tg.hstack([x, x * 0.5]), draw=draw_shape_op),
        Case("vstack", lambda x: tg.vstack([x, x * 0.5]), draw=draw_shape_op),
        Case("dstack", lambda x: tg.dstack([x, x * 0.5]), draw=draw_shape_op),
        Case(
            "column_stack", lambda x: tg.column_stack([x, x * 0.5]), draw=draw_shape_op
        ),
        Case("ravel", tg.ravel, draw=draw_shape_op),
        Case("moveaxis", lambda x: tg.moveaxis(x, 0, -1), draw=draw_shape_op),
        Case("atleast_1d", lambda x: tg.atleast_1d(x[0, 0]), draw=draw_shape_op),
        Case("atleast_2d", lambda x: tg.atleast_2d(x[0]), draw=draw_shape_op),
        Case("atleast_3d", tg.atleast_3d, draw=draw_shape_op),
        # ---- contractions and diagonals ----
        Case(
            "einsum",
            lambda a, b: tg.einsum("ij,jk", a, b),
            draw=draw_matmul,
            finite=fin_matmul,
        ),
        Case(
            "tensordot",
            lambda a, b: tg.tensordot(a, b, 1),
            draw=draw_matmul,
            finite=fin_matmul,
        ),
        Case("dot", tg.dot, draw=draw_matmul, finite=fin_matmul),
        Case(
            "inner", lambda a, b: tg.inner(a, b.T), draw=draw_matmul, finite=fin_matmul
        ),
        Case("outer", tg.outer, draw=draw_pair, finite=fin_outer),
        Case("kron", tg.kron, draw=draw_pair, finite=fin_outer),
        Case("cross", tg.cross, draw=draw_vectors, finite=fin_outer),
        Case("diagonal", tg.diagonal, draw=draw_shape_op),
        Case("trace", tg.trace, draw=draw_shape_op),
        Case("diag", lambda x: tg.diag(x[0], 1), draw=draw_shape_op),
    ]
