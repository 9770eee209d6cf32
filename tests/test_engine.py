"""Engine v2 (issue 14): the op record lives on the output tensor, number constants
are cached, the in-place version counter belongs to the storage (aliases share it),
the cyclic collector survives overlapping sweeps in threads, hooks keep the dtype,
and NumPy errors come back as plain TypeError/ValueError naming the op."""

from __future__ import annotations

import gc
import sys
import threading
import time

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Context, Function, Tensor, autograd
from tinygrad_edu.autograd import toposort


def leaf(values, dtype=np.float64):
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# ---- the op record -------------------------------------------------------------------


def test_the_output_tensor_is_the_ctx_of_forward_and_backward():
    seen = {}

    class Scale(Function):
        @staticmethod
        def forward(ctx, x, factor=2.0):
            seen["forward"] = ctx
            ctx.factor = factor
            return x * factor

        @staticmethod
        def backward(ctx, grad):
            seen["backward"] = ctx
            return grad * ctx.factor

    x = leaf([1.0, 2.0])
    y = Scale.apply(x, factor=3.0)
    y.sum().backward()
    assert seen["forward"] is y and seen["backward"] is y
    assert x.grad.tolist() == [3.0, 3.0]
    assert y.grad_fn.name == "scale" and y.grad_fn.inputs == (x,)
    assert y.grad_fn.params == {"factor": 3.0} and y.grad_fn.factor == 3.0
    assert y.grad_fn is y.grad_fn  # one handle per node: viz keys pictures by its id


@pytest.mark.parametrize("attribute", ["shape", "sum"])
def test_a_ctx_attribute_may_not_reuse_a_tensor_name(attribute):
    class Keep(Function):
        @staticmethod
        def forward(ctx, x):
            setattr(ctx, attribute, x.shape)
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(AttributeError, match=f"keep.forward: .*{attribute}.*in_shape"):
        Keep.apply(leaf([1.0]))


def test_params_are_never_shared_between_ops_or_contexts():
    x = leaf([1.0, -1.0])
    y = x.leaky_relu(0.1)
    y.grad_fn.params["negative_slope"] = 5.0  # a copy: the record is unchanged
    assert y.grad_fn.params == {"negative_slope": 0.1}
    (x * 2).grad_fn.params["junk"] = 1
    assert (x * 3).grad_fn.params == {}
    first, second = Context(), Context()
    first.params["junk"] = 1
    assert second.params == {} and first.params == {}


def test_number_operands_reuse_one_read_only_constant():
    x = leaf(np.ones(3, dtype=np.float32), dtype=np.float32)
    a, b = x * 2.5, x * 2.5
    const_a, const_b = a.grad_fn.inputs[1], b.grad_fn.inputs[1]
    assert const_a is const_b and const_a.dtype == np.float32 and const_a.shape == ()
    with pytest.raises(ValueError, match="read-only"):
        const_a += 1
    assert (x * 3).grad_fn.inputs[1].dtype == np.float32
    # -0.0 and 0.0 compare equal; they must not share a constant
    assert np.signbit((x * -0.0).data).all() and not np.signbit((x * 0.0).data).any()
    assert np.isnan((x * float("nan")).data).all()


def test_toposort_and_backward_on_a_chain_deeper_than_100k_ops():
    x = leaf([1.0, 2.0])
    y = x
    for i in range(150_000):
        y = y * 1.0 if i % 2 else y + 0.5
    order = toposort(y)
    assert len(order) == 150_000 + 3 and order[-1] is y and any(t is x for t in order[:3])
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_a_sweep_that_raises_leaves_no_half_summed_gradients():
    x = leaf([1.0, 2.0])
    h = x * 3.0
    y = (h * h).sum()
    calls = []

    def fail_once(g):
        calls.append(1)
        if len(calls) == 1:
            raise KeyError("boom")

    h.register_hook(fail_once)
    with pytest.raises(KeyError):
        y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.data, 18 * x.data)


# ---- the in-place check sees every alias of a storage ---------------------------------


def _saved_then_changed(change):
    a = leaf([1.0, 2.0])
    b = a * a  # saves a
    change(a)
    with pytest.raises(RuntimeError, match="modified in place"):
        b.backward(np.ones(2))


def test_inplace_change_through_detach_is_detected():
    def change(a):
        d = a.detach()
        d += 1

    _saved_then_changed(change)


def test_inplace_change_through_tensor_of_tensor_is_detected():
    def change(a):
        t = Tensor(a)
        t *= 2

    _saved_then_changed(change)


@pytest.mark.parametrize(
    "view",
    [lambda a: a[0:1], lambda a: a.reshape(2, 1), lambda a: a.reshape(1, 2).T],
    ids=["getitem", "reshape", "transpose"],
)
def test_inplace_change_through_a_view_made_under_no_grad_is_detected(view):
    def change(a):
        with tg.no_grad():
            v = view(a)
            v -= 1

    _saved_then_changed(change)


def test_inplace_change_through_a_recorded_view_is_detected():
    a = leaf([1.0, 2.0])
    b = (a * a).sum()
    v = a[1:].detach()
    v[...] = 7.0
    with pytest.raises(RuntimeError, match="multiply: input 0 .* modified in place"):
        b.backward()


def test_a_copy_is_not_an_alias():
    a = leaf([1.0, 2.0])
    b = a * a
    c = Tensor(a.data.copy())
    c += 1
    b.backward(np.ones(2))
    assert a.grad.tolist() == [2.0, 4.0]


def test_optimizer_step_marks_parameters_modified():
    w = leaf([1.0, 2.0])
    loss = (w * w).sum()
    w.grad = Tensor(np.ones(2))
    tg.optim.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_mark_modified_is_the_public_version_bump():
    a = leaf([1.0, 2.0])
    b = a.exp()  # exp's backward uses its output
    with tg.no_grad():
        b.data[...] = 0.0
    autograd.mark_modified(b)
    with pytest.raises(RuntimeError, match="exp: its output"):
        b.backward(np.ones(2))


# ---- hooks ------------------------------------------------------------------------------


def test_a_hook_returning_float64_keeps_a_float32_grad():
    x = leaf([1.0, 2.0], dtype=np.float32)
    x.register_hook(lambda g: g.data.astype(np.float64) * 2)
    (x * x).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [4.0, 8.0]


def test_a_hook_on_a_non_leaf_returning_float64_keeps_float32_downstream():
    x = leaf([1.0, 2.0], dtype=np.float32)
    h = x * 3.0
    h.register_hook(lambda g: np.ones(2, dtype=np.float64))
    (h * h).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [3.0, 3.0]


def test_register_hook_rejects_a_non_callable_at_registration():
    x = leaf([1.0])
    with pytest.raises(TypeError, match="register_hook: .*callable.*int"):
        x.register_hook(5)
    (x * 2).sum().backward()  # nothing was registered
    assert x.grad.tolist() == [2.0]


# ---- NumPy errors, explained ------------------------------------------------------------


@pytest.mark.parametrize(
    "call, op",
    [(lambda x: x.clip("0", "1"), "clip"), (lambda x: x.elu("a"), "elu")],
    ids=["clip", "elu"],
)
def test_bad_op_parameters_are_plain_type_errors_naming_the_op(call, op):
    x = leaf([1.0, -1.0], dtype=np.float32)
    with pytest.raises(TypeError) as info:
        call(x)
    assert type(info.value) is TypeError  # not NumPy's _UFuncNoLoopError, rebuilt wrongly
    assert str(info.value).startswith(f"{op}: ")


def test_numpy_errors_become_plain_errors_naming_the_op():
    """A forward that hits NumPy's _UFuncNoLoopError (whose constructor takes other
    arguments) comes out as a plain TypeError naming the op and the shapes, chained."""

    class AddText(Function):
        @staticmethod
        def forward(ctx, x):
            return np.add(x, np.array(["a", "b"]))

        @staticmethod
        def backward(ctx, grad):
            return grad

    x = leaf([1.0, -1.0], dtype=np.float32)
    with pytest.raises(TypeError) as info:
        AddText.apply(x)
    error = info.value
    assert type(error) is TypeError
    assert str(error).startswith("addtext: ") and "(2,)" in str(error)
    assert isinstance(error.__cause__, TypeError) and error.__cause__ is not error


def test_explain_error_keeps_the_category():
    class Picky(Function):
        @staticmethod
        def forward(ctx, x):
            raise IndexError("index 9 is out of bounds")

    with pytest.raises(IndexError, match=r"picky: .*\(3,\).*index 9") as info:
        Picky.apply(leaf([1.0, 2.0, 3.0]))
    assert type(info.value) is IndexError and type(info.value.__cause__) is IndexError


# ---- the cyclic collector -----------------------------------------------------------------

DEEP = 2_000  # above the size from which a sweep pauses the collector


def _deep_graph(hook):
    x = leaf(np.ones(3))
    y = x
    for _ in range(DEEP):
        y = y * 1.0
    y.register_hook(hook)
    return x, y.sum()


def _overlapping_sweeps() -> dict:
    """Thread A's sweep starts, B's starts and ends inside it, then A ends."""
    a_inside, b_done = threading.Event(), threading.Event()
    seen: dict = {}
    errors: list = []

    def in_a(g):
        a_inside.set()
        assert b_done.wait(30)
        seen["a after b"] = gc.isenabled()

    def in_b(g):
        seen["b"] = gc.isenabled()

    def run(name, hook, before=None, after=None):
        try:
            if before is not None:
                assert before.wait(30)
            _, loss = _deep_graph(hook)
            loss.backward()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            if after is not None:
                after.set()

    threads = [
        threading.Thread(target=run, args=("a", in_a)),
        threading.Thread(target=run, args=("b", in_b, a_inside, b_done)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return seen


def test_overlapping_sweeps_in_threads_restore_the_collector():
    assert gc.isenabled()
    seen = _overlapping_sweeps()
    assert seen == {"b": False, "a after b": False}  # paused while any sweep runs
    assert gc.isenabled()


def test_a_collector_the_user_switched_off_stays_off():
    gc.disable()
    try:
        seen = _overlapping_sweeps()
        assert seen == {"b": False, "a after b": False}
        assert not gc.isenabled()
    finally:
        gc.enable()


def _in_four_threads(work, switch_interval: float) -> None:
    """Run ``work`` in four threads that switch often, so that they interleave."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(switch_interval)
    try:
        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        sys.setswitchinterval(interval)


@pytest.fixture
def fresh_count():
    """Earlier tests may have recorded graphs they never backpropagated."""
    autograd._graph_freed()


def _record(n_ops: int):
    x = leaf(np.ones(2))
    y = x
    for _ in range(n_ops):
        y = y * 1.0
    return x, y.sum()


def test_recording_a_large_graph_makes_collections_rarer_until_backward(fresh_count):
    before = gc.get_threshold()
    first = autograd._recording.first_raise
    x, loss = _record(first - 10)
    assert gc.get_threshold() == before  # a small graph never touches it
    x, loss = _record(first + 10)  # (the count goes on from the graph above)
    raised = gc.get_threshold()
    assert raised[0] >= first and raised[1:] == before[1:]
    loss.backward()
    assert gc.get_threshold() == before  # the graph is freed: as it was
    assert x.grad.tolist() == [1.0, 1.0]


def test_the_raised_threshold_is_proportional_and_capped(monkeypatch, fresh_count):
    monkeypatch.setattr(autograd._recording, "cap", 30_000)
    before = gc.get_threshold()
    x, loss = _record(25_000)
    assert gc.get_threshold()[0] == 20_000  # raised at 10,000 and at 20,000
    more = loss
    for _ in range(30_000):
        more = more * 1.0
    assert gc.get_threshold()[0] == 30_000  # 40,000 recorded: the cap
    more.backward()
    assert gc.get_threshold() == before


class _Cycle:
    """Garbage only the cyclic collector frees (it refers to itself)."""

    alive = 0
    peak = 0

    def __init__(self) -> None:
        self.me = self
        _Cycle.alive += 1
        _Cycle.peak = max(_Cycle.peak, _Cycle.alive)

    def __del__(self) -> None:
        _Cycle.alive -= 1


def test_other_codes_cyclic_garbage_waits_at_most_the_cap(monkeypatch, fresh_count):
    monkeypatch.setattr(autograd._recording, "cap", 20_000)
    before = gc.get_threshold()
    x, loss = _record(25_000)  # alive: the threshold is raised to the cap
    assert gc.get_threshold()[0] == 20_000
    _Cycle.alive = _Cycle.peak = 0
    for _ in range(100_000):
        _Cycle()
    assert _Cycle.peak <= 2 * 20_000  # collected all along, not held until backward
    loss.backward()
    assert gc.get_threshold() == before


def test_a_threshold_set_by_the_user_meanwhile_is_left_alone(fresh_count):
    before = gc.get_threshold()
    try:
        x, loss = _record(autograd._recording.first_raise + 5)
        gc.set_threshold(1234, 5, 5)
        loss.backward()
        assert gc.get_threshold() == (1234, 5, 5)
    finally:
        gc.set_threshold(*before)


def test_a_threshold_of_zero_keeps_automatic_collection_off(fresh_count):
    before = gc.get_threshold()
    try:
        gc.set_threshold(0)
        x, loss = _record(autograd._recording.first_raise + 5)
        assert gc.get_threshold()[0] == 0
        loss.backward()
        assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)


def test_threads_recording_and_backpropagating_restore_the_threshold(fresh_count):
    before = gc.get_threshold()
    errors: list = []

    def work():
        try:
            for _ in range(3):
                x, loss = _record(6_000)  # together past first_raise
                loss.backward()
                assert x.grad.tolist() == [1.0, 1.0]
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    _in_four_threads(work, switch_interval=1e-5)
    assert not errors, errors
    assert gc.get_threshold() == before


def test_many_threads_backpropagating_leave_the_collector_on(monkeypatch):
    """The old engine read gc.isenabled() and then called gc.disable(): another
    thread finishing in between left the collector off for the whole process. A slow
    isenabled() widens that window so that the threads surely meet in it."""
    really_enabled = gc.isenabled

    def slow_isenabled() -> bool:
        state = really_enabled()
        time.sleep(0.005)
        return state

    monkeypatch.setattr(gc, "isenabled", slow_isenabled)
    errors: list = []

    def work():
        try:
            for _ in range(10):
                x, loss = _deep_graph(lambda g: None)
                loss.backward()
                assert x.grad.tolist() == [1.0, 1.0, 1.0]
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    _in_four_threads(work, switch_interval=1e-6)
    assert not errors, errors
    assert really_enabled()
