"""Backward as an interactive page: ``animate_backward(loss)``.

The frames of ``render_backward`` (``backward.py``), drawn as SVG and inlined into
one HTML page with a few lines of plain JavaScript: no network, no library. The
page steps with its buttons, the ←/→ keys and ``#step=k`` in the URL.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from typing import Any

from ..tensor import Tensor
from ._format import escape_html
from .backward import BackwardFrame, backward_frames
from .graph import backward_order
from .render import dot_to

#: animate_backward refuses graphs whose backward takes more steps than this
MAX_FRAMES = 80

_STYLE = """
body { font-family: sans-serif; margin: 1em; }
.controls { display: flex; gap: 1em; align-items: center; margin-bottom: .5em; }
.controls button { font-size: 1em; padding: .2em .8em; }
.caption { font-family: monospace; background: #f4f4f4; padding: .5em; margin: 0; }
.picture svg { max-width: 100%; height: auto; }
.frame[hidden] { display: none; }
"""

# plain JavaScript, no library: show one frame, keep the URL fragment in step
_SCRIPT = """
(function () {
  var frames = document.querySelectorAll(".frame");
  var counter = document.getElementById("counter");
  var player = document.getElementById("player");
  var current = 0;
  function show(k, keepUrl) {
    current = Math.max(0, Math.min(frames.length - 1, k));
    for (var i = 0; i < frames.length; i++) { frames[i].hidden = i !== current; }
    counter.textContent = "frame " + current + " / " + (frames.length - 1);
    player.setAttribute("data-current", String(current));
    if (!keepUrl && history.replaceState) {
      try { history.replaceState(null, "", "#step=" + current); } catch (e) {}
    }
  }
  function fromUrl() {
    var match = /step=(\\d+)/.exec(location.hash);
    show(match ? parseInt(match[1], 10) : 0, true);
  }
  document.getElementById("prev").onclick = function () { show(current - 1); };
  document.getElementById("next").onclick = function () { show(current + 1); };
  document.addEventListener("keydown", function (event) {
    if (event.key === "ArrowLeft") { show(current - 1); }
    if (event.key === "ArrowRight") { show(current + 1); }
  });
  window.addEventListener("hashchange", fromUrl);
  fromUrl();
})();
"""


def _svg(dot: str) -> str:
    """The frame drawn as inline SVG (the XML prolog dropped), or its DOT text
    when the Graphviz program is missing."""
    if shutil.which("dot") is None:
        return ("<p>(the Graphviz program 'dot' is not installed: the frame's DOT "
                f"text instead)</p><pre>{html.escape(dot)}</pre>")
    svg = dot_to(dot, "svg").decode("utf-8")
    return svg[svg.index("<svg"):]


def _section(k: int, frame: BackwardFrame, svg: str) -> str:
    hidden = "" if k == 0 else " hidden"
    return (f'<section class="frame" id="frame-{k}" data-step="{k}"{hidden}>\n'
            f"<h2>{escape_html(frame.title)}</h2>\n"
            f'<p class="caption">{escape_html(frame.caption)}</p>\n'
            f'<div class="picture">{svg}</div>\n</section>')


class BackwardPlayer:
    """The backward pass as one self-contained page (see ``animate_backward``)."""

    def __init__(self, frames: list[BackwardFrame]) -> None:
        self.frames = frames
        self.svgs = [_svg(frame.dot) for frame in frames]  # drawn once
        self._page: str | None = None

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        return (f"<BackwardPlayer: {len(self.frames)} frames; .save('backward.html') "
                "writes the page, Jupyter shows it inline>")

    def html(self) -> str:
        """The standalone page: every frame's SVG inline, plain JavaScript."""
        if self._page is None:
            sections = "\n".join(_section(k, frame, svg) for k, (frame, svg)
                                  in enumerate(zip(self.frames, self.svgs)))
            self._page = (
                '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                "<title>backward, frame by frame</title>\n"
                f"<style>{_STYLE}</style>\n</head>\n<body>\n"
                '<div id="player" data-current="0">\n<div class="controls">'
                '<button id="prev">← previous</button>'
                f'<span id="counter">frame 0 / {len(self.frames) - 1}</span>'
                '<button id="next">next →</button>'
                "<span>(or the ←/→ keys; #step=k in the URL)</span></div>\n"
                f"{sections}\n</div>\n<script>{_SCRIPT}</script>\n</body>\n</html>\n"
            )
        return self._page

    def _repr_html_(self) -> str:
        # in a notebook the page runs in an iframe of its own: its keys and styles
        # stay inside it, and the notebook's URL is left alone
        height = 160 + max(_height(svg) for svg in self.svgs)
        return (f'<iframe srcdoc="{html.escape(self.html(), quote=True)}" '
                f'style="width: 100%; height: {height}px; border: 1px solid #ddd">'
                "</iframe>")

    def save(self, path: str | Path) -> Path:
        """Write the standalone page to ``path`` (``.html``); returns the path."""
        path = Path(path)
        if path.suffix.lower() not in (".html", ".htm"):
            raise ValueError(
                f"BackwardPlayer.save: the page is HTML; use a path ending in .html, "
                f"got {path.name!r}"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.html(), encoding="utf-8")
        return path


def _height(svg: str) -> int:
    """Pixels a frame's picture needs (from its SVG, capped), for the iframe."""
    match = re.search(r'<svg width="(\d+)pt" height="(\d+)pt"', svg)
    return min(900, int(int(match.group(2)) * 4 / 3)) if match else 400


def animate_backward(loss: Tensor, names: Any = None, max_frames: int = MAX_FRAMES,
                     **kwargs: Any) -> BackwardPlayer:
    """Backpropagation as an interactive page, one frame per step of the sweep.

    Frame 0 is the graph after the forward pass; frame k highlights the k-th tensor
    backward visits, with a caption saying which op it is, its local derivatives
    (for scalars) and which gradient arrives. The page steps with its buttons, the
    ←/→ keys and ``#step=k`` in the URL (``backward.html#step=3`` opens frame 3).

    The gradients come from the engine (``tinygrad_edu.gradients``) and no ``.grad``
    changes; call it before ``loss.backward()`` (or after
    ``backward(retain_graph=True)``). ``names`` as in ``to_dot``; other keyword
    arguments go to ``to_dot`` too.

    Bad input: a tensor without a graph (no ``requires_grad``, or a leaf) raises
    ``RuntimeError``; a graph whose backward takes more than ``max_frames`` steps
    (or whose picture has more than ``to_dot``'s ``max_nodes``) raises
    ``ValueError`` saying so — draw a smaller graph (one sample, one neuron)
    rather than a collapsed view, whose steps would not be backward's.

    Returns a ``BackwardPlayer``: shown inline in Jupyter (``_repr_html_``, the page
    in an iframe), ``.save("backward.html")`` writes the page, ``.html()`` is its
    text. Drawing the frames needs the Graphviz program (else each frame shows its
    DOT text).
    """
    if not isinstance(loss, Tensor):
        raise TypeError(f"animate_backward: expected a Tensor, got "
                        f"{type(loss).__name__}")
    if loss.requires_grad and loss.grad_fn is None:
        raise RuntimeError(
            "animate_backward: the tensor is a leaf (no op made it), so backward has "
            "nothing to step through; pass the result of a computation, e.g. a loss"
        )
    if loss.requires_grad:
        steps = sum(t.requires_grad for t in backward_order(loss))
        if steps > max_frames:
            raise ValueError(
                f"animate_backward: backward through this graph takes {steps} steps, "
                f"more than max_frames={max_frames}; a player that long teaches "
                "nothing. Animate a smaller graph (one sample, one neuron) or pass a "
                "larger max_frames"
            )
    return BackwardPlayer(backward_frames(loss, what="animate_backward", names=names,
                                          **kwargs))
