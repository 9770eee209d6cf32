"""The backward engine: accumulation, reused nodes, deep chains, freeing, hooks,
higher order, grad mode, user Functions and the errors of autograd misuse."""

import threading

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Function, Tensor
from tinygrad_edu.autograd import toposort, unbroadcast

from .user_ops import Cube


def leaf(values, dtype=np.float64):
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# ---- graph shapes that naive engines get wrong --------------------------------------


def test_a_plus_a_counts_twice():
    a = leaf([3.0])
    (a + a).backward(np.ones(1))
    assert a.grad.tolist() == [2.0]


def test_reused_intermediate():
    a = leaf([3.0])
    b = a + a
    c = b + b
    c.backward(np.ones(1))
    assert a.grad.tolist() == [4.0]


def test_diamond():
    a, b = leaf([2.0]), leaf([5.0])
    x = a + b
    y = x * a  # y = (a + b) a: dy/da = 2a + b, dy/db = a
    y.backward(np.ones(1))
    assert a.grad.tolist() == [9.0]
    assert b.grad.tolist() == [2.0]


def test_gradients_accumulate_across_backward_calls():
    a = leaf([1.0, 2.0])
    (a * 3).sum().backward()
    (a * 3).sum().backward()
    assert a.grad.tolist() == [6.0, 6.0]
    a.zero_grad()
    assert a.grad is None


def test_chain_of_100k_ops_backpropagates_without_recursion():
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.backward(np.ones(1))
    assert x.grad.tolist() == [1.0]


def test_toposort_lists_inputs_before_outputs_on_random_dags():
    rng = np.random.default_rng(0)
    for _ in range(50):
        nodes = [leaf(rng.normal(size=2)) for _ in range(3)]
        for _ in range(20):
            i, j = rng.integers(len(nodes), size=2)
            nodes.append(nodes[i] * nodes[j] if rng.random() < 0.5 else nodes[i] + nodes[j])
        root = nodes[-1]
        order = toposort(root)
        position = {id(t): k for k, t in enumerate(order)}
        assert len(position) == len(order)
        for t in order:
            if t.grad_fn is not None:
                for x in t.grad_fn.inputs:
                    assert position[id(x)] < position[id(t)]
        assert order[-1] is root


# ---- broadcasting -----------------------------------------------------------------


def test_broadcast_gradients_sum_back_to_input_shapes():
    a = leaf(np.ones((3, 1)))
    b = leaf(np.arange(4.0))
    (a * b).backward(np.ones((3, 4)))
    assert a.grad.shape == (3, 1) and np.allclose(a.grad.data, 6.0)
    assert b.grad.shape == (4,) and np.allclose(b.grad.data, 3.0)


def test_scalar_plus_matrix():
    s = leaf(2.0)
    m = leaf(np.ones((2, 3)))
    (s + m).backward(np.ones((2, 3)))
    assert s.grad.shape == () and s.grad.item() == 6.0


def test_unbroadcast_works_on_arrays():
    assert unbroadcast(np.ones((2, 3, 4)), (3, 1)).tolist() == [[8.0]] * 3


# ---- retain_graph and freeing -------------------------------------------------------


def test_second_backward_through_freed_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_saved_arrays_are_freed_after_backward():
    x = leaf(np.ones(3))
    y = x.relu()
    y.sum().backward()
    assert y.grad_fn.freed and y.grad_fn.saved_tensors is None


# ---- higher order -----------------------------------------------------------------


def test_second_derivative_of_exp_times_x():
    x = leaf([0.5, -1.0])
    y = (x.exp() * x).sum()
    y.backward(create_graph=True)
    first = x.grad
    assert np.allclose(first.data, np.exp(x.data) * (x.data + 1))
    x.zero_grad()
    first.sum().backward()
    assert np.allclose(x.grad.data, np.exp(x.data) * (x.data + 2))


def test_hessian_vector_product():
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    x = leaf([1.0, -1.0])
    f = 0.5 * (x @ Tensor(a) @ x)  # Hessian = a
    (g,) = tg.gradients(f, [x], create_graph=True)
    v = np.array([1.0, 2.0])
    (hv,) = tg.gradients((g * v).sum(), [x])
    assert np.allclose(hv.data, a @ v)


def test_grad_of_grad_and_value_and_grad():
    d = tg.grad(lambda x: (x ** 3).sum())
    assert np.allclose(d(np.array([1.0, 2.0])).data, [3.0, 12.0])
    d2 = tg.grad(tg.grad(lambda x: tg.sin(x)))
    assert np.isclose(d2(Tensor(0.3, dtype=np.float64)).item(), -np.sin(0.3))
    value, grads = tg.value_and_grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(
        np.array([1.0, 2.0]), np.array([3.0, 4.0])
    )
    assert value.item() == 11.0
    assert grads[0].tolist() == [3.0, 4.0] and grads[1].tolist() == [1.0, 2.0]


def test_grad_requires_scalar_output():
    with pytest.raises(ValueError, match="scalar"):
        tg.grad(lambda x: x * 2)(np.ones(3))


def test_gradients_does_not_touch_dot_grad():
    x = leaf([2.0])
    (g,) = tg.gradients((x * x).sum(), [x])
    assert g.tolist() == [4.0] and x.grad is None


# ---- hooks, retain_grad, detach -----------------------------------------------------


def test_hook_sees_and_replaces_gradient():
    x = leaf([1.0, 2.0])
    seen = []

    def double(g):
        seen.append(g.tolist())
        return g * 2

    y = x * 3
    y.register_hook(double)
    y.sum().backward()
    assert seen == [[1.0, 1.0]]
    assert x.grad.tolist() == [6.0, 6.0]


def test_hook_returning_wrong_shape_raises():
    x = leaf([1.0, 2.0])
    y = x * 3
    y.register_hook(lambda g: np.ones(3))
    with pytest.raises(RuntimeError, match=r"shape \(3,\)"):
        y.sum().backward()


def test_retain_grad_keeps_non_leaf_gradient():
    x = leaf([1.0, 2.0])
    y = x * 3
    y.retain_grad()
    z = x * 4
    (y * y + z).sum().backward()
    assert y.grad.tolist() == [6.0, 12.0]
    assert z.grad is None


def test_detach_cuts_the_graph():
    x = leaf([1.0])
    z = x * 2
    y = z.detach()
    assert not y.requires_grad and y.grad_fn is None
    assert y.data is z.data  # shared, not copied


# ---- grad mode -----------------------------------------------------------------------


def test_no_grad_records_nothing_and_enable_grad_restores():
    x = leaf([1.0])
    with tg.no_grad():
        y = x * 2
        with tg.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad


def test_no_grad_as_decorator_is_reentrant():
    x = leaf([1.0])

    @tg.no_grad()
    def f(depth):
        return f(depth - 1) if depth else x * 2

    assert not f(3).requires_grad
    assert tg.is_grad_enabled()


def test_grad_mode_is_thread_local():
    x = leaf([1.0])
    results = {}
    entered, release = threading.Event(), threading.Event()

    def without_grad():
        with tg.no_grad():
            entered.set()
            release.wait(5)
            results["other"] = (x * 2).requires_grad

    thread = threading.Thread(target=without_grad)
    thread.start()
    entered.wait(5)
    results["main"] = (x * 2).requires_grad
    release.set()
    thread.join()
    assert results == {"main": True, "other": False}


# ---- user-defined Functions -----------------------------------------------------------




def test_user_function():
    x = leaf([1.0, 2.0])
    Cube.apply(x).sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]
    assert Cube.apply(x).grad_fn.name == "cube"


def test_user_function_cannot_be_differentiated_twice():
    x = leaf([1.0])
    y = Cube.apply(x).sum()
    with pytest.raises(RuntimeError, match="cannot be differentiated"):
        y.backward(create_graph=True)


def test_user_function_returning_wrong_number_of_gradients():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(RuntimeError, match="1 gradients for 2 inputs"):
        Bad.apply(leaf([1.0]), leaf([2.0])).sum().backward()


def test_user_function_returning_wrong_shape():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, grad):
            return np.ones(5)

    with pytest.raises(RuntimeError, match=r"shape \(5,\) for input 0 of shape \(2,\)"):
        Bad.apply(leaf([1.0, 2.0])).sum().backward()


# ---- autograd misuse -----------------------------------------------------------------


def test_backward_of_non_scalar_needs_grad():
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*grad="):
        (leaf([1.0, 2.0]) * 2).backward()


def test_backward_grad_of_wrong_shape():
    with pytest.raises(ValueError, match=r"grad has shape \(3,\) but the output has shape \(2,\)"):
        (leaf([1.0, 2.0]) * 2).backward(np.ones(3))


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="floating"):
        Tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="floating"):
        Tensor([True, False]).requires_grad_()


def test_inplace_on_tensor_requiring_grad_raises():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match=r"in-place \+="):
        x += 1
    with tg.no_grad():
        x -= 1  # what optimizers do
    assert x.tolist() == [0.0]


def test_inplace_change_of_saved_tensor_is_detected():
    w = leaf([2.0])
    c = Tensor(np.array([3.0]))
    y = (w * c).sum()
    c += 1  # c does not require grad, so this is allowed, but w's gradient needs old c
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_float32_stays_float32_through_backward():
    x = Tensor(np.ones((4, 3), np.float32), requires_grad=True)
    w = Tensor(np.ones((3, 2), np.float32), requires_grad=True)
    ((x @ w).relu() * 2.5 + 1).sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_leaf_gradients_never_share_memory():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).backward(np.ones(2))
    a.grad.data *= 10  # e.g. gradient clipping in place
    assert b.grad.tolist() == [1.0, 1.0]
    seed = np.ones(2)
    c = leaf([0.0, 0.0])
    (c + 0).backward(seed)
    c.grad.data[0] = 5
    assert seed.tolist() == [1.0, 1.0]


def test_backward_grad_argument_is_not_copied_yet_never_aliased_by_a_grad():
    """backward(grad=g) hands g to the sweep without a copy (a conv's cotangent is
    megabytes); no .grad may be g or a view of it, through any op, and g is left as
    it was."""
    cases = [
        lambda x: x,  # the root is the leaf itself
        lambda x: x.reshape(4).reshape(2, 2),  # views of the seed all the way down
        lambda x: x + x.detach(),  # add passes the seed through unchanged
        lambda x: x * 1.0,
    ]
    for make in cases:
        x = tg.Tensor(np.ones((2, 2)), requires_grad=True)
        g = np.arange(4.0).reshape(2, 2)
        make(x).backward(g)
        assert not np.shares_memory(x.grad.data, g)
        assert g.tolist() == [[0.0, 1.0], [2.0, 3.0]]
        g[...] = -1.0
        assert x.grad.tolist() == [[0.0, 1.0], [2.0, 3.0]]
    a = tg.Tensor([1.0, 2.0], requires_grad=True)
    b = tg.Tensor([3.0, 4.0], requires_grad=True)
    g = np.array([1.0, 1.0])
    (a + b).backward(g)  # one gradient array for two leaves: each gets its own
    assert not np.shares_memory(a.grad.data, b.grad.data)
    assert not np.shares_memory(a.grad.data, g) and not np.shares_memory(b.grad.data, g)


def test_backward_refuses_a_leaf_whose_data_was_replaced_by_ints():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    x.data = np.array([1, 2])  # .data is the user's to assign
    with pytest.raises(TypeError, match=r"holds int64 data .*\.data replaced"):
        (x * 1.5).sum().backward()
