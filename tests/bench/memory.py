"""The peak memory of a build that runs in several processes, as the machine sees it.

A build forks copies of itself (fast_build/parallel.py, content_model/corpus.py);
a forked copy shares every page with its parent until either process writes to it.
Adding up each process's peak resident size counts every shared page once per
process: an upper bound, well above what the machine gave the build. What it gave
is, at each moment, the sum of the processes' proportional set sizes (PSS: each
page divided among the processes sharing it); its highest value is the build's peak.

So a build runs as a child of this process, which reads the PSS of every process in
its tree every SAMPLE seconds (Linux's /proc/PID/smaps_rollup), and keeps the
highest sum. Reading a process's PSS makes the kernel walk its pages (about 12 ms
for 750 MB, on a core the build could use): sampling more often would slow the
build it measures. Processes running another program (the search indexer, whose
memory is reported apart) are left out.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from dataclasses import dataclass

SAMPLE = 0.25  # seconds between two readings


@dataclass
class Finished:
    """A process run to its end: its exit code, its output, its tree's peak PSS."""

    returncode: int
    stdout: str
    stderr: str
    peak_mb: float  # 0.0 where the system tells no PSS


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found.extend(int(child) for child in handle.read().split())
    except OSError:  # it has just ended
        pass
    return found


def _program(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return None


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):  # it has just ended
        pass
    return 0


def tree_pss_mb(root: int) -> float:
    """Return the summed PSS of `root` and its descendants running the same program."""
    program = _program(root)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(_children(pid))
        if _program(pid) == program:
            total += _pss_kb(pid)
    return total / 1024


def available() -> bool:
    """Whether this system tells processes' PSS (Linux 4.14 and later)."""
    return os.path.exists(f"/proc/{os.getpid()}/smaps_rollup")


def run(argv: list[str], cwd=None) -> Finished:
    """Run `argv` to its end, sampling its process tree's PSS; return what it did."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(argv, stdout=out, stderr=err, cwd=cwd)
        peak = 0.0
        sampling = available()
        while process.poll() is None:
            if sampling:
                peak = max(peak, tree_pss_mb(process.pid))
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(SAMPLE)
        out.seek(0)
        err.seek(0)
        return Finished(
            process.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            peak,
        )
