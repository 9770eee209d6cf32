"""The README is true: its Errors tables are the bad-input tests, and its examples run.

1. The "Errors" section holds exactly one table row per row of ``BAD_INPUTS`` and
   ``BAD_FILES`` (``tests/reliability/test_bad_input.py``): the entry point, the bad
   input, the exception type(s) and the message fragment the test checks. A row
   added, changed or removed there fails here until the README follows. Print the
   tables to paste into the README with::

       python -m tests.test_readme

2. Every ```python block of README.md is executed, in a fresh namespace and a
   temporary working directory (``MPLBACKEND=Agg``); the ``test_*`` functions a
   block defines (e.g. a hypothesis property test) are then called too.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from .reliability import test_bad_input
from .reliability.test_bad_input import BAD_FILES, BAD_INPUTS

README = Path(__file__).resolve().parent.parent / "README.md"


# ---- 1. the Errors tables ------------------------------------------------------------


def _kind(raises) -> str:
    types = raises if isinstance(raises, tuple) else (raises,)
    return " or ".join(f"`{t.__name__}`" for t in types)


def _fragment(says: str) -> str:
    """The message regex as readable text: escapes dropped, ``.*`` shown as ``…``."""
    text = re.sub(r"\\(.)", r"\1", says).replace(".*", "…").replace("|", "/")
    return f"`{text}`"


def _row(entry: str, given: str, raises, says: str) -> str:
    assert (
        "|" not in entry + given
    ), f"a '|' would split the table row: {entry!r} {given!r}"
    return f"| `{entry}` | {given} | {_kind(raises)}: {_fragment(says)} |"


#: nicer titles for some banners of test_bad_input.py (any other banner is used as is)
TITLES = {
    "ops": "Ops",
    "autograd": "Autograd",
    "nn": "nn",
    "losses": "nn.functional (losses)",
    "optim": "optim",
    "data": "data",
    "training": "train",
    "checkpoints": "save",
    "linear models, viz, testing": "linear, viz, debug, testing",
}

HEADER = "| entry point | bad input | raises: message contains |\n|---|---|---|"


def _groups() -> list[tuple[str, list[str]]]:
    """The rows of BAD_INPUTS grouped by the ``# ---- title ----`` banners of its
    source, then BAD_FILES as the ``load`` group."""
    source = inspect.getsource(test_bad_input)
    body = source[source.index("BAD_INPUTS: list[Bad] = [") :]
    body = body[: body.index("\n]\n")]
    titles, counts = [], []
    for line in body.splitlines():
        banner = re.match(r"\s*# ---- (.+?) ----", line)
        if banner:
            titles.append(banner.group(1))
            counts.append(0)
        elif re.match(r"\s*Bad\(", line):
            if not titles:
                titles.append("other")
                counts.append(0)
            counts[-1] += 1
    rows = [_row(b.entry, b.given, b.raises, b.says) for b in BAD_INPUTS]
    if sum(counts) != len(rows):  # the source layout changed: one group, still complete
        titles, counts = ["every entry point"], [len(rows)]
    groups, start = [], 0
    for title, n in zip(titles, counts):
        groups.append((TITLES.get(title, title), rows[start : start + n]))
        start += n
    groups.append(("load", [_row("load", g, r, s) for g, _, r, s in BAD_FILES]))
    return groups


def errors_tables() -> str:
    """The tables of the README's Errors section, as they must appear there."""
    parts = []
    for title, rows in _groups():
        parts.append(f"**{title}**\n\n{HEADER}\n" + "\n".join(rows))
    return "\n\n".join(parts)


def _section(text: str, heading: str) -> str:
    match = re.search(
        rf"^## {re.escape(heading)}\s*$(.*?)(?=^## |\Z)", text, re.M | re.S
    )
    assert match, f"README.md has no '## {heading}' section"
    return match.group(1)


def test_errors_section_is_the_bad_input_table():
    errors = _section(README.read_text(encoding="utf-8"), "Errors")
    in_readme = {
        line.strip()
        for line in errors.splitlines()
        if line.startswith("| `") and line.rstrip().endswith("|")
    }
    expected = {row for _, rows in _groups() for row in rows}
    missing = sorted(expected - in_readme)
    stale = sorted(in_readme - expected)
    hint = "regenerate the tables with: python -m tests.test_readme"
    assert (
        not missing
    ), f"rows of BAD_INPUTS missing from README's Errors ({hint}):\n" + "\n".join(
        missing
    )
    assert not stale, f"README rows not in BAD_INPUTS ({hint}):\n" + "\n".join(stale)
    for bad in BAD_INPUTS:  # the letter of the contract: names and exception types
        assert f"`{bad.entry}`" in errors
        types = bad.raises if isinstance(bad.raises, tuple) else (bad.raises,)
        assert all(t.__name__ in errors for t in types)


# ---- 2. the examples -----------------------------------------------------------------


def _python_blocks() -> list[tuple[str, str]]:
    """(id, code) of every ```python block, the id naming its section and line; the
    code is padded with blank lines so that tracebacks give README.md's line numbers."""
    text = README.read_text(encoding="utf-8")
    headings, fenced = [], False  # (line, title) of the headings outside code blocks
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#+ ", line):
            headings.append((number, line.lstrip("#").strip()))
    blocks = []
    for match in re.finditer(r"^```python[ \t]*\n(.*?)^```[ \t]*$", text, re.M | re.S):
        line = text.count("\n", 0, match.start()) + 1
        above = [title for number, title in headings if number < line]
        section = re.sub(r"\W+", "-", above[-1]).strip("-").lower() if above else "top"
        blocks.append((f"line{line}-{section}", "\n" * line + match.group(1)))
    return blocks


BLOCKS = _python_blocks()


def test_readme_has_examples():
    assert len(BLOCKS) >= 10


@pytest.mark.parametrize("code", [c for _, c in BLOCKS], ids=[i for i, _ in BLOCKS])
def test_readme_example_runs(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    if "plot" in code:
        pytest.importorskip("matplotlib")
    if "hypothesis" in code:
        pytest.importorskip("hypothesis")
    namespace = {"__name__": "__readme__"}
    exec(compile(code, str(README), "exec"), namespace)  # noqa: S102 - our own README
    for name, value in list(namespace.items()):
        if name.startswith("test_") and callable(value):
            value()


if __name__ == "__main__":
    print(errors_tables())
