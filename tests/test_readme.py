"""The README's promises: two commands, and CI runs the second one verbatim."""

import re

from conftest import ROOT


def quick_start_lines() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_quick_start_has_exactly_two_command_lines():
    first, second = quick_start_lines()
    assert "requirements.txt" in first and "invoke serve" in first
    assert "requirements-test.txt" in second and "invoke test" in second


def test_ci_runs_the_second_line_verbatim():
    ci = (ROOT / ".ci/run").read_text(encoding="utf-8").splitlines()
    assert quick_start_lines()[1] in ci


def test_every_requirement_is_pinned():
    for name in ("requirements.txt", "requirements-test.txt"):
        for line in (ROOT / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-r"):
                assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.]+", line), line
