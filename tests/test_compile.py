"""tg.compile: compiled and eager steps agree bit for bit; guards, bad input raise."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.nn import functional as F

# ---- the lecture's models, each trained 20 steps eagerly and compiled --------------


def _xor():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    return x, np.array([[0], [1], [1], [0]], np.float32)


def _moons(n=32):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2)).astype(np.float32)
    return x, np.sign(x[:, :1] * x[:, 1:] + 0.1).astype(np.float32)[:, 0]


class Cube(tg.Function):
    """A user Function: replayed through its own forward/backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x**2


def _case(name):
    """(model, optimizer, loss(model, x, y), x, y) of one test model."""
    tg.manual_seed(0)
    if name == "xor_sgd_momentum":
        model = nn.MLP([2, 4, 1])
        opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
        x, y = _xor()
        return model, opt, lambda m, a, b: F.mse_loss(m(a).sigmoid(), b), x, y
    if name == "moons_adam":
        model = nn.MLP([2, 16, 16, 1])
        params = list(model.parameters())
        opt = optim.Adam(params, lr=0.01)
        x, y = _moons()

        def loss(m, a, b):
            score = m(a).reshape(-1)
            return F.hinge_loss(score, b) + 1e-4 * F.l2_penalty(params)

        return model, opt, loss, x, y
    if name == "user_function":
        model = nn.MLP([2, 8, 1])
        opt = optim.SGD(model.parameters(), lr=0.01)
        x, y = _xor()
        return model, opt, lambda m, a, b: (Cube.apply(m(a) - b)).abs().mean(), x, y
    if name == "cross_entropy":
        model = nn.MLP([5, 12, 4])
        opt = optim.SGD(model.parameters(), lr=0.1)
        rng = np.random.default_rng(1)
        x = rng.normal(size=(16, 5)).astype(np.float32)
        return (
            model,
            opt,
            lambda m, a, b: F.cross_entropy(m(a), b),
            x,
            rng.integers(0, 4, 16),
        )
    if name == "nesterov_weight_decay":
        model = nn.MLP([2, 8, 8, 1])
        opt = optim.SGD(
            model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3
        )
        x, y = _xor()
        return (
            model,
            opt,
            lambda m, a, b: F.binary_cross_entropy(m(a).sigmoid(), b),
            x,
            y,
        )
    raise KeyError(name)


def _train(name, compiled, steps=20):
    model, opt, loss_fn, x, y = _case(name)

    def step(a, b):
        opt.zero_grad()
        loss = loss_fn(model, a, b)
        loss.backward()
        opt.step()
        return loss

    run = tg.compile(step) if compiled else step
    losses = [run(tg.Tensor(x), tg.Tensor(y)).data.copy() for _ in range(steps)]
    return [p.data.copy() for p in model.parameters()], losses, run


CASES = [
    "xor_sgd_momentum",
    "moons_adam",
    "user_function",
    "cross_entropy",
    "nesterov_weight_decay",
]


@pytest.mark.parametrize("name", CASES)
def test_compiled_training_is_bit_identical_to_eager(name):
    eager, eager_losses, _ = _train(name, False)
    compiled, compiled_losses, run = _train(name, True)
    for a, b in zip(eager, compiled):
        assert a.tobytes() == b.tobytes()
    assert [l.tobytes() for l in eager_losses] == [l.tobytes() for l in compiled_losses]
    assert run.traces == 1
    assert not np.array_equal(eager[0], _case(name)[0].parameters().__next__().data)


def test_lowered_ops_are_lowered_and_user_functions_are_not():
    _, _, run = _train("user_function", True, steps=2)
    by_name = {(s.kind, s.name): s.lowered for s in run.plan}
    assert by_name[("forward", "linear")] and by_name[("backward", "linear")]
    assert not by_name[("forward", "cube")] and not by_name[("backward", "cube")]
    text = str(run)
    assert "cube" in text and "[generic]" in text and "[lowered]" in text
    assert len(text.splitlines()) == len(run.plan) + 1


def test_fit_compiled_matches_eager_with_a_smaller_last_batch():
    from tinygrad_edu.data import DataLoader

    x, y = _moons(40)
    results = []
    for compiled in (False, True):
        tg.manual_seed(0)
        model = nn.MLP([2, 8, 1])
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
        loader = DataLoader(x, y.reshape(-1, 1), batch_size=16)  # 16, 16, 8
        hist = tg.train.fit(
            model, F.mse_loss, opt, loader, epochs=3, progress=False, compile=compiled
        )
        results.append(([p.data.copy() for p in model.parameters()], hist.loss))
    (p1, h1), (p2, h2) = results
    assert all(a.tobytes() == b.tobytes() for a, b in zip(p1, p2))
    assert h1 == h2


def test_fit_compile_needs_a_library_optimizer():
    from tinygrad_edu.data import DataLoader

    model = nn.Linear(2, 1)

    class GD:
        def zero_grad(self):
            pass

        def step(self):
            pass

    loader = DataLoader(*_xor(), batch_size=4)
    with pytest.raises(TypeError, match="fit\\(compile=True\\)"):
        tg.train.fit(
            model, F.mse_loss, GD(), loader, epochs=1, progress=False, compile=True
        )


# ---- guards --------------------------------------------------------------------------


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

    with pytest.raises(RuntimeError, match=r"compile: .*" + call.split("(")[0]) as err:
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


def test_check_true_passes_and_leaves_the_compiled_state():
    _, _, run = _train("xor_sgd_momentum", True, steps=1)
    run.check = True
    eager, _, _ = _train("xor_sgd_momentum", False, steps=4)
    model_params = None
    for _ in range(3):
        run(tg.Tensor(_xor()[0]), tg.Tensor(_xor()[1]))
    model_params = [s for s in run.last.leaves if s.requires_grad]
    assert all(a.tobytes() == b.data.tobytes() for a, b in zip(eager, model_params))


def test_plan_to_dot_draws_one_box_per_step():
    _, _, run = _train("xor_sgd_momentum", True, steps=2)
    dot = tg.compiler.plan_to_dot(run)
    assert dot.startswith("digraph plan {") and dot.endswith("}")
    assert dot.count("[label=") == len(run.plan)
    assert dot.count("fillcolor") == sum(s.lowered for s in run.plan)


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


# ---- the examples' training loops, eagerly and compiled ------------------------------


def _example_08_runs(compiled):
    """examples/08_mlp_training.py's three fits (fewer epochs), and 04's own loop."""
    from tinygrad_edu.data import DataLoader, datasets

    def bce(logits, target):
        return F.binary_cross_entropy_with_logits(logits.reshape(-1), target)

    tg.manual_seed(0)
    results = []
    X, y = datasets.logic_gate("xor")
    net = nn.MLP([2, 4, 1], activation="tanh")
    h = tg.train.fit(
        net,
        bce,
        optim.Adam(net.parameters(), lr=0.1),
        DataLoader(X, y, batch_size=4),
        epochs=30,
        metrics="accuracy",
        progress=False,
        compile=compiled,
    )
    results.append((net, h.history))
    X, y = datasets.moons(n=120, noise=0.15)
    net = nn.MLP([2, 16, 16, 1], activation="relu")
    h = tg.train.fit(
        net,
        bce,
        optim.SGD(net.parameters(), lr=0.1, momentum=0.9),
        DataLoader(X[:100], y[:100].astype(X.dtype), batch_size=32),
        val_loader=DataLoader(
            X[100:], y[100:].astype(X.dtype), batch_size=256, shuffle=False
        ),
        epochs=4,
        metrics="accuracy",
        progress=False,
        compile=compiled,
    )
    results.append((net, h.history))
    X, y = datasets.spiral(n_per_class=20, n_classes=3, noise=0.2)
    net = nn.MLP([2, 16, 16, 3], activation="relu")
    h = tg.train.fit(
        net,
        F.cross_entropy,
        optim.Adam(net.parameters(), lr=0.01),
        DataLoader(X, y, batch_size=32),
        epochs=4,
        metrics="accuracy",
        progress=False,
        compile=compiled,
    )
    results.append((net, h.history))
    return results


def test_example_08_trains_the_same_compiled():
    for (net_a, hist_a), (net_b, hist_b) in zip(
        _example_08_runs(False), _example_08_runs(True)
    ):
        assert hist_a == hist_b
        for a, b in zip(net_a.parameters(), net_b.parameters()):
            assert a.data.tobytes() == b.data.tobytes()


def test_example_04_perceptron_loop_compiled():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    y_pm = np.array([-1.0, -1.0, -1.0, 1.0], np.float32)
    finals = []
    for compiled in (False, True):
        tg.manual_seed(0)
        model = nn.Perceptron(2)
        opt = optim.SGD(model.parameters(), lr=0.1)

        def step(xt, target):
            opt.zero_grad()
            loss = F.perceptron_loss(model(xt), target)
            loss.backward()
            opt.step()
            return loss

        run = tg.compile(step) if compiled else step
        losses = [run(tg.Tensor(x), tg.Tensor(y_pm)).item() for _ in range(30)]
        finals.append((losses, [p.data.tobytes() for p in model.parameters()]))
    assert finals[0] == finals[1]


def test_replay_makes_no_tensor_and_runs_no_op():
    import gc

    from tinygrad_edu import autograd

    _, _, run = _train("moons_adam", True, steps=2)
    x, y = (tg.Tensor(a) for a in _moons())

    class Counter:
        ops = 0

        def record_op(self, *args):
            Counter.ops += 1

        def record_call(self, *args):
            pass

    def tensors():
        gc.collect()
        return sum(isinstance(o, tg.Tensor) for o in gc.get_objects())

    run(x, y)
    before = tensors()
    previous = autograd.set_trace_hook(Counter())
    try:
        for _ in range(20):
            run(x, y)
    finally:
        autograd.set_trace_hook(previous)
    assert Counter.ops == 0 and tensors() == before


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


def _mixed_step(w, v, opt, reduction):
    """Lowered and generic ops together: matmul, broadcasting add (generic, summed
    back), tanh, divide, exp, sum over an axis, mean, log_softmax, and the losses."""

    def step(x, labels, signs):
        opt.zero_grad()
        h = (x @ w + v).tanh() / 2.0
        scores = h.exp().sum(axis=1, keepdims=True) - h.mean()
        target = signs.reshape(-1, 1) * 0.5 + 0.5
        loss = (
            F.cross_entropy(h, labels, reduction=reduction)
            + F.hinge_loss(scores.reshape(-1), signs, reduction=reduction)
            + F.perceptron_loss(scores.reshape(-1), signs)
            + (-h.log_softmax(axis=1)).mean()
            + F.mse_loss(scores.sigmoid(), target)
        )
        loss.backward()
        opt.step()
        return loss, h

    return step


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_many_ops_compiled_match_eager(dtype, reduction):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 4)).astype(dtype)
    labels, signs = rng.integers(0, 3, 6), np.where(
        rng.random(6) > 0.5, 1.0, -1.0
    ).astype(dtype)
    runs = []
    for compiled in (False, True):
        w = nn.Parameter((np.arange(12).reshape(4, 3) / 10).astype(dtype))
        v = nn.Parameter(np.linspace(-1, 1, 3).astype(dtype))
        opt = optim.SGD([w, v], lr=0.05, momentum=0.5)
        step = _mixed_step(w, v, opt, reduction)
        run = tg.compile(step) if compiled else step
        outs = [
            run(
                tg.Tensor(x * (1 + k)),
                tg.Tensor((labels + k) % 3),
                tg.Tensor(signs * (-1) ** k),
            )
            for k in range(5)
        ]
        runs.append(
            (
                [o.data.tobytes() for pair in outs for o in pair],
                w.data.tobytes(),
                v.data.tobytes(),
            )
        )
        if compiled:
            kinds = {(s.name, s.lowered) for s in run.plan if s.kind == "forward"}
            assert ("matmul", True) in kinds and ("exp", False) in kinds
    assert runs[0] == runs[1]
