"""Compact displays: plain-text tables for ``print`` and HTML tables for Jupyter.

Every result object that can be long (``History``, the ``lr_find`` result, the stats
tables, ``diagnose``'s report, ``explain_backward``'s records) shows at most ~20
lines of text and, in a notebook, an HTML table (``_repr_html_``) built here.

>>> print(text_table(["name", "value"], [["a", 1.0], ["bb", 0.123456]]))
name  value
----  ------
a          1
bb    0.1235
>>> page = html_table(["name"], [["a<b"]])
>>> "<table>" in page and "a&lt;b" in page
True
"""

from __future__ import annotations

import html
from typing import Any, Iterable, Sequence

import numpy as np

MAX_ROWS = 14  # table rows shown before the middle is elided


def format_cell(value: Any) -> str:
    """One table cell: 4 significant digits for numbers, '-' for missing."""
    if value is None:
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    return str(value)


def text_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain-text table: strings left-aligned, numbers right-aligned."""
    raw = [list(row) for row in rows]
    cells = [[format_cell(v) for v in row] for row in raw]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]

    def line(row: Sequence[str], values: Sequence[Any] | None = None) -> str:
        parts = []
        for i, (cell, width) in enumerate(zip(row, widths)):
            numeric = values is not None and isinstance(
                values[i], (int, float, np.number)
            )
            numeric = numeric and not isinstance(values[i], (bool, np.bool_))
            parts.append(cell.rjust(width) if numeric else cell.ljust(width))
        return "  ".join(parts).rstrip()

    out = [line(list(headers)), "  ".join("-" * w for w in widths)]
    out += [line(row, values) for row, values in zip(cells, raw)]
    return "\n".join(out)


def elide(rows: Sequence[Any], max_rows: int = MAX_ROWS) -> list[Any]:
    """The first and last rows of a long list with a ``None`` marker between them.

    >>> elide(list(range(10)), max_rows=4)
    [0, 1, None, 8, 9]
    """
    rows = list(rows)
    if len(rows) <= max_rows:
        return rows
    head = max_rows // 2
    return rows[:head] + [None] + rows[len(rows) - (max_rows - head) :]


def short_text_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], max_rows: int = MAX_ROWS
) -> str:
    """``text_table`` of at most ``max_rows`` rows, ``...`` marking the elided ones."""
    shown = elide(rows, max_rows)
    marker = ["..."] + [""] * (len(headers) - 1)
    return text_table(headers, [marker if row is None else row for row in shown])


def html_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    caption: str = "",
    max_rows: int = MAX_ROWS,
) -> str:
    """An HTML ``<table>`` (escaped cells, numbers to 4 digits), long ones elided."""
    parts = ["<table>"]
    if caption:
        parts.append(f"<caption>{html.escape(caption)}</caption>")
    parts.append(
        "<thead><tr>"
        + "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
        + "</tr></thead><tbody>"
    )
    for row in elide(rows, max_rows):
        if row is None:
            parts.append(f'<tr><td colspan="{len(headers)}">…</td></tr>')
            continue
        cells = "".join(f"<td>{html.escape(format_cell(v))}</td>" for v in row)
        parts.append(f"<tr>{cells}</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)
