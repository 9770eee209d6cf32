"""float16 end to end: every op of SPECS keeps float16 inputs float16, forward and
backward, and agrees with the same computation in float64 to float16's precision.

The float64 run starts from the float16-rounded inputs, so both sides compute the
same function at the same points; what is left is float16's rounding inside the op
(about 1e-3 relative per operation). Cases whose exact result leaves float16's range
(|x| > 65504, e.g. a product of 27 numbers near 3) are not float16 problems the engine
could solve and are left out.
"""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg

from .specs import SPECS, draw_broadcastable

FLOAT16_MAX = float(np.finfo(np.float16).max)
# 20 float16 ulps of the largest magnitude involved: room for a few roundings per
# element and for sums of up to 27 terms (the largest tensors the specs draw)
TOLERANCE = 20 * float(np.finfo(np.float16).eps)


def _run(spec, arrays, params, cotangent_seed):
    """Forward, then backward with a fixed cotangent; returns (out, grads)."""
    tensors = [
        tg.Tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays
    ]
    out = spec.fn(*tensors, **params)
    rng = np.random.default_rng(cotangent_seed)
    # a cotangent with few significant bits: exact in float16 and float64 alike
    cotangent = np.round(rng.uniform(-1, 1, out.shape) * 8) / 8
    out.backward(cotangent.astype(out.dtype))
    grads = [t.grad for t in tensors if t.requires_grad]
    return out, grads


def _close(half: np.ndarray, wide: np.ndarray) -> bool:
    scale = max(1.0, float(np.max(np.abs(wide), initial=0.0)))
    return bool(np.all(np.abs(half.astype(np.float64) - wide) <= TOLERANCE * scale))


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
@settings(max_examples=15)
@given(data=st.data(), cotangent_seed=st.integers(0, 2**16))
def test_float16_forward_and_backward_stay_float16(spec, data, cotangent_seed):
    draw = spec.draw or draw_broadcastable
    arrays, params = draw(data, spec)
    halves = [a.astype(np.float16) if a.dtype.kind == "f" else a for a in arrays]
    wides = [h.astype(np.float64) if h.dtype.kind == "f" else h for h in halves]
    out64, grads64 = _run(spec, wides, params, cotangent_seed)
    for value in [out64.data] + [g.data for g in grads64]:
        assume(np.all(np.isfinite(value)) and np.all(np.abs(value) < FLOAT16_MAX / 2))

    out16, grads16 = _run(spec, halves, params, cotangent_seed)

    expected_dtype = np.float64 if spec.name == "astype" else np.float16
    assert out16.dtype == expected_dtype, f"{spec.name}: forward gave {out16.dtype}"
    assert _close(out16.data, out64.data), (
        f"{spec.name}: float16 forward {out16.data} vs float64 {out64.data}"
    )
    for i, (g16, g64) in enumerate(zip(grads16, grads64)):
        assert g16.dtype == np.float16, f"{spec.name}: gradient {i} is {g16.dtype}"
        assert _close(g16.data, g64.data), (
            f"{spec.name}: float16 gradient {i} {g16.data} vs float64 {g64.data}"
        )


def test_float16_training_step_keeps_the_model_float16():
    """An MLP built under set_default_dtype(float16) trains in float16 end to end."""
    from tinygrad_edu import nn, optim
    from tinygrad_edu.nn import functional as F

    previous = tg.get_default_dtype()
    tg.set_default_dtype(np.float16)
    try:
        tg.manual_seed(0)
        model = nn.MLP([2, 8, 2])
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        x = tg.Tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
        y = np.array([0, 1, 1, 0])
        losses = []
        for _ in range(30):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert loss.dtype == np.float16
        assert all(p.dtype == np.float16 and p.grad.dtype == np.float16
                   for p in model.parameters())
        assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    finally:
        tg.set_default_dtype(previous)
