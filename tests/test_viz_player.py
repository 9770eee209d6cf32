"""viz.animate_backward: the frames and their captions, the self-contained page, bad
input, and the page stepping in a real headless browser (Chromium)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import viz

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)


def neuron():
    """o = tanh(x1·w1 + x2·w2 + b), Karpathy's neuron: every value a scalar."""
    x1, x2 = tg.Tensor(2.0, name="x1"), tg.Tensor(0.0, name="x2")
    w1 = tg.Tensor(-3.0, requires_grad=True, name="w1")
    w2 = tg.Tensor(1.0, requires_grad=True, name="w2")
    b = tg.Tensor(6.8813735870195432, requires_grad=True, name="b")
    z = x1 * w1 + x2 * w2 + b
    o = z.tanh()
    return o, dict(w1=w1, w2=w2, b=b, z=z, o=o)


def sections(page: str) -> list[str]:
    return re.findall(r"<section [^>]*>", page)


def test_one_frame_per_backward_step_with_captions():
    o, names = neuron()
    player = viz.animate_backward(o, names=names)
    steps = [t for t in tg.autograd.toposort(o) if t.requires_grad]
    assert len(player) == len(steps) + 1  # frame 0: before backward
    first, second = player.frames[1].caption, player.frames[2].caption
    assert first.startswith("o receives its full gradient 1; tanh")
    local = 1 - np.tanh(-6 + 6.8813735870195432) ** 2  # d tanh(z)/dz
    assert f"z gets 1 × {local:.4g} = {local:.4g}" in first
    assert second.startswith(f"z receives its full gradient {local:.4g}; add")
    assert all(t.grad is None for t in (names["w1"], names["w2"], names["b"]))


def test_the_page_is_self_contained(tmp_path):
    o, names = neuron()
    player = viz.animate_backward(o, names=names)
    page = player.html()
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == len(player)
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # no network
    assert "<script src" not in page and "<link" not in page
    tags = sections(page)
    assert len(tags) == len(player) and "hidden" not in tags[0]
    assert all("hidden" in tag for tag in tags[1:])  # without scripts: frame 0
    path = player.save(tmp_path / "out" / "backward.html")
    assert path.read_text(encoding="utf-8") == page
    inline = player._repr_html_()  # Jupyter: the same page in an iframe of its own
    assert inline.startswith("<iframe srcdoc=") and "&lt;!DOCTYPE html&gt;" in inline
    with pytest.raises(ValueError, match="save.*html"):
        player.save(tmp_path / "backward.svg")


def test_bad_input_gives_clear_errors():
    with pytest.raises(RuntimeError, match="animate_backward.*no graph"):
        viz.animate_backward(tg.Tensor([1.0, 2.0]).sum())
    with pytest.raises(RuntimeError, match="animate_backward.*leaf"):
        viz.animate_backward(tg.Tensor(1.0, requires_grad=True))
    with pytest.raises(TypeError, match="animate_backward.*list"):
        viz.animate_backward([1.0])
    with pytest.raises(TypeError, match=r"animate_backward: unknown.*\['colour'\]"):
        viz.animate_backward(neuron()[0], colour="red")
    x = tg.Tensor(0.5, requires_grad=True)
    y = x
    for _ in range(100):
        y = y.tanh()
    with pytest.raises(ValueError, match=r"animate_backward.*101 steps.*max_frames=80"):
        viz.animate_backward(y)
    x = tg.Tensor(0.5, requires_grad=True)
    y = (x * 2).tanh()
    y.backward()
    with pytest.raises(RuntimeError, match="animate_backward.*freed.*retain_graph"):
        viz.animate_backward(y)


def dump_dom(tmp_path, url: str) -> str:
    """The DOM after the page's scripts ran, from headless Chromium."""
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed; .ci/run installs it (apt-get "
                        "install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    profile = tmp_path / "profile"
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", "--virtual-time-budget=2000",
               "--dump-dom", url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.parametrize("fragment, shown", [("#step=3", 3), ("", 0),
                                             ("#step=99", "last")])
def test_the_page_steps_in_a_headless_browser(tmp_path, fragment, shown):
    o, names = neuron()
    player = viz.animate_backward(o, names=names)
    path = player.save(tmp_path / "backward.html")
    dom = dump_dom(tmp_path, path.resolve().as_uri() + fragment)
    shown = len(player) - 1 if shown == "last" else shown  # out of range: clamped
    tags = sections(dom)
    assert len(tags) == len(player)
    visible = [tag for tag in tags if "hidden" not in tag]
    assert visible == [f'<section class="frame" id="frame-{shown}" '
                       f'data-step="{shown}">']
    assert f'data-current="{shown}"' in dom
    assert f"frame {shown} / {len(player) - 1}" in dom


@pytest.mark.parametrize("action, shown", [
    ('document.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowRight"}));', 4),
    ('document.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowLeft"}));', 2),
    ('document.getElementById("next").click(); '
     'document.getElementById("next").click();', 5),
    ('document.getElementById("prev").click();', 2),
])
def test_keys_and_buttons_step_in_a_headless_browser(tmp_path, action, shown):
    o, names = neuron()
    page = viz.animate_backward(o, names=names).html()
    # the user's key press or click, played by a script after the page's own
    page = page.replace("</body>", f"<script>{action}</script>\n</body>")
    path = tmp_path / "backward.html"
    path.write_text(page, encoding="utf-8")
    dom = dump_dom(tmp_path, path.resolve().as_uri() + "#step=3")
    visible = [tag for tag in sections(dom) if "hidden" not in tag]
    assert visible == [f'<section class="frame" id="frame-{shown}" '
                       f'data-step="{shown}">']
