"""The package namespace: submodules reachable as attributes, imported on first use."""

import subprocess
import sys


def test_submodules_are_attributes_loaded_on_first_use():
    code = (
        "import sys, tinygrad_edu as tg\n"
        "lazy = ['data', 'debug', 'linear', 'testing', 'train', 'viz']\n"
        "assert not any(f'tinygrad_edu.{m}' in sys.modules for m in ['debug', 'viz']), "
        "'viz/debug imported eagerly'\n"
        "assert 'graphviz' not in sys.modules and 'tqdm' not in sys.modules\n"
        "assert callable(tg.viz.to_dot) and callable(tg.linear.normal_equation)\n"
        "assert callable(tg.train.fit) and callable(tg.data.DataLoader)\n"
        "assert callable(tg.debug.detect_anomaly) and callable(tg.testing.gradcheck)\n"
        "assert 'hypothesis' not in sys.modules  # testing needs it only for strategies\n"
        "assert callable(tg.testing.strategies.tensors)\n"
        "assert set(lazy) <= set(dir(tg))\n"
        "try:\n    tg.no_such_thing\nexcept AttributeError as e:\n"
        "    assert 'no_such_thing' in str(e)\nelse:\n    raise SystemExit('no error')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
