"""nn.Module / Parameter: discovery on nested models, modes, state dicts, repr."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn

# ---- Parameter -------------------------------------------------------------------------


def test_parameter_is_a_trainable_tensor_sharing_the_array():
    data = np.zeros((2, 3), dtype=np.float32)
    p = nn.Parameter(data)
    assert isinstance(p, tg.Tensor)
    assert p.requires_grad and p.is_leaf and p.data is data
    assert repr(p).startswith("Parameter(")


def test_parameter_from_python_floats_takes_the_default_dtype():
    assert nn.Parameter([1.0, 2.0]).dtype == np.float32


@pytest.mark.parametrize("data", [np.arange(3), [1, 2], np.array([True])])
def test_parameter_rejects_non_float_data(data):
    with pytest.raises(TypeError, match="floating"):
        nn.Parameter(data)


def test_ops_on_parameters_give_plain_tensors():
    p = nn.Parameter([1.0])
    assert type(p * 2) is tg.Tensor


# ---- discovery -------------------------------------------------------------------------


class Block(nn.Module):
    def __init__(self, n):
        self.lin = nn.Linear(n, n)
        self.scale = nn.Parameter(np.ones(n, dtype=np.float32))

    def forward(self, x):
        return self.lin(x) * self.scale


class Net(nn.Module):
    """Every place a parameter can hide: attributes, lists, tuples, dicts,
    ModuleList, Sequential, nesting, and a parameter shared by two layers."""

    def __init__(self):
        self.first = nn.Linear(2, 3)
        self.blocks = [Block(3), Block(3)]  # a plain list
        self.pair = (nn.Linear(3, 3), nn.ReLU())  # a tuple
        self.heads = {"a": nn.Linear(3, 1), "b": nn.Linear(3, 1)}  # a dict
        self.stack = nn.ModuleList([nn.Linear(3, 3)])
        self.seq = nn.Sequential(nn.Linear(3, 3), nn.Tanh())
        self.tied = nn.Linear(3, 3)
        self.tied.weight = self.pair[0].weight  # shared: listed once
        self.note = "not a module"
        self.fn = tg.relu

    def forward(self, x):
        return x


def test_named_parameters_finds_everything_in_assignment_order():
    names = [name for name, _ in Net().named_parameters()]
    assert names == [
        "first.weight", "first.bias",
        "blocks.0.lin.weight", "blocks.0.lin.bias", "blocks.0.scale",
        "blocks.1.lin.weight", "blocks.1.lin.bias", "blocks.1.scale",
        "pair.0.weight", "pair.0.bias",
        "heads.a.weight", "heads.a.bias", "heads.b.weight", "heads.b.bias",
        "stack.0.weight", "stack.0.bias",
        "seq.0.weight", "seq.0.bias",
        "tied.bias",  # tied.weight is pair.0.weight, already listed
    ]


def test_shared_parameters_are_listed_once_and_counted_once():
    net = Net()
    params = list(net.parameters())
    assert len({id(p) for p in params}) == len(params)
    assert net.num_parameters() == sum(p.size for p in params)


def test_shared_module_is_walked_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert sum(1 for m in model.modules() if m is shared) == 1


def test_a_reference_back_to_the_parent_does_not_loop():
    parent = nn.Sequential(nn.Linear(2, 2))
    child = parent[0]
    child.owner = parent  # a cycle
    assert len(list(parent.parameters())) == 2


def test_modules_and_children():
    net = Net()
    names = [name for name, _ in net.named_modules()]
    assert names[0] == "" and "blocks.1.lin" in names and "seq.1" in names
    children = [name for name, _ in net.named_children()]
    assert children[:3] == ["first", "blocks.0", "blocks.1"]


def test_typos_raise_attribute_error():
    with pytest.raises(AttributeError):
        getattr(nn.Linear(2, 2), "wieght")  # no __getattr__ returning None


def test_module_list_and_sequential_behave_like_lists():
    layers = nn.ModuleList([nn.Linear(2, 2)])
    layers.append(nn.Linear(2, 2)).extend([nn.ReLU()])
    assert len(layers) == 3 and isinstance(layers[1], nn.Linear)
    assert len(layers[:2]) == 2 and isinstance(layers[:2], nn.ModuleList)
    seq = nn.Sequential([nn.Linear(2, 2), nn.ReLU()])  # a list works too
    assert isinstance(seq[:1], nn.Sequential) and len(seq) == 2
    with pytest.raises(TypeError, match="Module"):
        layers.append(tg.relu)
    with pytest.raises(NotImplementedError):
        layers(tg.ones(2))


def test_forward_must_be_defined():
    class Empty(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="forward"):
        Empty()(tg.ones(1))


# ---- modes and gradients ---------------------------------------------------------------


def test_train_eval_reach_every_submodule():
    net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5)))
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad_clears_every_parameter():
    model = nn.MLP([2, 3, 1])
    model(tg.ones(4, 2)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


# ---- state dicts -----------------------------------------------------------------------


def test_state_dict_is_a_dict_of_copies():
    model = nn.Linear(2, 3)
    sd = model.state_dict()
    assert list(sd) == ["weight", "bias"]
    assert sd["weight"].shape == (3, 2)
    sd["weight"][...] = 7
    assert not np.any(model.weight.data == 7)


def test_state_dict_round_trip_restores_the_function():
    tg.manual_seed(0)
    a, b = nn.MLP([3, 5, 2]), nn.MLP([3, 5, 2])
    x = tg.randn(4, 3)
    assert not np.allclose(a(x).data, b(x).data)
    weight_array = b.layers[0].weight.data
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a(x).data, b(x).data)
    assert b.layers[0].weight.data is weight_array  # copied in place


def test_load_state_dict_names_missing_and_unexpected_keys():
    model = nn.MLP([2, 3, 1])
    sd = model.state_dict()
    sd.pop("layers.0.bias")
    sd["layers.9.weight"] = np.zeros(1)
    with pytest.raises(ValueError) as info:
        model.load_state_dict(sd)
    assert "layers.0.bias" in str(info.value) and "layers.9.weight" in str(info.value)


def test_load_state_dict_non_strict_reports_keys():
    model = nn.Linear(2, 1)
    result = model.load_state_dict({"weight": np.ones((1, 2)), "extra": np.ones(1)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    assert model.weight.tolist() == [[1.0, 1.0]]


def test_load_state_dict_names_shape_mismatches_even_when_not_strict():
    model = nn.Linear(2, 3)
    sd = model.state_dict()
    sd["weight"] = np.zeros((2, 3))
    for strict in (True, False):
        with pytest.raises(ValueError, match=r"'weight'.*\(2, 3\).*\(3, 2\)"):
            model.load_state_dict(sd, strict=strict)


def test_failed_load_changes_nothing():
    model = nn.Linear(2, 2)
    before = model.state_dict()
    sd = {"weight": np.ones((2, 2)), "bias": np.ones(5)}
    with pytest.raises(ValueError):
        model.load_state_dict(sd)
    np.testing.assert_array_equal(model.weight.data, before["weight"])


def test_load_state_dict_keeps_the_parameter_dtype():
    model = nn.Linear(2, 1)
    model.load_state_dict({"weight": np.ones((1, 2)), "bias": np.zeros(1)})  # float64 in
    assert model.weight.dtype == np.float32


@pytest.mark.parametrize(
    "value, got",
    [
        ("abc", "str"),
        (None, "NoneType"),
        (np.ones((1, 2), dtype=complex), "ndarray of dtype complex128"),
        (np.array([["a", "b"]]), "ndarray of dtype <U1"),
        ([[1.0], [1.0, 2.0]], "list"),  # ragged
    ],
)
def test_load_state_dict_refuses_a_non_numeric_value_naming_the_key(value, got):
    """Not a shape mismatch "the file has ()": a TypeError saying what the value
    must be, and nothing is loaded."""
    model = nn.Linear(2, 1)
    before = model.state_dict()
    sd = dict(before, weight=value, bias=np.ones(1))
    with pytest.raises(
        TypeError,
        match=r"^load_state_dict into Linear: the value of 'weight' must be a numeric "
        r"\(bool, int or float\) array, got " + got + "$",
    ):
        model.load_state_dict(sd)
    np.testing.assert_array_equal(model.bias.data, before["bias"])


def test_load_state_dict_takes_bool_and_int_arrays_and_tensors():
    model = nn.Linear(2, 1)
    model.load_state_dict({"weight": np.ones((1, 2), dtype=int), "bias": [True]})
    np.testing.assert_array_equal(model.weight.data, [[1.0, 1.0]])
    model.load_state_dict({"weight": tg.Tensor([[2.0, 3.0]]), "bias": np.zeros(1)})
    np.testing.assert_array_equal(model.weight.data, [[2.0, 3.0]])


# ---- repr ------------------------------------------------------------------------------


def test_repr_is_nested_with_parameter_counts():
    text = repr(nn.MLP([2, 4, 1], activation="tanh"))
    assert text.splitlines() == [
        "MLP(",
        "  sizes=[2, 4, 1]",
        "  (layers): Sequential(",
        "    (0): Linear(in_features=2, out_features=4, bias=True)  # 12 params",
        "    (1): Tanh()",
        "    (2): Linear(in_features=4, out_features=1, bias=True)  # 5 params",
        "  )  # 17 params",
        ")  # 17 params",
    ]
    assert repr(nn.ReLU()) == "ReLU()"


@pytest.mark.parametrize(
    "make",
    [
        lambda: tg.nn.Linear(3, 2, bias="no"),
        lambda: tg.optim.SGD(
            [tg.nn.Parameter([1.0])], lr=0.1, momentum=0.9, nesterov="yes"
        ),
        lambda: tg.nn.Linear(3, 2).train("x"),
        lambda: tg.set_default_dtype(None),
    ],
)
def test_yes_no_settings_and_the_default_dtype_refuse_other_values(make):
    with pytest.raises(TypeError):
        make()
    assert tg.get_default_dtype() == np.float32
