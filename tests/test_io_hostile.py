"""io.load on hostile files: manifests nested 100,000 deep or with malformed nodes,
members truncated or longer than their header says, a real zip bomb, and the
``max_bytes`` limit. Every one is a ValueError naming the file and the problem."""

import os
import re
import zipfile

import numpy as np
import pytest

from tinygrad_edu import io
from tinygrad_edu.io import load, save

from .test_io import _assert_same

# ---- hostile manifests (issue 18.3) ----------------------------------------------------------


def _with_manifest(tmp_path, manifest_text: str, members=(), name="hostile.npz"):
    """A checkpoint file whose manifest is ``manifest_text`` (JSON), plus ``members``."""
    from tests.reliability._zipcraft import npy_bytes, stored, zip_archive

    entries = [stored(io.MARKER + ".npy", npy_bytes(np.array(manifest_text)))]
    entries += [stored(f"{key}.npy", npy_bytes(array)) for key, array in members]
    path = tmp_path / name
    path.write_bytes(zip_archive(entries))
    return path


def _manifest(tree) -> str:
    import json

    return json.dumps({"format": io.FORMAT, "version": io.VERSION, "tree": tree})


def test_a_manifest_nested_100000_levels_deep_is_a_value_error(tmp_path):
    deep = '{"type": "list", "items": [' * 100_000 + "]}" * 100_000
    path = _with_manifest(tmp_path, _manifest(None).replace("null", deep))
    with pytest.raises(ValueError, match=r"hostile.npz.*nests deeper than 64"):
        load(path)
    unbalanced = _manifest(None).replace("null", "[" * 100_000)  # not even valid JSON
    with pytest.raises(ValueError, match=r"hostile.npz.*nests deeper than 64"):
        load(_with_manifest(tmp_path, unbalanced))


W = np.ones(2, dtype=np.int64)
WNODE = {"type": "array", "key": "w", "shape": [2], "dtype": W.dtype.str}

MALFORMED = [
    (
        "int data that requires grad",
        {**WNODE, "type": "tensor", "requires_grad": True},
        "'w'.*requires_grad|only floating",
    ),
    ('"items": 5', {"type": "list", "items": 5}, "'items' must be a list"),
    (
        "a list as a dict key",
        {"type": "dict", "items": [[["w"], WNODE]]},
        "key, node. pair",
    ),
    (
        "a bool as a dict key",
        {"type": "dict", "items": [[True, WNODE]]},
        "key, node. pair",
    ),
    (
        "a duplicate dict key",
        {"type": "dict", "items": [["a", WNODE], ["a", WNODE]]},
        "with a new key",
    ),
    (
        "a dict item of 3",
        {"type": "dict", "items": [["a", WNODE, 1]]},
        "key, node. pair",
    ),
    ("a node that is a number", 5, "expected a node, got int"),
    ("a node without a type", {"items": []}, "unknown node type None"),
    (
        "an unknown type",
        {"type": "pickle", "data": "..."},
        "unknown node type 'pickle'",
    ),
    ("an extra field", {**WNODE, "code": "rm -rf"}, "fields"),
    ("a scalar that is a list", {"type": "scalar", "value": [1]}, "a scalar cannot be"),
    ("a negative shape", {**WNODE, "shape": [-2]}, "bad key .* shape"),
    ("a bool in a shape", {**WNODE, "shape": [True, 2]}, "bad key .* shape"),
    ("a shape that is a string", {**WNODE, "shape": "2"}, "bad key .* shape"),
    ("a key that is a number", {**WNODE, "key": 3}, "bad key"),
    (
        "a numpy scalar with a shape",
        {**WNODE, "type": "numpy_scalar"},
        "bad key .* shape",
    ),
    ("requires_grad 1", {**WNODE, "type": "tensor", "requires_grad": 1}, "true/false"),
    ("the wrong shape", {**WNODE, "shape": [3]}, r"'w' has shape \(2,\).*shape \(3,\)"),
    ("the wrong dtype", {**WNODE, "dtype": "<f8"}, "'w' has shape .* dtype <i8.*<f8"),
    (
        "a missing member",
        {**WNODE, "key": "v"},
        "'v' is listed in the manifest but missing",
    ),
    (
        "a member used twice",
        {"type": "list", "items": [WNODE, WNODE]},
        "'w' is used twice",
    ),
    ("a member not listed", {"type": "scalar", "value": 1}, r"\['w'\] are not listed"),
    (
        "the manifest listed as an array",
        {**WNODE, "key": io.MARKER, "shape": [], "dtype": "<U1"},
        "used twice|has shape",
    ),
]


@pytest.mark.parametrize("given, tree, says", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_manifest_nodes_are_value_errors_naming_the_file(
    tmp_path, given, tree, says
):
    path = _with_manifest(tmp_path, _manifest(tree), members=[("w", W)])
    with pytest.raises(ValueError, match="load: '.*hostile.npz': ") as error:
        load(path)
    assert re.search(says, str(error.value)), str(error.value)


@pytest.mark.parametrize(
    "text, says",
    [
        ("[1, 2]", "unknown format"),
        (
            '{"format": "tinygrad_edu.checkpoint", "version": 99, "tree": null}',
            "version 99",
        ),
        (
            '{"format": "tinygrad_edu.checkpoint", "version": 1, "tree": null, "x": 1}',
            "unexpected fields",
        ),
        ("{not json", "manifest is corrupt"),
        ('"\\ud800"', "unknown format"),
    ],
)
def test_malformed_manifests_are_value_errors(tmp_path, text, says):
    with pytest.raises(ValueError, match=says):
        load(_with_manifest(tmp_path, text))


def test_a_manifest_that_is_not_a_string_is_a_value_error(tmp_path):
    from tests.reliability._zipcraft import npy_bytes, stored, zip_archive

    path = tmp_path / "numbers.npz"
    path.write_bytes(zip_archive([stored(io.MARKER + ".npy", npy_bytes(np.arange(3)))]))
    with pytest.raises(
        ValueError, match="numbers.npz.*manifest is corrupt: a int64 array"
    ):
        load(path)


def test_nesting_up_to_max_depth_round_trips_and_deeper_is_refused_by_save(tmp_path):
    deepest = {"w": np.ones(1)}
    for i in range(io.MAX_DEPTH - 1):
        deepest = [deepest] if i % 2 else {"k": deepest}
    save(deepest, tmp_path / "deep.npz")
    _assert_same(deepest, load(tmp_path / "deep.npz"))
    with pytest.raises(ValueError, match="save: containers nested deeper than 64"):
        save([deepest], tmp_path / "deeper.npz")
    looped = []
    looped.append(looped)
    with pytest.raises(ValueError, match="does a container hold itself"):
        save(looped, tmp_path / "loop.npz")
    assert sorted(os.listdir(tmp_path)) == ["deep.npz"]


# ---- truncated and overlong members (issues 18.4, 18.5) ----------------------------------------


def test_a_member_shorter_than_its_header_declares_is_called_truncated(tmp_path):
    from tests.reliability._zipcraft import npy_bytes, stored, zip_archive

    whole = npy_bytes(np.arange(100, dtype=np.float32))
    tree = {"type": "array", "key": "w", "shape": [100], "dtype": "<f4"}
    for cut in [1, 100, len(whole) - 1]:  # a consistent zip (CRC of what is there)
        path = tmp_path / f"cut{cut}.npz"
        path.write_bytes(
            zip_archive(
                [
                    stored(io.MARKER + ".npy", npy_bytes(np.array(_manifest(tree)))),
                    stored("w.npy", whole[: len(whole) - cut]),
                ]
            )
        )
        with pytest.raises(ValueError) as error:
            load(path)
        message = str(error.value)
        assert f"cut{cut}.npz" in message and "'w' is truncated" in message, message
        assert "pickle" not in message
        if cut < 400:  # the header is whole: the message says what it declares
            assert "shape (100,)" in message and "400 bytes" in message, message


def test_a_member_longer_than_its_header_needs_is_refused(tmp_path):
    from tests.reliability._zipcraft import npy_bytes, stored, zip_archive

    data = npy_bytes(np.arange(10, dtype=np.float32)) + bytes(1000)
    path = tmp_path / "long.npz"
    path.write_bytes(zip_archive([stored("w.npy", data)]))
    with pytest.raises(
        ValueError, match=r"long.npz.*'w' holds 1040 bytes.*need 40.*zip bomb"
    ):
        load(path)


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory):
    """A real zip bomb: 389 KB on disk, a float32 array of 400 MB once decompressed,
    with an honest .npy header (shape (100000, 1000)) and a correct CRC."""
    from tests.reliability._zipcraft import deflate_bomb, npy_header, zip_archive

    data, crc, size = deflate_bomb(npy_header((100_000, 1000)), 400_000_000, 4_000_000)
    path = tmp_path_factory.mktemp("bomb") / "bomb.npz"
    path.write_bytes(zip_archive([("w.npy", data, crc, size, zipfile.ZIP_DEFLATED)]))
    return path


def test_the_zip_bomb_is_real(zip_bomb):
    assert os.path.getsize(zip_bomb) < 400_000
    with zipfile.ZipFile(zip_bomb) as archive, archive.open("w.npy") as member:
        assert archive.getinfo("w.npy").file_size == 400_000_128
        assert np.lib.format.read_magic(member) == (1, 0)
        assert np.lib.format.read_array_header_1_0(member)[0] == (100_000, 1000)
        assert member.read(2**24) == bytes(2**24)  # it does expand


def test_a_zip_bomb_is_refused_before_decompressing(zip_bomb):
    import time
    import tracemalloc

    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(
            ValueError, match=r"bomb.npz.*need 400000128 bytes.*default limit"
        ):
            load(zip_bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 2.0
    assert peak < 20 * 2**20, f"load allocated {peak} bytes before refusing"


def test_max_bytes_limits_and_allows(tmp_path):
    path = tmp_path / "w.npz"
    save({"w": np.zeros(1000)}, path)  # 8000 bytes of data
    with pytest.raises(ValueError, match=r"more than max_bytes=7999 allows"):
        load(path, max_bytes=7999)
    assert load(path, max_bytes=9000)["w"].shape == (1000,)
    assert load(path, max_bytes=np.int64(9000))["w"].shape == (1000,)
    for bad in [1.5, "10", True]:
        with pytest.raises(TypeError, match="load: max_bytes must be None or an int"):
            load(path, max_bytes=bad)
    with pytest.raises(ValueError, match="load: max_bytes must be >= 0, got -1"):
        load(path, max_bytes=-1)


def test_a_large_checkpoint_save_wrote_loads_by_default(tmp_path):
    """The default limit is the file's size plus MAX_EXPANSION, so files save wrote
    (stored, not compressed) load whatever their size; only expansion is bounded."""
    from unittest import mock

    path = tmp_path / "big.npz"
    save({"w": np.ones(300_000)}, path)  # 2.4 MB, far above the (patched) expansion
    with mock.patch("tinygrad_edu.io.MAX_EXPANSION", 1000):
        assert load(path)["w"].sum() == 300_000
