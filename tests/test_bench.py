"""The benchmark: a deterministic corpus, and `invoke bench` running end to end."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys

import pytest

from conftest import ROOT, SAMPLE, settings_for
from content_model.corpus import build_corpus
from tests.bench import memory
from tests.bench.corpus import write


def files(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_the_synthetic_corpus_is_deterministic_valid_and_twinned(tmp_path):
    settings = settings_for(SAMPLE, tmp_path)
    one = write(tmp_path / "one", 60, settings)
    two = write(tmp_path / "two", 60, settings)
    assert files(one["ours"]) == files(two["ours"]) and files(one["vanilla"]) == files(
        two["vanilla"]
    )
    assert len(one["paths"]) == 60 == len(list((one["vanilla"] / "news").rglob("*.md")))
    corpus = build_corpus(
        settings_for(one["ours"], tmp_path / "out", CONTENT_MODEL={"CACHE": False})
    )
    assert corpus.problems == []
    assert {r.meta["column"].name for r in corpus.items()} == {
        c["name"] for c in settings["COLUMNS"]
    }
    assert all(len(r.html) >= 600 for r in corpus.items())


LOOP_ROWS = {"touch": "edit loop (serve): one file saved again unchanged",
             "body": "edit loop (serve): one body edited",
             "add": "edit loop (serve): one item added",
             "column": "edit loop (serve): one item moved to another column"}  # fmt: skip


def test_invoke_bench_runs_every_measure_against_vanilla(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "invoke", "bench", "--items", "40", "--workdir", str(tmp_path / "bench"), "--no-search"],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    # Each system's caches are kept in the bench's folder (emptied when it starts), none
    # in the project's: a later bench's cold build starts from nothing.
    assert list((tmp_path / "bench" / "out-ours-cache").glob("content_model-*.pickle"))
    assert list((tmp_path / "bench" / "out-vanilla-cache").iterdir())
    named = hashlib.sha256(str(tmp_path / "bench" / "ours").encode()).hexdigest()[:12]
    assert not (ROOT / "cache" / f"content_model-{named}.pickle").exists()
    out = result.stdout
    for measure in ("cold full build", "rebuild, nothing changed",
                    "rebuild, one file saved again unchanged", "rebuild, one body edited",
                    "rebuild, one item added", "rebuild, one item moved to another column",
                    "invoke tally --year 2025 (cold cache, median of 3)",
                    "invoke tally --year 2025 (warm cache, median of 3)",
                    "edit loop (serve): nothing changed",
                    "edit loop (serve): one file saved again unchanged",
                    "edit loop (serve): one body edited",
                    "edit loop (serve): one item added",
                    "edit loop (serve): one item moved to another column"):  # fmt: skip
        assert measure in out
    assert "ratio" in out and "Phases of vanilla's cold build" in out
    cold = next(line for line in out.splitlines() if line.startswith("cold full build"))
    assert len(cold.split()) == 8  # ours s, ours MB, vanilla s, vanilla MB, ratio
    body = next(line for line in out.splitlines() if "loop (serve): one body" in line)
    assert len(body.split()) == 11 and float(body.split()[-1]) > 0
    processes = next(line for line in out.splitlines() if "memory: this process's peak" in line)
    assert "items' writer copy" in processes and "its own at its end" in processes
    # "ours MB" is the machine's view, each page shared by processes once: at most
    # each process's own peak added up.
    summed = next(line for line in out.splitlines() if "the machine's anonymous memory" in line)
    tree, added = (float(n) for n in re.findall(r"(\d+) MB", summed))
    assert 0 < tree <= added * 1.05 and float(cold.split()[4]) == tree
    settling = next(line for line in out.splitlines() if "settling between runs" in line)
    assert "first" in settling and "column" in settling  # timed apart, after each run
    # Each edit of our loop is rebuilt three times in turn; its row is their median.
    rebuilds = next(line for line in out.splitlines() if line.startswith("  edit loop: ours "))
    for kind in ("touch", "body", "add", "column"):
        times = re.search(rf"{kind} ([\d./]+) s", rebuilds).group(1).split("/")
        row = next(line for line in out.splitlines() if line.startswith(LOOP_ROWS[kind]))
        assert len(times) == 3 and float(row.split()[-5]) == pytest.approx(
            sorted(map(float, times))[1], abs=0.006
        )


HOLD = """
import os, sys, time
held = bytearray(b"\\1") * (120 << 20)  # resident: every page written
child = os.fork()
if child == 0:
    if sys.argv[1] == "write":  # the copy writes to every page: each is copied
        for at in range(0, len(held), 4096):
            held[at] = 2
    time.sleep(1.5)
    os._exit(0)
os.waitpid(child, 0)
"""


def test_the_benchmark_counts_a_page_two_processes_share_once():
    # What the machine gives a forked build: a page shared by the copy counts once,
    # a page the copy wrote to twice (adding each process's peak counts
    # 240 MB in both cases).
    shared, written = (memory.run([sys.executable, "-c", HOLD, how]) for how in ("share", "write"))
    assert shared.returncode == 0 == written.returncode, shared.stderr + written.stderr
    assert 120 < shared.peak_mb < 180
    assert written.peak_mb > 230
