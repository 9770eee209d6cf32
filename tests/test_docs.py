"""The README and docs/ are true: the Errors tables are the bad-input tests, and every
example runs.

1. ``docs/errors.md`` holds exactly one table row per row of ``BAD_INPUTS`` and
   ``BAD_FILES`` (``tests/reliability/test_bad_input.py``): the entry point, the bad
   input, the exception type(s) and the message fragment the test checks. A row
   added, changed or removed there fails here until the page follows. Print the
   tables to paste into it with::

       python -m tests.test_docs

2. Every ```python block of README.md and of docs/*.md is executed, in a fresh
   namespace and a temporary working directory (``MPLBACKEND=Agg``); the ``test_*``
   functions a block defines (e.g. a hypothesis property test) are then called too.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from .reliability import test_bad_input
from .reliability.test_bad_input import BAD_FILES, BAD_INPUTS

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
ERRORS = ROOT / "docs" / "errors.md"
#: every page whose ```python blocks must run
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]


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
    """The tables of docs/errors.md, as they must appear there."""
    parts = []
    for title, rows in _groups():
        parts.append(f"**{title}**\n\n{HEADER}\n" + "\n".join(rows))
    return "\n\n".join(parts)


def test_errors_page_is_the_bad_input_table():
    errors = ERRORS.read_text(encoding="utf-8")
    on_page = {
        line.strip()
        for line in errors.splitlines()
        if line.startswith("| `") and line.rstrip().endswith("|")
    }
    expected = {row for _, rows in _groups() for row in rows}
    missing = sorted(expected - on_page)
    stale = sorted(on_page - expected)
    hint = "regenerate the tables with: python -m tests.test_docs"
    assert (
        not missing
    ), f"rows of BAD_INPUTS missing from docs/errors.md ({hint}):\n" + "\n".join(
        missing
    )
    assert not stale, f"docs/errors.md rows not in BAD_INPUTS ({hint}):\n" + "\n".join(stale)
    for bad in BAD_INPUTS:  # the letter of the contract: names and exception types
        assert f"`{bad.entry}`" in errors
        types = bad.raises if isinstance(bad.raises, tuple) else (bad.raises,)
        assert all(t.__name__ in errors for t in types)


# ---- 2. the examples -----------------------------------------------------------------


def _python_blocks(page: Path) -> list[tuple[str, str, Path]]:
    """(id, code, page) of every ```python block of a page, the id naming the page, its
    section and line; the code is padded with blank lines so that tracebacks give the
    page's line numbers."""
    text = page.read_text(encoding="utf-8")
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
        name = f"{page.stem}-line{line}-{section}"
        blocks.append((name, "\n" * line + match.group(1), page))
    return blocks


BLOCKS = [block for page in PAGES for block in _python_blocks(page)]


def test_readme_has_the_tour():
    assert sum(page == README for _, _, page in BLOCKS) >= 4


@pytest.mark.parametrize(
    "code, page", [(c, p) for _, c, p in BLOCKS], ids=[i for i, _, _ in BLOCKS]
)
def test_example_runs(code, page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    if "plot" in code:
        pytest.importorskip("matplotlib")
    if "hypothesis" in code:
        pytest.importorskip("hypothesis")
    namespace = {"__name__": "__docs__"}
    exec(compile(code, str(page), "exec"), namespace)  # noqa: S102 - our own docs
    for name, value in list(namespace.items()):
        if name.startswith("test_") and callable(value):
            value()


if __name__ == "__main__":
    print(errors_tables())
