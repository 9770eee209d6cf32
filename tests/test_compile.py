"""tg.compile: compiled and eager steps agree bit for bit; guards, bad input raise."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.nn import functional as F

from .user_ops import Cube

# ---- the lecture's models, each trained 20 steps eagerly and compiled --------------


def _xor():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    return x, np.array([[0], [1], [1], [0]], np.float32)


def _moons(n=32):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2)).astype(np.float32)
    return x, np.sign(x[:, :1] * x[:, 1:] + 0.1).astype(np.float32)[:, 0]


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


def _mixed_graph(compiled):
    """Lowered and generic steps interleaved: a reshape and a matmul of an argument
    (a value new at every call), a user op between lowered ones (its gradient
    copied into a buffer for the lowered backward before it), an input with
    gradients from generic and lowered steps (summed), a broadcasting divide
    (generic), keepdims sums, tanh, subtract and an SGD step with momentum."""
    rng = np.random.default_rng(2)
    w = nn.Parameter(rng.normal(size=(3, 4)).astype(np.float32))
    v = nn.Parameter(rng.normal(size=4).astype(np.float32))
    opt = optim.SGD([w, v], lr=0.05, momentum=0.5)

    def step(x):
        opt.zero_grad()
        h = (x.reshape(2, 3) @ w).tanh()
        u = Cube.apply(h) * v + h
        s = (u / (v * v + 1.0)).sum(axis=1, keepdims=True) - h.sum(
            axis=1, keepdims=True
        )
        loss = (s * s).sum()
        loss.backward()
        opt.step()
        return loss, h

    run = tg.compile(step) if compiled else step
    out = []
    for k in range(4):
        loss, h = run(tg.Tensor(np.arange(6, dtype=np.float32) / (6 + k)))
        out += [loss.data.copy(), h.data.copy(), w.grad.data.copy(), v.grad.data.copy()]
    return out + [w.data.copy(), v.data.copy()], run


def test_mixed_lowered_and_generic_steps_are_bit_identical_to_eager():
    eager, _ = _mixed_graph(False)
    compiled, run = _mixed_graph(True)
    assert [a.tobytes() for a in eager] == [b.tobytes() for b in compiled]
    lowered = {s.name for s in run.plan if s.lowered and s.kind == "backward"}
    assert {"matmul", "tanh", "multiply", "add", "sum", "subtract"} <= lowered
    assert "cube" not in lowered and "divide" not in lowered
    # consecutive instructions share a replay run; the plan says which
    runs = [s.block for s in run.plan if s.block is not None]
    assert runs == sorted(runs) and len(set(runs)) < len(runs)
    assert len(run.last.runs) == len(set(runs))


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

        def record_modified(self, *args):  # (the replayed optimizer marks its params)
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


@pytest.mark.parametrize("zero_grad", [True, False])
def test_sgd_update_with_and_without_the_flat_gradient_array(zero_grad):
    """The lowered SGD step multiplies lr into all gradients at once when each
    .grad holds its own buffer (zero_grad first); without zero_grad (.grad sums
    over calls) or with a parameter that gets no gradient it goes parameter by
    parameter. Both match eager bit for bit."""
    results = []
    for compiled in (False, True):
        rng = np.random.default_rng(3)
        w = nn.Parameter(rng.normal(size=(3, 2)).astype(np.float32))
        b = nn.Parameter(rng.normal(size=3).astype(np.float32))
        unused = nn.Parameter([1.0, 2.0])
        opt = optim.SGD([w, b, unused] if not zero_grad else [w, b], lr=0.1)

        def step(x):
            if zero_grad:
                opt.zero_grad()
            loss = (tg.ops.linear(x, w, b).relu() * 2.0).sum()
            loss.backward()
            opt.step()
            return loss

        run = tg.compile(check=True)(step) if compiled else step
        x = tg.Tensor(rng.normal(size=(4, 2)).astype(np.float32))
        out = [run(x).data.copy() for _ in range(4)]
        results.append(out + [w.data.copy(), b.data.copy(), w.grad.data.copy()])
    assert [a.tobytes() for a in results[0]] == [a.tobytes() for a in results[1]]


def test_an_arguments_gradient_is_stored_on_that_calls_argument():
    """x.grad for an argument that requires grad: a new tensor each call, so the
    store looks it up at replay (fresh, and summed when .grad is already set)."""
    c = tg.Tensor(np.array([0.5, -1.5, 2.0], np.float32))
    results = []
    for compiled in (False, True):

        def f(x):
            ((x * c).relu() * x).sum().backward()

        run = tg.compile(f) if compiled else f
        grads = []
        for k in range(3):
            x = tg.Tensor(
                np.array([1.0, 2.0, -3.0], np.float32) * (k + 1), requires_grad=True
            )
            run(x)
            if k == 2:
                run(x)  # a second call on the same argument: its .grad sums
            grads.append(x.grad.data.copy())
        results.append(grads)
    assert [g.tobytes() for g in results[0]] == [g.tobytes() for g in results[1]]


def test_the_replay_program_is_linked_once_before_the_first_replay():
    _, _, run = _train("xor_sgd_momentum", True, steps=1)
    assert run.last.runs is None  # a call that is never replayed does not link
    text = str(run)  # printing links it, so each step can say which run it is in
    runs = run.last.runs
    assert runs is not None and "run 0" in text
    compiled, losses, _ = _train("xor_sgd_momentum", True, steps=3)
    eager, eager_losses, _ = _train("xor_sgd_momentum", False, steps=3)
    assert [a.tobytes() for a in compiled] == [a.tobytes() for a in eager]
    run(tg.Tensor(_xor()[0]), tg.Tensor(_xor()[1]))
    assert run.last.runs is runs  # (linked once)
