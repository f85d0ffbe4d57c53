"""The benchmark: a deterministic corpus, and `invoke bench` running end to end."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT, SAMPLE, settings_for
from content_model.corpus import build_corpus
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


def test_invoke_bench_runs_every_measure_against_vanilla(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "invoke", "bench", "--items", "40", "--workdir", str(tmp_path / "bench"), "--no-search"],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
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
    memory = next(line for line in out.splitlines() if "memory: this process's peak" in line)
    assert "items' writer copy" in memory and "its own at its end" in memory
    settling = next(line for line in out.splitlines() if "settling between runs" in line)
    assert "first" in settling and "column" in settling  # timed apart, after each run
