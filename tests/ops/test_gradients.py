"""Every op of SPECS, driven by hypothesis: forward equals NumPy, backward equals
central differences (random cotangent), and second derivatives where they exist."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu.testing import gradcheck, gradgradcheck

from .specs import NON_DIFFERENTIABLE, SPECS


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
@given(data=st.data())
def test_op_matches_numpy_and_central_differences(spec, data):
    draw = spec.draw or _default_draw
    arrays, params = draw(data, spec)
    tensors = [tg.Tensor(a) for a in arrays]
    out = spec.fn(*tensors, **params)
    expected = spec.reference(*arrays, **params)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-7, atol=1e-10)

    def fn(*xs):
        return spec.fn(*xs, **params)

    assert gradcheck(fn, arrays)
    if spec.second_order:
        assert gradgradcheck(fn, arrays)


def _default_draw(data, spec):
    from .specs import draw_broadcastable

    return draw_broadcastable(data, spec)


def test_every_public_op_has_a_gradient_test():
    tested = {s.name for s in SPECS}
    missing = set(tg.ops.__all__) - tested - NON_DIFFERENTIABLE
    assert not missing, f"ops without a row in tests/ops/specs.py: {sorted(missing)}"


def test_every_loss_and_nn_functional_op_has_a_gradient_test():
    """nn.functional's own functions (losses, penalties, dropout, heaviside) and the
    fused ops they call (ops/losses.py) have rows too."""
    tested = {s.name for s in SPECS}
    own = set(F.__all__) - set(tg.ops.__all__) - NON_DIFFERENTIABLE
    fused = {getattr(tg.ops.losses, name).name for name in tg.ops.losses.__all__}
    missing = (own | fused) - tested
    assert not missing, f"without a row in tests/ops/specs*.py: {sorted(missing)}"
