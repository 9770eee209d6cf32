"""nn.init: PyTorch's formulas, checked by the statistics of large draws."""

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import init

FAN_OUT, FAN_IN = 300, 500  # a (300, 500) weight: 150,000 draws


def _weight(dtype=np.float32):
    return nn.Parameter(np.zeros((FAN_OUT, FAN_IN), dtype=dtype))


def _check_uniform(data, bound):
    assert np.abs(data).max() <= bound
    assert np.abs(data).max() > 0.99 * bound  # fills the whole interval
    assert abs(data.mean()) < 0.01 * bound
    assert abs(data.std() - bound / math.sqrt(3)) < 0.01 * bound


def _check_normal(data, std):
    assert abs(data.mean()) < 0.01 * std
    assert abs(data.std() - std) < 0.01 * std


@pytest.fixture(autouse=True)
def _seed():
    tg.manual_seed(1234)


def test_gains():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    with pytest.raises(ValueError, match="nonlinearity"):
        init.calculate_gain("swish")


def test_fans():
    assert init.calculate_fan_in_and_fan_out(_weight()) == (FAN_IN, FAN_OUT)
    assert init.calculate_fan_in_and_fan_out(tg.zeros(4, 3, 5, 5)) == (75, 100)
    with pytest.raises(ValueError, match="at least 2 dims"):
        init.calculate_fan_in_and_fan_out(tg.zeros(5))


def test_xavier_uniform_and_normal():
    w = init.xavier_uniform_(_weight(), gain=init.calculate_gain("tanh"))
    _check_uniform(w.data, 5 / 3 * math.sqrt(6 / (FAN_IN + FAN_OUT)))
    w = init.xavier_normal_(_weight())
    _check_normal(w.data, math.sqrt(2 / (FAN_IN + FAN_OUT)))


@pytest.mark.parametrize("mode, fan", [("fan_in", FAN_IN), ("fan_out", FAN_OUT)])
def test_kaiming_uniform_and_normal(mode, fan):
    w = init.kaiming_uniform_(_weight(), mode=mode, nonlinearity="relu")
    _check_uniform(w.data, math.sqrt(3) * math.sqrt(2) / math.sqrt(fan))
    w = init.kaiming_normal_(_weight(), mode=mode, nonlinearity="relu")
    _check_normal(w.data, math.sqrt(2 / fan))


def test_kaiming_leaky_relu_slope_and_linear_default():
    w = init.kaiming_normal_(_weight(), a=0.1)
    _check_normal(w.data, math.sqrt(2 / (1 + 0.01)) / math.sqrt(FAN_IN))
    w = init.kaiming_uniform_(_weight(), a=math.sqrt(5))  # nn.Linear's choice
    _check_uniform(w.data, 1 / math.sqrt(FAN_IN))
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_uniform_(_weight(), mode="fan_avg")


def test_uniform_normal_constant_keep_dtype_and_identity():
    w = _weight()
    assert init.uniform_(w, -2.0, 3.0) is w and w.dtype == np.float32
    assert w.data.min() >= -2 and w.data.max() < 3
    assert abs(w.data.mean() - 0.5) < 0.02
    _check_normal(init.normal_(_weight(np.float64), 0.0, 2.0).data, 2.0)
    assert init.constant_(_weight(), 0.5).data.tolist()[0][:2] == [0.5, 0.5]
    assert not init.zeros_(_weight()).data.any()
    assert init.ones_(_weight()).data.all()


def test_init_is_reproducible_under_manual_seed():
    tg.manual_seed(7)
    a = init.xavier_normal_(_weight()).data.copy()
    tg.manual_seed(7)
    np.testing.assert_array_equal(a, init.xavier_normal_(_weight()).data)


@pytest.mark.parametrize(
    "name", ["uniform_", "normal_", "xavier_uniform_", "xavier_normal_",
             "kaiming_uniform_", "kaiming_normal_"],
)
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_random_inits_refuse_int_and_bool_tensors(name, dtype):
    # the draws used to be cast silently (normal draws mostly to 0); PyTorch refuses
    w = tg.Tensor(np.ones((3, 4), dtype=dtype))
    raw = np.zeros((3, 4), dtype=dtype)
    for target in (w, raw):
        with pytest.raises(TypeError, match=rf"{name}: .*{np.dtype(dtype)}"):
            getattr(init, name)(target)
    assert w.data.all() and not raw.any()  # nothing written
    # and no draw was taken: the stream continues as if the calls never happened
    tg.manual_seed(5)
    expected = init.normal_(_weight()).data
    tg.manual_seed(5)
    for target in (w, raw):
        with pytest.raises(TypeError):
            getattr(init, name)(target)
    np.testing.assert_array_equal(init.normal_(_weight()).data, expected)
    # filling with a constant is not a draw: allowed, as in PyTorch
    assert init.constant_(w, 1).data.tolist()[0] == [1, 1, 1, 1]
