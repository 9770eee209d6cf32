"""Reading an ``.npz`` archive that may be hostile: every check that can be made from
the zip directory and the ``.npy`` headers is made before any array is decompressed.

- every member is a ``.npy`` array, named once, not encrypted;
- the members' decompressed sizes (from the zip directory) fit the limit, so a zip
  bomb is refused before it expands;
- every member's header is read (a few hundred bytes): no Python objects (that would
  need pickle), a plain dtype, and exactly the bytes its shape and dtype need — a
  shorter member is truncated, a longer one is refused.

Errors are ``ValueError`` without the file name; ``io.load`` adds it. Used by
``io.load``; read that first.
"""

from __future__ import annotations

import math
import os
import zipfile
from typing import IO, NamedTuple

import numpy as np


class Header(NamedTuple):
    shape: tuple[int, ...]
    dtype: np.dtype


class NpzReader:
    """The members of an open ``.npz`` file, checked; ``read`` returns one array.

    A context manager: leaving it closes the zip structures (the caller owns ``file``).
    """

    def __init__(self, file: IO[bytes], max_bytes: int | None, expansion: int) -> None:
        try:
            self.archive = zipfile.ZipFile(file)
        except MemoryError:
            raise
        except Exception as error:  # BadZipFile, NotImplementedError (zip version), ...
            raise ValueError(
                f"truncated or corrupt (not a readable zip archive: {error})"
            ) from None
        try:
            self.members = self._directory(file, max_bytes, expansion)
            self.headers = {
                key: self._header(key, info) for key, info in self.members.items()
            }
        except BaseException:
            self.archive.close()
            raise
        self.unread = set(self.headers)

    def __enter__(self) -> NpzReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.archive.close()

    def _directory(
        self, file: IO[bytes], max_bytes: int | None, expansion: int
    ) -> dict[str, zipfile.ZipInfo]:
        members: dict[str, zipfile.ZipInfo] = {}
        for info in self.archive.infolist():
            key = info.filename[:-4]
            if not info.filename.endswith(".npy"):
                raise ValueError(f"member {info.filename!r:.80} is not a .npy array")
            if key in members:
                raise ValueError(f"member {key!r:.80} appears twice in the archive")
            if info.flag_bits & 1:
                raise ValueError(f"member {key!r:.80} is encrypted")
            members[key] = info
        total = sum(info.file_size for info in members.values())
        if max_bytes is None:
            limit = os.fstat(file.fileno()).st_size + expansion
            allowed = (
                f"the default limit of {limit} bytes (the file's size + MAX_EXPANSION)"
            )
        else:
            limit, allowed = max_bytes, f"max_bytes={max_bytes}"
        if total > limit:
            raise ValueError(
                f"its arrays need {total} bytes, more than {allowed} allows; refused "
                "before decompressing anything (a zip bomb?). Pass load(path, "
                "max_bytes=...) to allow more for a file you trust"
            )
        return members

    def _header(self, key: str, info: zipfile.ZipInfo) -> Header:
        fmt = np.lib.format
        try:
            with self.archive.open(info) as member:
                version = fmt.read_magic(member)
                if version not in ((1, 0), (2, 0)):
                    raise ValueError(f"unsupported .npy format version {version}")
                read_header = (
                    fmt.read_array_header_1_0
                    if version == (1, 0)
                    else fmt.read_array_header_2_0
                )
                shape, _, dtype = read_header(member)
                offset = member.tell()
        except ValueError as error:  # NumPy's answer to a bad magic string or header
            what = (
                "is truncated"
                if str(error).startswith("EOF")
                else "is not a valid .npy array"
            )
            raise ValueError(f"member {key!r:.80} {what}: {error}") from None
        except MemoryError:
            raise
        except Exception as error:  # zlib, CRC, unsupported compression, ...
            raise ValueError(
                f"member {key!r:.80} cannot be read (corrupt): {error}"
            ) from None
        if dtype.hasobject:
            raise ValueError(
                f"member {key!r:.80} holds Python objects (dtype {dtype}), which "
                "cannot be read without pickle (refused: unpickling can run code)"
            )
        if dtype.kind == "V" or dtype.subdtype is not None or any(n < 0 for n in shape):
            raise ValueError(
                f"member {key!r:.80} has unsupported shape {shape} or dtype {dtype}"
            )
        need, have = math.prod(shape) * dtype.itemsize, info.file_size - offset
        if have < need:
            raise ValueError(
                f"member {key!r:.80} is truncated: its header declares shape {shape} "
                f"and dtype {dtype.str} ({need} bytes), but it holds only {have} bytes"
            )
        if have > need:
            raise ValueError(
                f"member {key!r:.80} holds {have} bytes, but its header's shape "
                f"{shape} and dtype {dtype.str} need {need}: refused (corrupt, or a "
                "zip bomb)"
            )
        return Header(tuple(shape), dtype)

    def read(self, key: str) -> np.ndarray:
        """The array stored as ``key`` (its size already checked); CRC-checked."""
        try:
            with self.archive.open(self.members[key]) as member:
                array = np.lib.format.read_array(member, allow_pickle=False)
        except MemoryError:
            raise
        except Exception as error:  # zlib, CRC, a short compressed stream, ...
            raise ValueError(f"member {key!r:.80} is corrupt: {error}") from None
        self.unread.discard(key)
        return array

    def read_listed(self, key: str, shape: tuple[int, ...], dtype: str) -> np.ndarray:
        """``read(key)`` for an array the manifest lists with ``shape`` and
        ``dtype``."""
        header = self.headers.get(key)
        if header is None:
            raise ValueError(
                f"array {key!r:.80} is listed in the manifest but missing from the file"
            )
        if key not in self.unread:
            raise ValueError(f"array {key!r:.80} is used twice by the manifest")
        if header.shape != shape or header.dtype.str != dtype:
            raise ValueError(
                f"array {key!r:.80} has shape {header.shape} and dtype "
                f"{header.dtype.str}, but the manifest says shape {shape} and dtype "
                f"{dtype!r:.40}"
            )
        return self.read(key)

    def check_all_read(self) -> None:
        """Refuse members the manifest does not mention (save never writes any)."""
        if self.unread:
            extra = sorted(self.unread)
            raise ValueError(f"members {extra!r:.200} are not listed in the manifest")
