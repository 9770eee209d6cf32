"""Hand-made zip archives for hostile-file tests: members whose zip directory says
whatever the test wants, and a real deflate "zip bomb" built in milliseconds.

Used by tests/test_io.py and tests/reliability/test_hostile_files.py.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np


def npy_header(shape: tuple, dtype: str = "<f4") -> bytes:
    """The .npy magic and header for an array of ``shape`` and ``dtype`` (no data)."""
    buffer = io.BytesIO()
    header = {"descr": dtype, "fortran_order": False, "shape": tuple(shape)}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def deflate_bomb(
    header: bytes, zeros: int, chunk: int = 2**22
) -> tuple[bytes, int, int]:
    """Raw deflate data of ``header`` + ``zeros`` zero bytes, with its CRC-32 and size.

    One chunk of zeros is compressed once and its (self-contained, byte-aligned after
    a full flush) blocks are repeated, so a 400 MB bomb costs milliseconds to build.
    """
    assert zeros % chunk == 0
    head = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = head.compress(header) + head.flush(zlib.Z_FULL_FLUSH)
    body = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = body.compress(bytes(chunk)) + body.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(header)
    zero_chunk = bytes(chunk)
    for _ in range(zeros // chunk):
        crc = zlib.crc32(zero_chunk, crc)
    return data + block * (zeros // chunk) + b"\x03\x00", crc, len(header) + zeros


def zip_archive(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip of ``(name, data, crc, file_size, method)`` members, written as given
    (method 0 = stored, 8 = deflated): the directory may lie about sizes or CRCs."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, data, crc, size, method in members:
        raw = name.encode()
        # method, time, date, CRC, compressed size, size, name length: in both headers
        common = (method, 0, 0, crc, len(data), size, len(raw))
        offset = out.tell()
        local = struct.pack("<4s2H3H3LHH", b"PK\x03\x04", 20, 0, *common, 0)
        out.write(local + raw + data)
        entry = struct.pack(
            "<4s3H3H3LH4H2L", b"PK\x01\x02", 20, 20, 0, *common, 0, 0, 0, 0, 0, offset
        )
        central.write(entry + raw)
    start, directory = out.tell(), central.getvalue()
    out.write(directory)
    out.write(
        struct.pack(
            "<4s4H2LH",
            b"PK\x05\x06",
            0,
            0,
            len(members),
            len(members),
            len(directory),
            start,
            0,
        )
    )
    return out.getvalue()


def stored(name: str, data: bytes, size: int | None = None) -> tuple:
    """A stored member whose directory says ``size`` (default: the true size)."""
    n = len(data) if size is None else size
    return (name, data, zlib.crc32(data), n, 0)
