"""Helper for test_checkpoints.py: save two large state dicts over one path, forever.

Run as ``python _save_loop.py PATH MEGABYTES``. Prints ``ready`` once the first
save is complete; the test then kills it with SIGKILL at a random moment.
"""

from __future__ import annotations

import sys

import numpy as np


def versions(megabytes: float) -> tuple[dict, dict]:
    """Two state dicts of about ``megabytes`` MB each, told apart by every value:
    version 0 is filled with 1.0, version 1 with 2.0 (and says so in "step")."""
    n = int(megabytes * 2**20 / 8 / 2)  # two float64 arrays hold most of the bytes

    def version(v: int) -> dict:
        fill = float(v + 1)
        return {
            "model": {
                "layers.0.weight": np.full((n // 1000, 1000), fill),
                "layers.0.bias": np.full(1000, fill, dtype=np.float32),
                "layers.2.weight": np.full((n // 1000, 1000), -fill),
            },
            "optimizer": {"lr": 0.1 * fill, "steps": v, "state": [{"velocity": np.full(7, fill)}]},
            "step": v,
        }

    return version(0), version(1)


def main(argv: list[str]) -> None:
    import tinygrad_edu as tg

    path, megabytes = argv[1], float(argv[2])
    states = versions(megabytes)
    i = 0
    while True:
        tg.save(states[i % 2], path)
        i += 1
        if i == 1:
            print("ready", flush=True)


if __name__ == "__main__":
    main(sys.argv)
