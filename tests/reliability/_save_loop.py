"""Helper for the checkpoint tests: save large state dicts over one path.

``python _save_loop.py PATH MEGABYTES`` saves two versions over PATH forever and
prints ``ready`` once the first save is complete; the test kills it with SIGKILL at
a random moment.

``python _save_loop.py PATH MEGABYTES stall`` starts one save that stops half-way
through writing its temporary file (a live writer, as seen from outside), prints
``stalled`` and waits to be killed.
"""

from __future__ import annotations

import sys
import time

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
            "optimizer": {
                "lr": 0.1 * fill,
                "steps": v,
                "state": [{"velocity": np.full(7, fill)}],
            },
            "step": v,
        }

    return version(0), version(1)


def stall_mid_write(file, **arrays) -> None:
    """Stands in for np.savez: writes some bytes, then hangs until killed."""
    file.write(b"PK\x03\x04" + bytes(1000))
    file.flush()
    print("stalled", flush=True)
    while True:
        time.sleep(1)


def main(argv: list[str]) -> None:
    import tinygrad_edu as tg

    path, megabytes = argv[1], float(argv[2])
    states = versions(megabytes)
    if argv[3:] == ["stall"]:
        np.savez = stall_mid_write  # this process only
        tg.save(states[0], path)
    i = 0
    while True:
        tg.save(states[i % 2], path)
        i += 1
        if i == 1:
            print("ready", flush=True)


if __name__ == "__main__":
    main(sys.argv)
