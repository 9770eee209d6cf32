"""io.save / io.load: round trips of nested state, atomic writes, and clear errors
for truncated, corrupt, pickled and foreign files (leaving old checkpoints intact)."""

import io as std_io
import os
import pickle
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
from tinygrad_edu import io, nn, optim
from tinygrad_edu.io import load, save


def _assert_same(a, b):
    assert type(a) is type(b), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    elif isinstance(a, tg.Tensor):
        assert a.dtype == b.dtype and a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.data, b.data)
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and np.shape(a) == np.shape(b)
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


# ---- round trips ---------------------------------------------------------------------------

# keys that np.savez(file, allow_pickle=..., **members) could mistake for its arguments
_NAMES_NUMPY_TAKES = ["file", "allow_pickle", "allow pickle", "file#1", io.MARKER]


def test_model_state_dict_round_trip(tmp_path):
    model = nn.MLP([3, 4, 2])
    path = tmp_path / "model.npz"
    save(model.state_dict(), path)
    loaded = load(path)
    _assert_same(model.state_dict(), loaded)
    assert loaded["layers.0.weight"].dtype == np.float32
    other = nn.MLP([3, 4, 2])
    other.load_state_dict(loaded)
    np.testing.assert_array_equal(other.layers[2].bias.data, model.layers[2].bias.data)


def test_nested_state_with_scalars_round_trips(tmp_path):
    state = {
        "lr": 0.1,
        "steps": 7,
        "flag": True,
        "nothing": None,
        "name": "adam",
        "hyper": {"betas": (0.9, 0.999), "eps": 1e-8, "inf": float("inf")},
        "state": [{"exp_avg": np.arange(6.0).reshape(2, 3), "step": 3}, {}],
        "ints": {0: np.int64(5), 1: np.array([1, 2], dtype=np.int32)},
        "a/b": np.zeros(1),
        "a": {"b": np.ones(1)},  # the same path as "a/b": both survive
        "empty": np.zeros((0, 3), dtype=np.float32),
        "scalar_array": np.array(2.5, dtype=np.float32),
        "bools": np.array([True, False]),
    }
    save(state, tmp_path / "s.npz")
    _assert_same(state, load(tmp_path / "s.npz"))


def test_tensor_round_trip(tmp_path):
    t = tg.Tensor([[1.0, 2.0]], requires_grad=True)
    save(t, tmp_path / "t.npz")
    loaded = load(tmp_path / "t.npz")
    assert isinstance(loaded, tg.Tensor)
    _assert_same(t, loaded)


def test_optimizer_state_round_trip(tmp_path):
    p = nn.Parameter(np.ones(3, dtype=np.float32))
    opt = optim.RMSprop([p], momentum=0.9)
    p.grad = tg.ones(3)
    opt.step()
    save(opt.state_dict(), tmp_path / "o.npz")
    _assert_same(opt.state_dict(), load(tmp_path / "o.npz"))


@given(
    arrays=st.dictionaries(
        st.text(min_size=1, max_size=8) | st.sampled_from(_NAMES_NUMPY_TAKES),
        hnp.arrays(
            st.sampled_from([np.float32, np.float64, np.int64, np.bool_]),
            hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
        ),
        max_size=4,
    )
)
def test_any_dict_of_arrays_round_trips(tmp_path_factory, arrays):
    path = tmp_path_factory.mktemp("h") / "x.npz"
    save(arrays, path)
    _assert_same(arrays, load(path))


def test_keys_that_np_savez_takes_as_its_own_arguments_round_trip(tmp_path):
    # np.savez(file, **members): "file" used to raise TypeError, and "allow_pickle"
    # (or a key cleaned to it) was taken as NumPy's flag, never written, and the
    # checkpoint could not be loaded
    path = tmp_path / "x.npz"
    state = {name: np.full(2, float(i)) for i, name in enumerate(_NAMES_NUMPY_TAKES)}
    state["nested"] = {"file": np.ones(1), "allow_pickle": np.zeros(1)}
    save(state, path)
    _assert_same(state, load(path))
    with np.load(path, allow_pickle=False) as f:  # still a plain .npz
        assert {"allow_pickle#1", "file#1", "nested/file"} <= set(f.files)
        np.testing.assert_array_equal(f["file#1"], state["file"])
    save({"allow_pickle": np.ones(2), "w": np.zeros(1)}, path)
    assert sorted(load(path)) == ["allow_pickle", "w"]
    save(tg.Tensor([1.0, 2.0]), path)  # a bare Tensor is not affected
    assert load(path).tolist() == [1.0, 2.0]


def test_the_file_is_a_plain_npz(tmp_path):
    save({"w": np.ones(2)}, tmp_path / "x.npz")
    with np.load(tmp_path / "x.npz", allow_pickle=False) as f:
        assert "w" in f.files and io.MARKER in f.files
        np.testing.assert_array_equal(f["w"], np.ones(2))


def test_save_uses_the_exact_path(tmp_path):
    save({"w": np.ones(1)}, tmp_path / "ckpt")
    assert os.listdir(tmp_path) == ["ckpt"]
    assert load(str(tmp_path / "ckpt"))["w"].tolist() == [1.0]


# ---- atomic writes -------------------------------------------------------------------------


def test_overwrite_replaces_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "x.npz"
    save({"w": np.zeros(2)}, path)
    save({"w": np.ones(2)}, path)
    assert os.listdir(tmp_path) == ["x.npz"]
    assert load(path)["w"].tolist() == [1.0, 1.0]


def test_unsupported_object_fails_before_touching_the_file(tmp_path):
    path = tmp_path / "x.npz"
    save({"w": np.zeros(2)}, path)
    for bad in [
        {"w": object()},
        {"w": np.array([{}], dtype=object)},
        nn.Linear(1, 1),
        {(1, 2): 3},
    ]:
        with pytest.raises(TypeError):
            save(bad, path)
    assert load(path)["w"].tolist() == [0.0, 0.0]
    assert os.listdir(tmp_path) == ["x.npz"]


def test_crash_mid_write_leaves_the_old_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "x.npz"
    save({"w": np.zeros(2)}, path)

    def crash(file, **arrays):
        file.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        save({"w": np.ones(2)}, path)
    monkeypatch.undo()
    assert load(path)["w"].tolist() == [0.0, 0.0]
    assert os.listdir(tmp_path) == ["x.npz"]


def test_saved_file_has_the_usual_permissions(tmp_path):
    path = tmp_path / "x.npz"
    save({"w": np.zeros(1)}, path)
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~mask


# ---- bad files ---------------------------------------------------------------------------------


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "good.npz"
    save({"layer.weight": np.arange(1000, dtype=np.float32)}, path)
    return path


def _expect_value_error(path, match):
    with pytest.raises(ValueError, match=match):
        load(path)


def test_truncated_files(good_file, tmp_path):
    data = good_file.read_bytes()
    for n in [0, 3, 10, len(data) // 2, len(data) - 10]:
        bad = tmp_path / f"trunc{n}.npz"
        bad.write_bytes(data[:n])
        _expect_value_error(bad, "truncated|corrupt|not a tinygrad_edu checkpoint")


def test_corrupted_bytes_are_detected(good_file, tmp_path):
    data = good_file.read_bytes()
    rng = np.random.default_rng(0)
    for i in range(20):
        flipped = bytearray(data)
        position = int(rng.integers(4, len(data)))
        flipped[position] ^= 0xFF
        bad = tmp_path / f"flip{i}.npz"
        bad.write_bytes(bytes(flipped))
        try:
            loaded = load(bad)
        except ValueError:
            continue  # detected (CRC, header, manifest...)
        # a flip in zip metadata that nothing depends on may load: then intact
        np.testing.assert_array_equal(
            loaded["layer.weight"], np.arange(1000, dtype=np.float32)
        )


def test_random_bytes(tmp_path):
    bad = tmp_path / "random.npz"
    bad.write_bytes(np.random.default_rng(1).bytes(4096))
    _expect_value_error(bad, "not a tinygrad_edu checkpoint")


def test_pickle_files_are_never_unpickled(tmp_path):
    class Boom:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    bad = tmp_path / "evil.pkl"
    bad.write_bytes(pickle.dumps(Boom()))
    _expect_value_error(bad, "pickle")
    # an .npz whose member is an object array (pickled inside)
    evil_npz = tmp_path / "evil.npz"
    np.savez(evil_npz, w=np.array([Boom()], dtype=object))
    _expect_value_error(evil_npz, "'w'.*pickle")
    assert not (tmp_path / "pwned").exists()


def test_foreign_files(tmp_path):
    plain = tmp_path / "plain.npz"
    np.savez(plain, w=np.ones(2))
    _expect_value_error(plain, "not a tinygrad_edu checkpoint.*manifest")
    npy = tmp_path / "a.npy"
    np.save(npy, np.ones(2))
    _expect_value_error(npy, "not a tinygrad_edu checkpoint")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    _expect_value_error(text, "not a tinygrad_edu checkpoint")
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.npz")


def _rewrite(src, dst, edit):
    """Copy an npz member by member, letting edit(name, bytes) change members."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = edit(item.filename, zin.read(item.filename))
            if data is not None:
                zout.writestr(item.filename, data)


def test_missing_member_and_shape_mismatch_name_the_key(good_file, tmp_path):
    missing = tmp_path / "missing.npz"
    _rewrite(
        good_file,
        missing,
        lambda name, data: None if name == "layer.weight.npy" else data,
    )
    _expect_value_error(missing, "'layer.weight'.*missing")

    def swap(name, data):
        if name != "layer.weight.npy":
            return data
        buffer = std_io.BytesIO()
        np.save(buffer, np.zeros(7, dtype=np.float32))
        return buffer.getvalue()

    reshaped = tmp_path / "reshaped.npz"
    _rewrite(good_file, reshaped, swap)
    _expect_value_error(reshaped, r"'layer.weight' has shape \(7,\).*shape \(1000,\)")


def test_corrupt_manifest(good_file, tmp_path):
    def bad_manifest(name, data):
        if name != io.MARKER + ".npy":
            return data
        buffer = std_io.BytesIO()
        np.save(buffer, np.array("{not json"))
        return buffer.getvalue()

    bad = tmp_path / "manifest.npz"
    _rewrite(good_file, bad, bad_manifest)
    _expect_value_error(bad, "manifest is corrupt")


def test_failed_load_leaves_the_model_untouched(good_file, tmp_path):
    model = nn.Linear(2, 2)
    before = model.state_dict()
    bad = tmp_path / "bad.npz"
    bad.write_bytes(good_file.read_bytes()[:100])
    with pytest.raises(ValueError):
        model.load_state_dict(load(bad))
    _assert_same(before, model.state_dict())


# ---- symlinks (issue 18.12): saving writes through the link, atomically --------------------


def test_saving_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path):
    store, links = tmp_path / "store", tmp_path / "links"
    store.mkdir(), links.mkdir()
    target, link = store / "real.npz", links / "latest.npz"
    save({"w": np.zeros(2)}, target)
    os.chmod(target, 0o640)
    link.symlink_to(os.path.relpath(target, links))
    old_inode = target.stat().st_ino
    save({"w": np.ones(2)}, link)
    assert link.is_symlink() and os.readlink(link) == os.path.relpath(target, links)
    assert (
        target.stat().st_ino != old_inode
    )  # replaced by rename, not rewritten in place
    assert target.stat().st_mode & 0o777 == 0o640  # the old file's permissions are kept
    assert load(target)["w"].tolist() == [1.0, 1.0] == load(link)["w"].tolist()
    assert sorted(os.listdir(store)) == ["real.npz"] and sorted(os.listdir(links)) == [
        "latest.npz"
    ]


def test_saving_through_a_dangling_symlink_creates_its_target(tmp_path):
    (tmp_path / "link.npz").symlink_to("made.npz")
    save({"w": np.ones(1)}, tmp_path / "link.npz")
    assert (tmp_path / "link.npz").is_symlink()
    assert load(tmp_path / "made.npz")["w"].tolist() == [1.0]


def test_saving_through_a_symlink_loop_fails_and_writes_nothing(tmp_path):
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(OSError, match="symbolic links"):
        save({"w": np.ones(1)}, tmp_path / "a")
    assert sorted(os.listdir(tmp_path)) == ["a", "b"]
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()


# ---- failed loads close their file (issue 18.2) ----------------------------------------------


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))  # Linux, where the suite runs


def test_failed_loads_close_their_files(good_file, tmp_path):
    import warnings

    from tests.reliability._zipcraft import npy_bytes, stored, zip_archive

    data = good_file.read_bytes()
    bad_files = {
        "half.npz": data[: len(data) // 2],
        "pickled.npz": zip_archive([stored("w.npy", npy_bytes(np.array([None, 1])))]),
        "plain.npz": zip_archive([stored("w.npy", npy_bytes(np.ones(3)))]),
        "bad_manifest.npz": zip_archive(
            [stored(io.MARKER + ".npy", npy_bytes(np.array("[")))]
        ),
    }
    for name, content in bad_files.items():
        (tmp_path / name).write_bytes(content)
    errors = []
    before = _open_fds()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        for i in range(
            60
        ):  # the exceptions (and their tracebacks) stay alive in the list
            with pytest.raises(ValueError) as error:
                load(tmp_path / sorted(bad_files)[i % len(bad_files)])
            errors.append(error.value)
        assert _open_fds() == before, "a failed load left its file open"
        import gc

        del errors
        gc.collect()  # would emit ResourceWarning (an error here) for an unclosed file


def test_paths_that_are_not_paths_name_save_and_load(tmp_path):
    for bad in [None, 3, 1.5, ["a"], object()]:
        with pytest.raises(TypeError, match=r"save: path must be a str or os.PathLike"):
            save({"w": np.ones(1)}, bad)
        with pytest.raises(TypeError, match=r"load: path must be a str or os.PathLike"):
            load(bad)
    with pytest.raises(ValueError, match="save: the path .* contains a NUL byte"):
        save({"w": np.ones(1)}, str(tmp_path / "a\x00b"))
    with pytest.raises(ValueError, match="load: the path .* contains a NUL byte"):
        load(str(tmp_path / "a\x00b"))
    save({"w": np.ones(1)}, os.fsencode(tmp_path / "bytes.npz"))  # bytes paths work
    assert load(os.fsencode(tmp_path / "bytes.npz"))["w"].tolist() == [1.0]
    assert sorted(os.listdir(tmp_path)) == ["bytes.npz"]
