"""Workload 10: ``einsum`` forward + backward against NumPy (issue 16).

For each subscript the same work runs twice, interleaved in one process:
tinygrad_edu's ``tg.einsum`` (forward, then ``backward`` with a fixed cotangent)
and NumPy: ``np.einsum`` forward plus, written by hand, the einsums that give each
operand's gradient (the contraction of the cotangent with the other operands;
a repeated label is tied by an identity matrix). Both use ``optimize=False``
(tinygrad_edu's default), float64. The target is ≤ 1.2× NumPy; the gradients are
checked against the NumPy ones before timing.

Run alone: ``python -m benchmarks.einsum [--quick]``, or as part of
``python -m benchmarks --only einsum``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tinygrad_edu as tg  # noqa: E402
from benchmarks.common import Peers, Row, add_ratios, interleaved  # noqa: E402

WORKLOAD = "einsum"
NUMPY = "numpy (einsum + backward einsums)"

# (subscripts, operand shapes, the backward einsums: one spec per operand, whose
# operands are the cotangent then the others; "eye" marks an identity matrix)
CASES: list[tuple[str, tuple[tuple[int, ...], ...], tuple[str, ...]]] = [
    ("bij,bjk->bik", ((32, 64, 64), (32, 64, 64)), ("bik,bjk->bij", "bij,bik->bjk")),
    ("ij,jk->ik", ((256, 256), (256, 256)), ("ik,jk->ij", "ij,ik->jk")),
    (
        "...ij,...jk->...ik",
        ((4, 8, 32, 32), (4, 8, 32, 32)),
        ("...ik,...jk->...ij", "...ij,...ik->...jk"),
    ),
    ("ii->i", ((512, 512),), ("i,ij->ij",)),
    ("ij,ij->", ((300, 300), (300, 300)), (",ij->ij", "ij,->ij")),
]


def case_name(subscripts: str, shapes: tuple[tuple[int, ...], ...]) -> str:
    return f"einsum {subscripts} " + " ".join(str(s).replace(" ", "") for s in shapes)


def _numpy_step(
    subscripts: str, backward: tuple[str, ...], arrays: list[np.ndarray], g: np.ndarray
) -> Callable[[], tuple]:
    """np.einsum forward and the hand-written backward einsums."""
    eye = np.eye(arrays[0].shape[0]) if len(arrays) == 1 else None

    def step() -> tuple:
        out = np.einsum(subscripts, *arrays)
        if eye is not None:  # 'ii->i': the cotangent spread on the diagonal
            return out, np.einsum(backward[0], g, eye)
        # two operands: operand k's gradient contracts the cotangent with the other
        a, b = arrays
        return out, np.einsum(backward[0], g, b), np.einsum(backward[1], a, g)

    return step


def einsum_impls(
    subscripts: str, shapes: tuple[tuple[int, ...], ...], backward: tuple[str, ...]
) -> dict[str, Callable[[], Any]]:
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    out_shape = np.einsum(subscripts, *arrays).shape
    g = np.asarray(rng.standard_normal(out_shape))
    tensors = [tg.Tensor(a, requires_grad=True) for a in arrays]

    def ours() -> tuple:
        for t in tensors:
            t.grad = None
        out = tg.einsum(subscripts, *tensors)
        out.backward(g)
        return (out.data, *(t.grad.data for t in tensors))

    reference = _numpy_step(subscripts, backward, arrays, g)
    for name, mine, theirs in zip(("out", "grad 0", "grad 1"), ours(), reference()):
        if not np.allclose(mine, theirs, rtol=1e-10, atol=1e-10):
            raise AssertionError(
                f"einsum benchmark: {subscripts} {name} differs from NumPy's"
            )
    return {"tinygrad_edu": ours, NUMPY: reference}


def einsum_workload(peers: Peers, quick: bool) -> tuple[list[Row], list[str]]:
    del peers  # NumPy is the only yardstick here
    rows: list[Row] = []
    for subscripts, shapes, backward in CASES:
        fns = einsum_impls(subscripts, shapes, backward)
        timings = interleaved(
            fns, repeats=3 if quick else 25, number=1 if quick else 3, warmup=1
        )
        case = case_name(subscripts, shapes)
        for name, t in timings.items():
            rows.append(Row(WORKLOAD, case, name, t.median * 1e3, t.min * 1e3, "ms"))
    add_ratios(rows, NUMPY, "x numpy")
    notes = [
        "float64, optimize=False on both sides; values and gradients checked against "
        "NumPy's before timing",
        "NumPy's 'ii->i' backward is einsum('i,ij->ij', g, eye), as tinygrad_edu's",
    ]
    return rows, notes


def main() -> int:
    from benchmarks.common import print_table

    rows, notes = einsum_workload(Peers(), quick="--quick" in sys.argv)
    print_table("10. einsum forward + backward against NumPy", rows, notes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
