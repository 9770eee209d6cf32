"""Helper for test_determinism.py: one seeded training run, saved with tinygrad_edu.save.

Run as ``python _determinism_run.py SEED OUT.npz [EPOCHS]``. Everything random
comes from ``tinygrad_edu.manual_seed``: the data set (spiral), the parameter
initialisation, the dropout masks and the DataLoader's shuffling.
"""

from __future__ import annotations

import sys

import numpy as np


def run(seed: int, epochs: int = 15) -> dict[str, np.ndarray]:
    """Train a small dropout MLP from ``manual_seed(seed)``; return its weights and
    the loss of every epoch."""
    import tinygrad_edu as tg
    from tinygrad_edu import nn, optim
    from tinygrad_edu.data import DataLoader, datasets
    from tinygrad_edu.nn import functional as F
    from tinygrad_edu.train import fit

    tg.manual_seed(seed)
    X, y = datasets.spiral(n_per_class=40, n_classes=3)  # seed=None: the manual_seed stream
    model = nn.Sequential(
        nn.Linear(2, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 32), nn.Tanh(),
        nn.Dropout(0.1), nn.Linear(32, 3),
    )
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loader = DataLoader(X, y, batch_size=16)  # shuffle=True, seed=None: the same stream
    history = fit(model, F.cross_entropy, opt, loader, epochs=epochs, progress=False)
    state = model.state_dict()
    state["history/loss"] = np.array(history.loss)
    state["data/X"] = X
    return state


def main(argv: list[str]) -> None:
    import tinygrad_edu as tg

    seed, out = int(argv[1]), argv[2]
    epochs = int(argv[3]) if len(argv) > 3 else 15
    tg.save(run(seed, epochs), out)


if __name__ == "__main__":
    main(sys.argv)
