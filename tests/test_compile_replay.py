"""tg.compile replays what eager mode would compute, or refuses: values the library
computes without a gradient (comparisons, argmax, masks, running statistics), what
the recording assumes (aliases among arguments, requires_grad, train/eval mode, the
optimizer's parameters) and hand-written updates of parameters inside the call.

Each test runs the compiled function and the same eager code from the same state
and compares; none can pass by replaying the first call's values.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.nn import functional as F

T = tg.Tensor
CALLS = [[1.0, -2.0, 3.0], [-1.0, 2.0, 3.0], [4.0, -5.0, -6.0]]


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: tg.where(x > 0, x, 0.0).sum(),
        lambda x: (x * (x >= 0)).sum(),
        lambda x: x[x > 0].sum(),
        lambda x: x[x.argmax()] * 2.0,
        lambda x: (x * (x != 3.0)).sum(),
        lambda x: tg.nan_to_num(x / (x + 1.0)).sum(),
        lambda x: x.softmax(),  # its shift is the max of each call's x
        lambda x: x.std() + tg.logsumexp(x),
    ],
)
@pytest.mark.filterwarnings("ignore:divide by zero")
def test_values_computed_without_gradient_follow_each_call(fn):
    compiled = tg.compile(fn)
    for values in CALLS:
        x = T(values)
        np.testing.assert_array_equal(compiled(x).data, fn(x).data)
    assert compiled.traces == 1


def test_accuracy_inside_a_compiled_step_is_each_batch_s():
    w = nn.Parameter([[1.0], [-1.0]])
    accuracy = tg.compile(lambda x, y: ((x @ w).reshape(-1) > 0).astype(float) == y)
    y = T([1.0, 0.0, 1.0, 0.0])
    for seed in range(3):
        x = T(np.random.default_rng(seed).normal(size=(4, 2)))
        eager = ((x @ w).reshape(-1) > 0).astype(float) == y
        np.testing.assert_array_equal(accuracy(x, y).data, eager.data)


def test_a_captured_constant_equal_to_an_argument_stays_a_constant():
    c = T([1.0, 2.0])
    f = tg.compile(lambda x: (x * c).sum())
    f(T([1.0, 2.0]))  # the argument equals c while tracing
    assert f(T([3.0, 4.0])).item() == 11.0  # 3·1 + 4·2, not 3·3 + 4·4


def test_a_target_converted_by_a_loss_is_each_call_s():
    w = nn.Parameter([0.5, -0.5])
    f = tg.compile(lambda x, y: F.mse_loss(x * w, y))  # y float64: converted
    x = T([1.0, 2.0])
    for target in ([1.0, 1.0], [3.0, -2.0]):
        y = T(np.array(target))
        assert f(x, y).item() == pytest.approx(F.mse_loss(x * w, y).item())


def test_the_same_tensor_for_two_arguments_is_another_signature():
    f = tg.compile(lambda x, y: (x * 2.0 + y).sum())
    a, b = T([1.0, 1.0]), T([5.0, 5.0])
    assert f(a, a).item() == 6.0
    assert f(a, b).item() == 14.0
    assert f.traces == 2


def test_gradients_reach_the_right_argument_after_an_aliased_trace():
    f = tg.compile(lambda x, y: (x * y).sum().backward())
    a = T([1.0, 2.0], requires_grad=True)
    f(a, a)
    np.testing.assert_array_equal(a.grad.data, [2.0, 4.0])
    c, d = T([1.0, 2.0], requires_grad=True), T([3.0, 4.0], requires_grad=True)
    f(c, d)
    np.testing.assert_array_equal(c.grad.data, [3.0, 4.0])
    np.testing.assert_array_equal(d.grad.data, [1.0, 2.0])


def _bn_batches():
    rng = np.random.default_rng(0)
    return [T(rng.normal(i, 1.0 + i, size=(8, 3)).astype(np.float32)) for i in range(4)]


@pytest.mark.parametrize("check", [False, True])
def test_batch_norm_running_statistics_update_at_every_call(check):
    tg.manual_seed(0)
    eager_model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
    model.load_state_dict(eager_model.state_dict())
    opt = optim.SGD(model.parameters(), lr=0.1)
    eager_opt = optim.SGD(eager_model.parameters(), lr=0.1)

    def step(net, o, x):
        o.zero_grad()
        loss = (net(x) ** 2).mean()
        loss.backward()
        o.step()
        return loss

    compiled = tg.compile(lambda x: step(model, opt, x), check=check)
    for x in _bn_batches():
        compiled(x)
        step(eager_model, eager_opt, x)
        for name, value in eager_model.state_dict().items():
            np.testing.assert_allclose(
                model.state_dict()[name], value, rtol=1e-6, err_msg=name
            )


def test_batch_norm_in_eval_mode_reads_the_running_statistics_of_each_call():
    bn = nn.BatchNorm1d(2)
    bn.eval()
    f = tg.compile(lambda x: bn(x))
    x = T(np.arange(8, dtype=np.float32).reshape(4, 2))
    f(x)
    bn.running_mean.data[...] = [1.0, 2.0]  # (as an eager training step would)
    np.testing.assert_array_equal(f(x).data, bn(x).data)


def test_switching_train_and_eval_records_again():
    bn = nn.BatchNorm1d(2)
    f = tg.compile(lambda x: bn(x))
    x = T(np.arange(8, dtype=np.float32).reshape(4, 2))
    f(x)
    bn.eval()
    np.testing.assert_array_equal(f(x).data, bn(x).data)
    bn.train()
    np.testing.assert_array_equal(f(x).data, nn.BatchNorm1d(2)(x).data)
    assert f.traces == 3


def test_requires_grad_changed_on_a_parameter_records_again():
    w, b = nn.Parameter([1.0, 2.0]), nn.Parameter([0.5])
    opt = optim.SGD([w, b], lr=0.1)

    @tg.compile
    def step(x):
        opt.zero_grad()
        loss = (w * x).sum() + b.sum()
        loss.backward()
        opt.step()
        return loss

    x = T([1.0, 1.0])
    step(x), step(x)
    w.requires_grad_(False)  # freeze w: only b trains now
    frozen = w.data.copy()
    step(x)
    np.testing.assert_array_equal(w.data, frozen)
    assert step.traces == 2


def test_a_scheduler_stepped_inside_the_call_is_replayed():
    w = nn.Parameter([1.0])
    opt = optim.SGD([w], lr=0.1)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)

    @tg.compile
    def step(x):
        opt.zero_grad()
        (w * x).sum().backward()
        opt.step()
        scheduler.step()

    for _ in range(4):
        step(T([1.0]))
    assert opt.lr == pytest.approx(0.1 * 0.5**4)
    np.testing.assert_allclose(w.data, [1.0 - 0.1 * (1 + 0.5 + 0.25 + 0.125)])


def test_a_parameter_added_to_the_optimizer_records_again():
    w, v = nn.Parameter([1.0]), nn.Parameter([3.0])
    opt = optim.SGD([w], lr=0.1)

    @tg.compile
    def step(x):
        opt.zero_grad()
        ((w * x).sum() + (v * 2.0).sum()).backward()
        opt.step()

    step(T([1.0])), step(T([1.0]))
    opt.params.append(v)
    opt.state.append({})
    step(T([1.0]))
    np.testing.assert_allclose(v.data, [3.0 - 0.1 * 2.0])


def test_a_hand_written_update_of_a_parameter_raises_while_tracing():
    w = nn.Parameter([1.0, 2.0])

    @tg.compile
    def step(x):
        loss = (w * x).sum() ** 2
        loss.backward()
        w.data -= 0.1 * w.grad.data  # not an op: the replay could not repeat it
        return loss

    with pytest.raises(RuntimeError, match=r"compile\(step\): a parameter .*\.data"):
        step(T([1.0, 1.0]))


def test_a_new_array_for_a_parameter_inside_the_call_raises_while_tracing():
    w = nn.Parameter([1.0, 2.0])

    @tg.compile
    def step(x):
        loss = (w * x).sum()
        w.data = w.data * 0.5
        return loss

    with pytest.raises(RuntimeError, match="given a new array"):
        step(T([1.0, 1.0]))


def test_a_list_result_comes_back_as_a_list_and_methods_compile():
    class Net(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(2, 1)

        def forward(self, x):
            return self.layer(x)

        @tg.compile
        def both(self, x):
            out = self(x)
            return [out, out * 2.0]

    net, x = Net(), T(np.ones((3, 2), np.float32))
    first, second = net.both(x), net.both(x)
    assert isinstance(first, list) and isinstance(second, list)
    np.testing.assert_array_equal(second[1].data, 2.0 * net(x).data)


def test_all_any_and_a_0d_sum_follow_each_call():
    def fn(x):
        return (x * x.all(axis=1, keepdims=True)).sum() + x.any().astype(float)

    f = tg.compile(fn)
    for values in ([[1.0, 2.0], [0.0, 3.0]], [[1.0, 0.0], [2.0, 3.0]], [[0.0, 0.0]] * 2):
        assert f(T(values)).item() == fn(T(values)).item()
    g = tg.compile(lambda s: s.sum(axis=0) * 2.0)
    assert [g(T(v)).item() for v in (3.0, 4.0)] == [6.0, 8.0]


@pytest.mark.parametrize(
    "body, what",
    [
        (lambda w, x: T(np.asarray(x) * 2.0), r"np\.asarray"),
        (lambda w, x: np.subtract(w.data, x, out=w.data), r"numpy\.subtract.*out="),
    ],
)
def test_values_taken_out_of_the_ops_raise_while_tracing(body, what):
    w = nn.Parameter([1.0, 2.0])

    @tg.compile
    def step(x):
        body(w, x)
        return (w * x).sum()

    with pytest.raises(RuntimeError, match=r"compile\(step\): " + what):
        step(T([1.0, 1.0]))
    assert np.asarray(T([1.0])).tolist() == [1.0]  # eager mode is unaffected


def test_index_tuples_and_nll_loss_targets_follow_each_call():
    w = nn.Parameter(np.arange(6.0, dtype=np.float32).reshape(3, 2))
    pick = tg.compile(lambda i: w[i, 0])
    assert [pick(T([k])).tolist() for k in (0, 2, 1)] == [[0.0], [4.0], [2.0]]
    logp = T(np.log(np.full((2, 5), 0.2, np.float32)) + np.arange(5, dtype=np.float32))
    nll = tg.compile(lambda y: F.nll_loss(logp, y, reduction="none"))
    for labels in ([0, 1], [4, 3], [0, 1]):  # the first equals np.arange(2)
        y = T(np.array(labels))
        np.testing.assert_array_equal(
            nll(y).data, F.nll_loss(logp, y, reduction="none").data
        )


def test_a_one_sample_target_seen_as_a_vector_follows_each_call():
    logits = T([1.0, 2.0, 3.0])
    f = tg.compile(lambda y: F.cross_entropy(logits, y))
    for label in (0, 2, 1):
        y = T(np.array(label))
        assert f(y).item() == pytest.approx(F.cross_entropy(logits, y).item())


def test_ops_on_gradients_and_assigning_them_raise_while_tracing():
    w = nn.Parameter([1.0, -2.0])
    opt = optim.SGD([w], lr=0.1)

    def clipped(x):
        opt.zero_grad()
        (w * x).sum().backward()
        norm = (w.grad * w.grad).sum().sqrt()  # reads the gradient with an op
        opt.step()
        return norm

    def assigned(x):
        opt.zero_grad()
        (w * x).sum().backward()
        w.grad = w.grad * 0.5
        opt.step()

    with pytest.raises(RuntimeError, match=r"compile\(clipped\): an op reads a \.grad"):
        tg.compile(clipped)(T([1.0, 1.0]))
    with pytest.raises(RuntimeError, match=r"compile\(assigned\): (an op reads|\.grad =)"):
        tg.compile(assigned)(T([1.0, 1.0]))
    step = tg.compile(lambda x: (opt.zero_grad(), (w * x).sum().backward())[1])
    step(T([1.0, 1.0])), step(T([2.0, 2.0]))  # zero_grad inside is still replayed
    np.testing.assert_array_equal(w.grad.data, [2.0, 2.0])


def test_a_detached_result_is_each_call_s_and_returning_a_grad_raises():
    v = nn.Parameter([1.0, 2.0])

    def f(x):
        out = v * x
        out.sum().backward()
        return out.detach(), out

    compiled = tg.compile(f)
    for k in (1.0, 5.0, 2.0):
        detached, out = compiled(T([k, k]))
        np.testing.assert_array_equal(detached.data, [k, 2.0 * k])
        np.testing.assert_array_equal(out.data, detached.data)
    with pytest.raises(RuntimeError, match=r"returns a \.grad"):
        tg.compile(lambda x: ((v * x).sum().backward(), v.grad)[1])(T([1.0, 1.0]))


def test_other_threads_changing_their_tensors_or_drawing_do_not_stop_a_trace():
    import threading

    stop = threading.Event()
    other = nn.Parameter([1.0, 2.0])
    other_opt = optim.SGD([other], lr=0.01)

    def busy():  # eager training and random draws in another thread
        while not stop.is_set():
            other_opt.zero_grad()
            (other * tg.randn(2)).sum().backward()
            other_opt.step()

    w = nn.Parameter([1.0, -1.0])
    opt = optim.SGD([w], lr=0.1)

    def step(x):
        opt.zero_grad()
        loss = (w * x).sum() ** 2
        loss.backward()
        opt.step()
        return loss

    thread = threading.Thread(target=busy)
    thread.start()
    try:
        for _ in range(5):  # each a fresh trace while the other thread works
            tg.compile(step)(T([1.0, 2.0]))
    finally:
        stop.set()
        thread.join()
    with pytest.raises(RuntimeError, match="drew random numbers"):
        tg.compile(lambda x: x * tg.randn(2))(T([1.0, 2.0]))  # this thread: refused


def test_a_mask_selecting_another_count_fails_the_replay_clearly():
    f = tg.compile(lambda x: (x[x > 0] * 2.0).sum())
    assert f(T([1.0, -2.0, 3.0])).item() == 8.0
    assert f(T([-1.0, 2.0, 3.0])).item() == 10.0  # the same count: replayed
    with pytest.raises(RuntimeError, match=r"compile\(<lambda>\): the replay failed"):
        f(T([1.0, 2.0, 3.0]))  # three selected instead of two
