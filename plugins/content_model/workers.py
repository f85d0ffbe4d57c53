"""Share work between this process and forked copies of it, on every core.

`RunQueue` hands out runs of positions (0, run, 2 run, ...) to whichever process asks
next: a pipe filled before the fork, read four bytes at a time, so no process waits
while work is left, and none needs to know how fast the others are. The items'
pages of a build (fast_build/parallel.py) and the reading of content files
(`read_everywhere`) are shared this way.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import tempfile
import threading
from collections.abc import Callable, Sequence
from queue import SimpleQueue
from typing import Any

_DRAW = struct.Struct("<I")
# A pipe holds at least one page (4096 bytes) on Linux: this many draws fit before the fork.
MOST_RUNS = 1024


class RunQueue:
    """Runs of `run` positions out of `count`, each drawn by one process (fork after making)."""

    def __init__(self, count: int, run: int):
        if -(-count // run) > MOST_RUNS:
            raise ValueError(f"{count} positions in runs of {run} do not fit the queue")
        self.run = run
        self.read, write = os.pipe()
        data = b"".join(_DRAW.pack(start) for start in range(0, count, run))
        try:
            while data:
                data = data[os.write(write, data) :]
        finally:
            os.close(write)  # an empty queue then reads as the end

    def draw(self) -> int | None:
        """Return the first position of the next run nobody has drawn, or None."""
        data = os.read(self.read, _DRAW.size)
        if not data:
            return None
        if len(data) != _DRAW.size:  # reads of whole draws never split on Linux
            raise RuntimeError("the queue of runs was read in part")
        return _DRAW.unpack(data)[0]

    def close(self) -> None:
        """Stop drawing (the other processes then draw the rest)."""
        os.close(self.read)


# What a reader tells this process of a run it did: its start, and where its bytes
# are in the reader's file. Smaller than PIPE_BUF, so written whole, never mixed.
_DONE = struct.Struct("<IHQQ")


def read_everywhere(
    jobs: Sequence,
    read: Callable[[Any], Any],
    dumps: Callable[[Any], bytes],
    loads: Callable[[bytes], Any],
    processes: int,
    encode_all: bool = False,
    here: bool = True,
) -> list[tuple[Any, bytes | None]]:
    """Return `(read(job), its bytes or None)` for every job, in order, on `processes` cores.

    This process and `processes - 1` forked readers draw runs of jobs from one queue.
    A reader appends the `dumps` of its run's results to a file of its own and tells
    this process where they are (a few bytes down a pipe that never fills), so it never
    waits for this process; this process reads runs too, and between them `loads`
    what the readers sent (the bytes come with the result: the parse cache keeps
    them). A result read here comes with None, or with its `dumps` if `encode_all`
    (made as it is read, on whichever core is free, not all after). Not `here`:
    `processes` readers read every job, and this process only takes what they send
    (reading leaves its garbage spread over the heap a build forks later). A run
    whose reader failed, or ended without sending it, is read here (where a real
    error then shows).
    """
    count = len(jobs)
    run = max(25, -(-count // min(processes * 64, MOST_RUNS)))
    # Small runs: the processes end together (a large last run keeps one core busy
    # while the others wait), and what arrives is decoded while the rest is read.
    queue = RunQueue(count, run)
    files = [tempfile.TemporaryFile() for _ in range(processes - 1 if here else processes)]  # noqa: SIM115 - closed below
    done_read, done_write = os.pipe()
    readers: list[int] = []
    results: list = [None] * count
    arrived: SimpleQueue = SimpleQueue()
    receiver = threading.Thread(target=_receive, args=(done_read, files, arrived))
    try:
        try:
            for index, file in enumerate(files):
                pid = os.fork()
                if pid == 0:  # a reader: never returns
                    os.close(done_read)
                    _reader(index, file, queue, jobs, read, dumps, done_write)
                readers.append(pid)
        finally:
            os.close(done_write)  # only readers hold it now: the pipe ends with the last one
        receiver.start()  # once forked: no thread may run while a process forks

        def decode(sent: tuple[int, list[bytes]] | BaseException | None) -> bool:
            """Decode what a reader sent; return False at the end (every reader ended)."""
            if sent is None:
                return False
            if isinstance(sent, BaseException):
                raise sent
            for position, encoded in enumerate(sent[1], sent[0]):
                results[position] = (loads(encoded), encoded)
            return True

        more = True
        while here and (start := queue.draw()) is not None:
            for position in range(start, min(start + run, count)):
                result = read(jobs[position])
                results[position] = (result, dumps(result) if encode_all else None)
            while more and not arrived.empty():  # what readers sent meanwhile
                more = decode(arrived.get())
        while more:
            more = decode(arrived.get())
    except BaseException:
        for pid in readers:  # what they would still read is not wanted
            os.kill(pid, signal.SIGKILL)
        raise
    finally:
        queue.close()
        for pid in readers:
            os.waitpid(pid, 0)
        if receiver.is_alive():
            receiver.join()
        os.close(done_read)
        for file in files:
            file.close()
    for position, result in enumerate(results):
        if result is None:  # its reader failed
            result = read(jobs[position])
            results[position] = (result, dumps(result) if encode_all else None)
    return results


def _receive(done: int, files: list, arrived: SimpleQueue) -> None:
    """Hand over each run the readers tell of, as its list of bytes; then None (a thread).

    Its own thread: the bytes (the parse cache keeps them, ~120 MB at 20,000 items,
    until it is written) are then allocated apart from the records decoded from
    them (glibc gives each thread its own heap). Interleaved with them, they left
    the records spread over more pages, and the copies a build forks later copied
    ~20 MB more of them.
    """
    pending = b""
    try:
        while block := os.read(done, 65536):
            pending += block
            whole = len(pending) - len(pending) % _DONE.size
            for start, reader, offset, size in _DONE.iter_unpack(pending[:whole]):
                arrived.put((start, pickle.loads(os.pread(files[reader].fileno(), size, offset))))
            pending = pending[whole:]
    except BaseException as error:  # noqa: BLE001 - raised again by the caller
        arrived.put(error)
    finally:
        arrived.put(None)


def _reader(index: int, file, queue: RunQueue, jobs, read, dumps, done: int) -> None:
    """Read runs drawn from the queue; append their bytes to `file`; tell `done` (a fork)."""
    code = 0
    try:
        offset = 0
        while (start := queue.draw()) is not None:
            part = jobs[start : start + queue.run]
            data = pickle.dumps([dumps(read(job)) for job in part], protocol=5)
            view = memoryview(data)
            while view:
                view = view[os.write(file.fileno(), view) :]
            os.write(done, _DONE.pack(start, index, offset, len(data)))
            offset += len(data)
    except BaseException:  # noqa: BLE001 - what is left is read by the parent
        code = 1
    finally:
        os._exit(code)  # nothing of the parent's runs here (atexit, buffered files)
