"""Hostile checkpoint files, generated: every one gives ``ValueError`` naming the file.

Hypothesis builds real checkpoints and then breaks them:

- the manifest: a random subtree replaced by random JSON (nodes of every type with
  random fields, huge or negative numbers, NaN, deep lists) — the load either returns
  (a manifest can describe other valid contents) or raises ``ValueError``;
- the members: cut short, padded, swapped for another dtype or shape, listed twice,
  renamed, wrapped in a nested zip, or given a zip directory that lies about their
  size or CRC — always ``ValueError``.

Never another exception, never a hang: each example is bounded by hypothesis's
``max_examples`` and the files are small.
"""

from __future__ import annotations

import io as std_io
import json
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
from tinygrad_edu import io

from ._zipcraft import npy_bytes, stored, zip_archive

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

arrays = hnp.arrays(
    st.sampled_from([np.float32, np.float64, np.int64, np.bool_]),
    hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
)
states = st.dictionaries(
    st.sampled_from(["w", "b", "layers.0.weight", "x/y"]),
    arrays,
    min_size=1,
    max_size=3,
).map(
    lambda d: {"model": d, "lr": 0.1, "state": [{"step": 3, "v": list(d.values())[0]}]}
)

FIELDS = [
    "type",
    "items",
    "key",
    "shape",
    "dtype",
    "value",
    "requires_grad",
    "format",
    "version",
    "tree",
]
TYPES = ["scalar", "array", "tensor", "numpy_scalar", "dict", "list", "tuple", "pickle"]
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.sampled_from(TYPES),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["<f4", "<i8", "|O", "|b1", "<U3", "V8", "w", "model/w"]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(FIELDS) | st.text(max_size=4), inner, max_size=5
        ),
    ),
    max_leaves=20,
)


def checkpoint_members(state) -> list[tuple[str, bytes]]:
    """The (name, bytes) members of the checkpoint ``save`` writes for ``state``."""
    buffer = std_io.BytesIO()
    arrays_: dict = {}
    tree = io._flatten(state, "", arrays_)
    arrays_[io.MARKER] = np.array(
        json.dumps({"format": io.FORMAT, "version": io.VERSION, "tree": tree})
    )
    np.savez(buffer, **arrays_)
    with zipfile.ZipFile(buffer) as archive:
        return [(name, archive.read(name)) for name in archive.namelist()]


def subtrees(node, path=()):
    """Every (path, subtree) of a JSON value."""
    yield path, node
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node) if isinstance(node, list) else ()
    )
    for key, child in children:
        yield from subtrees(child, path + (key,))


def replaced(node, path, value):
    if not path:
        return value
    node = dict(node) if isinstance(node, dict) else list(node)
    node[path[0]] = replaced(node[path[0]], path[1:], value)
    return node


def load_bytes(tmp_path, data: bytes):
    path = tmp_path / "hostile.npz"
    path.write_bytes(data)
    return tg.load(path)


def expect_value_error(tmp_path, data: bytes) -> None:
    with pytest.raises(ValueError) as error:
        load_bytes(tmp_path, data)
    assert str(error.value).startswith(
        f"load: '{tmp_path / 'hostile.npz'}'"
    ), error.value


@SETTINGS
@given(state=states, data=st.data())
def test_mutated_manifests_load_or_raise_value_error(tmp_path, state, data):
    members = dict(checkpoint_members(state))
    manifest = json.loads(str(np.load(std_io.BytesIO(members[io.MARKER + ".npy"]))[()]))
    path, _ = data.draw(st.sampled_from(list(subtrees(manifest))), label="where")
    manifest = replaced(manifest, path, data.draw(json_values, label="what"))
    members[io.MARKER + ".npy"] = npy_bytes(np.array(json.dumps(manifest)))
    try:
        load_bytes(tmp_path, zip_archive([stored(n, b) for n, b in members.items()]))
    except ValueError as error:
        assert str(error).startswith("load: '"), error


def _cut(name, body, n):
    return [stored(name, body[: max(0, len(body) - n)])]


def _pad(name, body, n):
    return [stored(name, body + bytes(n))]


def _retype(name, body, n):
    array = np.load(std_io.BytesIO(body))
    other = np.zeros(
        array.shape, np.float16 if array.dtype != np.float16 else np.float32
    )
    return [stored(name, npy_bytes(other if n % 2 else other.reshape(-1, 1)))]


def _twice(name, body, n):
    return [stored(name, body), stored(name, body)]


def _rename(name, body, n):
    return [stored(name[:-4] + ".bin", body)]


def _nest(name, body, n):
    return [stored(name, zip_archive([stored(name, body)]))]


def _lie_size(name, body, n):
    return [(name, body, zlib.crc32(body), len(body) + n, 0)]


def _lie_crc(name, body, n):
    return [(name, body, zlib.crc32(body) ^ n, len(body), 0)]


def _objects(name, body, n):
    return [stored(name, npy_bytes(np.array([None] * n, dtype=object)))]


BREAKS = [_cut, _pad, _retype, _twice, _rename, _nest, _lie_size, _lie_crc, _objects]


@SETTINGS
@given(state=states, data=st.data(), n=st.integers(1, 300))
def test_broken_members_raise_value_error(tmp_path, state, data, n):
    members = checkpoint_members(state)
    target = data.draw(st.sampled_from([name for name, _ in members]), label="member")
    brk = data.draw(st.sampled_from(BREAKS), label="break")
    entries = []
    for name, body in members:
        entries += brk(name, body, n) if name == target else [stored(name, body)]
    if brk is _retype and target == io.MARKER + ".npy":
        return  # a retyped manifest string is just another string; the manifest tests cover it
    expect_value_error(tmp_path, zip_archive(entries))


@SETTINGS
@given(state=states, data=st.data())
def test_cut_files_raise_value_error(tmp_path, state, data):
    whole = zip_archive([stored(n, b) for n, b in checkpoint_members(state)])
    cut = data.draw(st.integers(0, len(whole) - 1), label="cut")
    expect_value_error(tmp_path, whole[:cut])


@SETTINGS
@given(state=states)
def test_the_generated_checkpoints_are_valid(tmp_path, state):
    """Guard for the tests above: unbroken, the hand-assembled files load as saved."""
    loaded = load_bytes(
        tmp_path, zip_archive([stored(n, b) for n, b in checkpoint_members(state)])
    )
    assert sorted(loaded["model"]) == sorted(state["model"])
    for key, array in state["model"].items():
        assert loaded["model"][key].dtype == array.dtype
        np.testing.assert_array_equal(loaded["model"][key], array)
