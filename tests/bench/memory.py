"""The peak memory of a build that runs in several processes, as the machine sees it.

A build forks copies of itself (fast_build/parallel.py, content_model/corpus.py);
a forked copy shares every page with its parent until either process writes to it.
Adding up each process's peak resident size counts every shared page once per
process: an upper bound, well above what the machine gave the build. What it gave is
the anonymous memory (heaps, not files) in use on the machine above what was in use
when the build started, each page counted once however many processes share it; its
highest value is the build's peak.

So a build runs as a child of this process, which reads the machine's anonymous
memory (AnonPages in Linux's /proc/meminfo, a counter: reading it costs a few
microseconds and nothing to the build) every SAMPLE seconds until the build says it
is done (the search indexer, whose memory is reported apart, runs after). Reading
each process's own share (PSS, /proc/PID/smaps_rollup) instead makes the kernel walk
the process's pages under its memory lock: ~20 ms for a 1.2 GB preview session, four
times a second, made the edit loop's rebuilds ~1 s slower. The figure counts
whatever else the machine allocates meanwhile: the bench is run on a quiet machine,
as its times need anyway.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SAMPLE = 0.02  # seconds between two readings
# The harness creates the file this names once its build is done (before the search).
DONE = "BENCH_BUILD_DONE"


@dataclass
class Finished:
    """A process run to its end: its exit code, its output, its build's peak memory."""

    returncode: int
    stdout: str
    stderr: str
    peak_mb: float  # 0.0 where the system does not tell


def anonymous_kb() -> int | None:
    """Return the anonymous memory in use on the machine, in kB (None: not told)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("AnonPages:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def run(argv: list[str], cwd=None) -> Finished:
    """Run `argv` to its end, sampling the machine's memory; return what it did.

    The process may create the file named by $BENCH_BUILD_DONE: what it does after
    is not sampled.
    """
    with (
        tempfile.TemporaryDirectory() as folder,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        done = Path(folder) / "done"
        before = anonymous_kb()
        process = subprocess.Popen(
            argv, stdout=out, stderr=err, cwd=cwd, env={**os.environ, DONE: str(done)}
        )
        peak = 0
        while process.poll() is None:
            if before is not None and not done.exists():
                peak = max(peak, (anonymous_kb() or before) - before)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(SAMPLE)
        out.seek(0)
        err.seek(0)
        return Finished(
            process.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            peak / 1024,
        )
