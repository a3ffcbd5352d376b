"""Compressed streams: a writer that compresses on its own thread, and a hashing reader.

The writer keeps at most `depth` chunks of `chunk` bytes in flight, so memory stays
constant whatever the size of the backup; compression (zlib and zstd release the GIL)
runs beside the reading and hashing of the next files, as `tar | gzip` does.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import queue
import threading
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any, Protocol

import zstandard

SUFFIX = {"zstd": ".tar.zst", "gzip": ".tar.gz"}
DEFAULT_LEVEL = {"zstd": 3, "gzip": 6}  # gzip 6 is what `tar -czf` uses
LEVELS = {"zstd": range(1, 23), "gzip": range(0, 10)}  # what libzstd and zlib accept


class _Compressor(Protocol):
    def compress(self, data: bytes, /) -> bytes: ...
    def flush(self) -> bytes: ...


def _compressor(compression: str, level: int | None) -> _Compressor:
    level = DEFAULT_LEVEL[compression] if level is None else level
    if compression == "gzip":
        return zlib.compressobj(level, zlib.DEFLATED, 31)  # 31: gzip header and trailer
    threads = -1 if (os.cpu_count() or 1) > 1 else 0
    cctx = zstandard.ZstdCompressor(level=level, threads=threads, write_checksum=True)
    obj: _Compressor = cctx.compressobj()
    return obj


def gzip_member(data: bytes, level: int) -> bytes:
    """`data` as one complete gzip member (RFC 1952 allows any number, concatenated)."""
    comp = zlib.compressobj(level, zlib.DEFLATED, 31)
    return comp.compress(data) + comp.flush()


class CompressingWriter:
    """A write-only binary stream: buffers, hands chunks to compressing threads.

    zstd: one stream compressed on one thread (libzstd adds its own worker threads).
    gzip: with more than one CPU, each 1 MiB chunk becomes its own gzip member, compressed
    on a pool of threads and written in order, as pigz does; `gzip -d`, `tar -xzf` and
    Python read the concatenation as one file. It costs well under 1% in size.
    """

    def __init__(self, raw: IO[bytes], compression: str, level: int | None = None,
                 chunk: int = 1 << 20, depth: int = 8) -> None:
        self._raw = raw
        self._chunk = chunk
        self._level = DEFAULT_LEVEL[compression] if level is None else level
        workers = os.cpu_count() or 1
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[Future[bytes]] = deque()
        self._depth = depth
        if compression == "gzip" and workers > 1:
            self._pool = ThreadPoolExecutor(workers, thread_name_prefix="nqd-gzip")
        self._comp = _compressor(compression, level)
        self._buf = bytearray()
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._closed = False
        self._written = 0
        self._thread = threading.Thread(target=self._work, name="nqd-compress", daemon=True)
        if self._pool is None:
            self._thread.start()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                break
            if self._error is not None:
                continue  # drain so the producer never blocks
            try:
                self._raw.write(self._comp.compress(item))
            except BaseException as exc:
                self._error = exc
        if self._error is None:
            try:
                self._raw.write(self._comp.flush())
                self._raw.flush()
            except BaseException as exc:
                self._error = exc

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _emit(self, chunk: bytes) -> None:
        if self._pool is None:
            self._queue.put(chunk)
            return
        self._pending.append(self._pool.submit(gzip_member, chunk, self._level))
        while len(self._pending) > self._depth:
            self._raw.write(self._pending.popleft().result())

    def write(self, data: bytes) -> int:
        self._raise()
        self._written += len(data)
        if not self._buf and len(data) >= self._chunk:
            self._emit(bytes(data))
            return len(data)
        self._buf += data
        if len(self._buf) >= self._chunk:
            self._emit(bytes(self._buf))
            self._buf.clear()
        return len(data)

    def tell(self) -> int:
        """Uncompressed bytes written so far (tarfile asks for it)."""
        return self._written

    def close(self) -> None:
        """Flush everything and wait for the thread; raises the first write error."""
        if self._closed:
            return
        self._closed = True
        if self._buf and self._error is None:
            self._emit(bytes(self._buf))
            self._buf.clear()
        if self._pool is not None:
            try:
                while self._pending:
                    self._raw.write(self._pending.popleft().result())
                self._raw.flush()
            finally:
                self._pool.shutdown(wait=True, cancel_futures=True)
            return
        self._queue.put(None)
        self._thread.join()
        self._raise()

    def abort(self) -> None:
        """Stop the thread without raising (after a failure elsewhere)."""
        if not self._closed:
            self._closed = True
            self._error = self._error or RuntimeError("aborted")
            if self._pool is not None:
                self._pending.clear()
                self._pool.shutdown(wait=True, cancel_futures=True)
                return
            self._queue.put(None)
            self._thread.join()


class HashingReader:
    """Reads a binary stream, counting and hashing what passes through."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.sha256 = hashlib.sha256()
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.sha256.update(data)
        self.count += len(data)
        return data

    def drain(self, chunk: int = 1 << 20) -> None:
        while self.read(chunk):
            pass


def decompressing_reader(raw: Any, compression: str) -> IO[bytes]:
    """A readable stream of the tar inside `raw`."""
    if compression == "gzip":
        gz: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
        return gz
    if compression == "zstd":
        reader: IO[bytes] = zstandard.ZstdDecompressor().stream_reader(
            raw, read_across_frames=True, read_size=1 << 20)
        return reader
    raise ValueError(f"unknown compression {compression!r}")


class ExactReader:
    """Serves exactly `size` bytes of a file, hashing them (tar needs the size up front).

    A file that shrinks while it is read is padded with zeros and one that grows is cut;
    either way `changed` is set and the manifest's hash describes the bytes archived.
    """

    def __init__(self, raw: IO[bytes], size: int, progress: Any = None) -> None:
        self._raw = raw
        self._left = size
        self.sha256 = hashlib.sha256()
        self.changed = False
        self._progress = progress

    def read(self, size: int = -1) -> bytes:
        want = self._left if size < 0 else min(size, self._left)
        parts = []
        got = 0
        while got < want:
            data = self._raw.read(want - got)
            if not data:
                self.changed = True
                parts.append(b"\0" * (want - got))
                got = want
                break
            parts.append(data)
            got += len(data)
        out = b"".join(parts)
        self._left -= len(out)
        if self._left == 0 and not self.changed and self._raw.read(1):
            self.changed = True
        self.sha256.update(out)
        if self._progress is not None:
            self._progress.advance(len(out))
        return out
