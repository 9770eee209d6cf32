"""Op-table rows of the losses, penalties and the layers of ``nn.functional``.

Their fused ops live in ``tinygrad_edu/ops/losses.py``; each row calls the public
function (argument checks included) and compares it with a NumPy formula, then
``test_gradients.py`` checks first and second derivatives as for every op. The
target of a loss is an input (checked) when the loss differentiates it, and a
parameter (a constant) when it must stay valid under perturbation (class
indices, ±1 labels) or gets no gradient by design (binary_cross_entropy).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu.testing import strategies as tst

from .specs import OpSpec, away_from_kinks

REDUCTIONS = st.sampled_from(["mean", "sum", "none"])


def _reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return losses
    return np.mean(losses) if reduction == "mean" else np.sum(losses)


def _log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


# ---- draws ---------------------------------------------------------------------------


def _same_shape(data, n: int, elements) -> list[np.ndarray]:
    shape = data.draw(tst.shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    return [data.draw(tst.arrays(shape, elements=elements)) for _ in range(n)]


def draw_regression(data, spec: OpSpec):
    """input and target of one shape, kept 1e-3 away from input == target."""
    x, y = _same_shape(data, 2, tst.floats(*spec.domain))
    away_from_kinks([x - y], spec.kinks)
    return [x, y], {"reduction": data.draw(REDUCTIONS)}


def draw_probabilities(data, spec: OpSpec):
    """Probabilities away from 0 and 1; the target (in [0, 1]) as a constant."""
    p, y = _same_shape(data, 2, tst.floats(0.05, 0.95))
    return [p], {
        "target": data.draw(st.sampled_from([y, np.round(y)])),
        "reduction": data.draw(REDUCTIONS),
    }


def draw_logits_and_probability_target(data, spec: OpSpec):
    x = _same_shape(data, 1, tst.floats(-4.0, 4.0))[0]
    y = data.draw(tst.arrays(x.shape, elements=tst.floats(0.0, 1.0)))
    return [x, y], {"reduction": data.draw(REDUCTIONS)}


def draw_class_targets(data, spec: OpSpec):
    """Logits (N, C) and class indices, or one sample: (C,) and a scalar class."""
    n, c = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    one_sample = spec.name == "cross_entropy" and data.draw(st.booleans())
    shape = (c,) if one_sample else (n, c)
    x = data.draw(tst.arrays(shape, elements=tst.floats(*spec.domain)))
    t = data.draw(
        tst.arrays(shape[:-1], dtype=np.int64, elements=st.integers(0, c - 1))
    )
    return [x], {"target": t, "reduction": data.draw(REDUCTIONS)}


def draw_class_probabilities(data, spec: OpSpec):
    n, c = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 4))
    x = data.draw(tst.arrays((n, c), elements=tst.floats(-3.0, 3.0)))
    y = data.draw(tst.arrays((n, c), elements=tst.floats(0.0, 1.0)))
    return [x, y], {"reduction": data.draw(REDUCTIONS)}


def draw_margin(data, spec: OpSpec):
    """Scores and ±1 labels (a constant: a perturbed label is no longer ±1), with y·s
    kept 1e-3 away from the margin, where the loss has its kink."""
    (s,) = _same_shape(data, 1, tst.floats(*spec.domain))
    y = data.draw(tst.arrays(s.shape, elements=st.sampled_from([-1.0, 1.0])))
    away_from_kinks([y * s], spec.kinks)
    return [s], {"target": y, "reduction": data.draw(REDUCTIONS)}


def draw_parameter_list(data, spec: OpSpec):
    count = data.draw(st.integers(1, 3))
    shapes = tst.shapes(max_dims=2, max_side=3)
    arrays = [
        data.draw(tst.arrays(shapes, elements=tst.floats(*spec.domain)))
        for _ in range(count)
    ]
    away_from_kinks(arrays, spec.kinks)
    return arrays, {}


def draw_dropout(data, spec: OpSpec):
    (x,) = _same_shape(data, 1, tst.floats(*spec.domain))
    return [x], {
        "p": data.draw(st.sampled_from([0.0, 0.25, 0.5, 1.0])),
        "seed": data.draw(st.integers(0, 2**16)),
    }


# ---- fns and references --------------------------------------------------------------


def seeded_dropout(x, p, seed):
    """dropout with the library's generator seeded first: the same mask every call,
    so central differences see a fixed function."""
    tg.manual_seed(seed)
    return F.dropout(x, p=p)


def dropout_reference(x, p, seed):
    """Inverted dropout with the mask drawn as documented: from the library's
    generator (``np.random.default_rng(seed)`` after ``manual_seed(seed)``)."""
    if p == 0.0:
        return x
    keep = np.random.default_rng(seed).random(x.shape) >= p
    return x * keep / (1 - p) if p < 1 else x * 0.0


def class_target_reference(x, target, reduction):
    log_probs = _log_softmax(x)
    picked = np.take_along_axis(log_probs, np.expand_dims(target, -1), axis=-1)[..., 0]
    return _reduce(-picked, reduction)


def l1_penalty_reference(*ps):
    return np.asarray(sum(np.abs(p).sum() for p in ps))


def l2_penalty_reference(*ps):
    return np.asarray(sum((p * p).sum() for p in ps))


LOSS_SPECS = [
    OpSpec(
        "mse_loss",
        F.mse_loss,
        lambda x, y, reduction: _reduce((x - y) ** 2, reduction),
        arity=2,
        draw=draw_regression,
    ),
    OpSpec(
        "l1_loss",
        F.l1_loss,
        lambda x, y, reduction: _reduce(np.abs(x - y), reduction),
        arity=2,
        kinks=(0.0,),
        draw=draw_regression,
    ),
    OpSpec(
        "binary_cross_entropy",
        F.binary_cross_entropy,
        lambda p, target, reduction: _reduce(
            -(target * np.log(p) + (1 - target) * np.log(1 - p)), reduction
        ),
        draw=draw_probabilities,
    ),
    OpSpec(
        "binary_cross_entropy_with_logits",
        F.binary_cross_entropy_with_logits,
        lambda x, y, reduction: _reduce(
            -(y * np.log(_sigmoid(x)) + (1 - y) * np.log(1 - _sigmoid(x))), reduction
        ),
        arity=2,
        draw=draw_logits_and_probability_target,
    ),
    OpSpec(
        "cross_entropy",
        F.cross_entropy,
        class_target_reference,
        draw=draw_class_targets,
    ),
    OpSpec(
        "cross_entropy_probability_targets",
        F.cross_entropy,
        lambda x, y, reduction: _reduce(-(y * _log_softmax(x)).sum(axis=-1), reduction),
        arity=2,
        draw=draw_class_probabilities,
    ),
    OpSpec(
        "nll_loss",
        F.nll_loss,
        lambda x, target, reduction: _reduce(-x[np.arange(len(x)), target], reduction),
        draw=draw_class_targets,
    ),
    OpSpec(
        "hinge_loss",
        F.hinge_loss,
        lambda s, target, reduction: _reduce(np.maximum(0, 1 - target * s), reduction),
        kinks=(1.0,),
        draw=draw_margin,
    ),
    OpSpec(
        "perceptron_loss",
        F.perceptron_loss,
        lambda s, target, reduction: _reduce(np.maximum(0, -target * s), reduction),
        kinks=(0.0,),
        draw=draw_margin,
    ),
    OpSpec(
        "l1_penalty",
        lambda *ps: F.l1_penalty(list(ps)),
        l1_penalty_reference,
        kinks=(0.0,),
        draw=draw_parameter_list,
    ),
    OpSpec(
        "l2_penalty",
        lambda *ps: F.l2_penalty(list(ps)),
        l2_penalty_reference,
        draw=draw_parameter_list,
    ),
    OpSpec("heaviside", F.heaviside, lambda x: (x > 0).astype(x.dtype), kinks=(0.0,)),
    OpSpec("dropout", seeded_dropout, dropout_reference, draw=draw_dropout),
]
