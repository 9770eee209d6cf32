"""What every example shares: ``--quick``/``--out``, matplotlib if installed, the
final check. Not an example itself (its name starts with ``_``).

Each example ends with ``check(...)`` calls and ``done(...)``: a failed check
prints ``RESULT: FAILED — ...`` and exits with status 1, so the examples double as
tests (``tests/test_examples.py`` runs them all with ``--quick``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def setup(name: str, description: str) -> tuple[argparse.Namespace, Path]:
    """Parse ``--quick`` and ``--out DIR``; create the output folder and say where it is."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick", action="store_true", help="a smaller run that finishes in seconds"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("examples_out") / name,
        help="folder for figures and graphs (default: ./examples_out/%(prog)s)",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"{name}: figures and graphs go to {args.out.resolve()}")
    return args, args.out


def pyplot():
    """``matplotlib.pyplot`` with the file-only Agg backend, or None (with a note)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(
            "note: matplotlib is not installed, so no figures are drawn "
            "(pip install matplotlib)"
        )
        return None
    return plt


def save(fig, path: Path) -> None:
    """Save a pyplot figure, close it, and print where it went."""
    fig.savefig(path, dpi=100, bbox_inches="tight")
    fig.clf()
    import matplotlib.pyplot as plt

    plt.close(fig)
    print(f"  wrote {path}")


def picture(draw, path: Path) -> None:
    """Run a ``viz`` drawing call (``render``/``draw_mlp``) that writes ``path``.

    Without the Graphviz program those calls write the ``.dot`` text beside it and
    raise ``RuntimeError``; the example goes on with a note.
    """
    try:
        written = draw(path)
        print(f"  wrote {written}")
    except (RuntimeError, ImportError) as err:
        if "not found" in str(err) and path.with_suffix(".dot").exists():
            print(
                f"  note: {path.name} not drawn: the Graphviz program 'dot' is not "
                f"installed; its source is in {path.with_suffix('.dot')}"
            )
        else:
            print(f"  note: {path.name} not drawn ({str(err).split(';')[0]})")


_failures: list[str] = []


def check(ok: bool, message: str) -> None:
    """Record one stated result; ``done`` fails if any check did not hold."""
    print(f"  check {'ok  ' if ok else 'FAIL'}: {message}")
    if not ok:
        _failures.append(message)


def done(summary: str) -> None:
    """Print the final ``RESULT:`` line; exit with status 1 if a check failed."""
    if _failures:
        print(f"RESULT: FAILED — {'; '.join(_failures)}")
        raise SystemExit(1)
    print(f"RESULT: ok — {summary}")
    sys.stdout.flush()
