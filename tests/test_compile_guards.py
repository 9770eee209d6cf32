"""tg.compile's guards: signatures, storage, reads while tracing, unsupported
things, bad input, check=True -- each raises clearly or records again."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.nn import functional as F


def _simple():
    w = nn.Parameter([1.0, 2.0])
    opt = optim.SGD([w], lr=0.1)
    return w, opt


def test_new_signature_records_again_and_replays_match_eager():
    w, opt = _simple()

    @tg.compile
    def step(x, scale):
        opt.zero_grad()
        loss = (w * x).sum() * scale
        loss.backward()
        opt.step()
        return loss

    step(tg.Tensor([1.0, 1.0]), 2.0)
    step(tg.Tensor([1.0, 1.0]), 2.0)
    assert step.traces == 1
    step(tg.Tensor([1.0, 1.0]), 3.0)  # another value of a plain argument
    step(tg.Tensor([[1.0, 1.0]]), 3.0)  # another shape
    step(tg.Tensor([1.0, 1.0], dtype=np.float64), 3.0)  # another dtype
    assert step.traces == 4
    # w = [1, 2] - 0.1 * (2 + 2 + 3 + 3 + 3) * [1, 1]
    np.testing.assert_allclose(w.data, [1 - 1.3, 2 - 1.3], rtol=1e-6)


def test_the_cache_is_bounded_and_warns_when_it_keeps_missing():
    w, _ = _simple()
    step = tg.compile(lambda k: w * float(k))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for k in range(tg.compiler.MAX_SIGNATURES + 2):
            step(k)
    assert len(step.cache) == tg.compiler.MAX_SIGNATURES
    assert any("signatures recorded" in str(c.message) for c in caught)


def test_parameter_data_reassignment_and_load_state_dict_are_seen():
    model = nn.Linear(2, 1)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = tg.Tensor([[1.0, 2.0]])

    @tg.compile(check=True)
    def step(x):
        opt.zero_grad()
        loss = (model(x) ** 2).sum()
        loss.backward()
        opt.step()
        return loss

    start_model, start_opt = model.state_dict(), opt.state_dict()
    step(x), step(x)
    model.weight.data = np.zeros((1, 2), np.float32)  # a new array, not the old one
    model.bias.data = np.ones(1, np.float32)
    assert step(x).item() == 1.0  # (0·x + 1)² with the new storage
    assert step.traces == 2  # (the replay holds the old arrays: recorded again)
    expected = (model(x) ** 2).sum().item()
    assert step(x).item() == expected and step.traces == 2  # a replay again
    model.load_state_dict(start_model)
    opt.load_state_dict(start_opt)
    eager = (model(x) ** 2).sum().item()
    assert step(x).item() == eager


@pytest.mark.parametrize(
    "read, call",
    [
        (lambda t: t.item(), "item()"),
        (lambda t: float(t), "float()"),
        (lambda t: t.numpy(), "numpy()"),
        (lambda t: t.tolist(), "tolist()"),
        (lambda t: bool(t > 0), "bool()"),
        (lambda t: int(t), "int()"),
    ],
)
def test_reading_a_traced_value_raises_naming_the_call(read, call):
    w, _ = _simple()

    @tg.compile
    def step(x):
        loss = (w * x).sum()
        read(loss)
        return loss

    expected = r"compile\(step\): .*" + call.split("(")[0]
    with pytest.raises(RuntimeError, match=expected) as err:
        step(tg.Tensor([1.0, 1.0]))
    assert "outside the compiled function" in str(err.value)
    assert tg.Tensor(1.0).item() == 1.0  # the flag is off again


def test_unsupported_things_raise_while_tracing():
    w, _ = _simple()
    x = tg.Tensor([1.0, 1.0])
    with pytest.raises(RuntimeError, match="create_graph"):
        tg.compile(lambda x: (w * x).sum().backward(create_graph=True))(x)

    def hooked(x):
        y = w * x
        y.register_hook(lambda g: g * 2)
        y.sum().backward()

    with pytest.raises(RuntimeError, match="hook"):
        tg.compile(hooked)(x)
    kept = (w * w).sum()
    with pytest.raises(RuntimeError, match="computed outside this call"):
        tg.compile(lambda x: (kept + (w * x).sum()).backward())(x)

    def in_place(x):
        y = x * 2
        with tg.no_grad():
            y += 1
        return y

    with pytest.raises(RuntimeError, match="in place"):
        tg.compile(in_place)(x)
    with pytest.raises(RuntimeError, match="random"):
        tg.compile(lambda x: F.dropout(x * w, 0.5))(x)
    with tg.debug.detect_anomaly():
        with pytest.raises(RuntimeError, match="anomaly"):
            tg.compile(lambda x: (w * x).sum().backward())(x)


def test_bad_input_gets_clear_errors():
    w, _ = _simple()
    x = tg.Tensor([1.0, 1.0])
    with pytest.raises(TypeError, match="returned a float"):
        tg.compile(lambda x: 1.0)(x)
    with pytest.raises(TypeError, match="not hashable"):
        tg.compile(lambda x, opts: w * x)(x, [1, 2])
    with pytest.raises(TypeError, match="expected a function"):
        tg.compile(3)
    assert tg.compile(lambda x: None)(x) is None
    pair = tg.compile(lambda x: (w * x, x))
    for _ in range(2):
        a, b = pair(x)
        assert a.tolist() == [1.0, 2.0] and b is x

    @tg.compile
    def recursive(x, depth):
        return recursive(x, depth - 1) if depth else w * x

    with pytest.raises(RuntimeError, match="called again while it is running"):
        recursive(x, 1)


def test_returned_tensors_stay_valid_after_the_next_call():
    w, _ = _simple()
    step = tg.compile(lambda x: w * x)
    outputs = [step(tg.Tensor([k, k], dtype=np.float32)) for k in (1.0, 2.0, 3.0)]
    assert [o.tolist() for o in outputs] == [[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]]


def test_check_true_catches_a_function_with_hidden_state():
    class Counting(tg.Function):
        calls = 0

        @staticmethod
        def forward(ctx, x):
            Counting.calls += 1  # hidden Python state: eager and replay differ
            return x * Counting.calls

        @staticmethod
        def backward(ctx, grad):
            return grad

    w, opt = _simple()

    @tg.compile(check=True)
    def step(x):
        opt.zero_grad()
        loss = Counting.apply(w * x).sum()
        loss.backward()
        opt.step()
        return loss

    step(tg.Tensor([1.0, 1.0]))
    with pytest.raises(RuntimeError, match="check=True.*differs from eager"):
        step(tg.Tensor([1.0, 1.0]))


def test_a_parameter_of_another_shape_or_dtype_records_again():
    w = nn.Parameter([1.0, 2.0])
    step = tg.compile(lambda x: (w * x).sum())
    x = tg.Tensor([1.0, 1.0])
    step(x), step(x)
    w.data = np.array([1.0, 2.0, 3.0], np.float32)
    assert step(tg.Tensor([1.0, 1.0, 1.0])).item() == 6.0  # (x's shape changed too)
    w.data = np.array([1.0, 2.0, 4.0])  # float64 now: the same argument signature
    out = step(tg.Tensor([1.0, 1.0, 1.0]))
    assert out.item() == 7.0 and out.dtype == np.float64 and step.traces == 3


def test_gradients_without_zero_grad_accumulate_as_in_eager():
    results = []
    for compiled in (False, True):
        w = nn.Parameter([1.0, 2.0])

        def step(x):
            (w * w * x).sum().backward()  # no zero_grad: .grad sums over calls

        run = tg.compile(step) if compiled else step
        for _ in range(3):
            run(tg.Tensor([1.0, 3.0]))
        results.append(w.grad.data.copy())
    assert results[0].tolist() == results[1].tolist() == [6.0, 36.0]


def test_compiled_functions_do_not_nest():
    w, _ = _simple()
    inner = tg.compile(lambda x: w * x)
    outer = tg.compile(lambda x: inner(x) * 2)
    with pytest.raises(RuntimeError, match="do not nest"):
        outer(tg.Tensor([1.0, 1.0]))
    inner(tg.Tensor([1.0, 1.0])), inner(tg.Tensor([1.0, 1.0]))  # recorded: a replay
    with pytest.raises(RuntimeError, match="do not nest"):
        outer(tg.Tensor([1.0, 1.0]))


def test_grad_mode_is_part_of_the_signature():
    w, _ = _simple()
    step = tg.compile(lambda x: w * x)
    x = tg.Tensor([1.0, 1.0])
    assert step(x).tolist() == [1.0, 2.0]
    with tg.no_grad():
        assert step(x).tolist() == [1.0, 2.0]
    assert step.traces == 2
