"""Problems found in content files, and the Chinese report editors read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in one file, told the way an editor can act on it."""

    path: str  # relative to the content folder, with forward slashes
    line: int  # 1-based; 0 when the problem concerns the whole file
    field: str  # the field's Chinese label, or "" when no field is concerned
    message: str  # what is wrong
    hint: str = ""  # how to fix it

    def format(self, folder: str = "") -> str:
        """Render as one line of the report, the path shown below `folder`."""
        where = _shown(self.path, folder) + (f" 第 {self.line} 行" if self.line else "")
        field = f"〔{self.field}〕" if self.field else ""
        hint = f" 修改方法：{self.hint}" if self.hint else ""
        return f"{where} {field}{self.message}{hint}"


class ContentRefused(SystemExit):
    """Raised when content problems stop the build.

    A SystemExit, so that the ``pelican`` command exits non-zero with our Chinese
    report instead of a Python traceback.
    """

    def __init__(self, problems: list[Problem]):
        super().__init__(1)
        self.problems = problems

    def __str__(self) -> str:
        return format_report(self.problems)


def _shown(path: str, folder: str) -> str:
    return f"{folder.rstrip('/')}/{path}" if folder else path


def format_report(problems: Iterable[Problem], folder: str = "") -> str:
    """Render all problems, grouped by file, with a headline that counts them.

    `folder` is the content folder as the reader should see it (e.g. "content").
    """
    problems = sorted(problems)
    files = sorted({p.path for p in problems})
    lines = [
        f"内容检查发现 {len(problems)} 个问题，涉及 {len(files)} 个文件。"
        "本次没有生成网站，原有网站文件保持不变。请逐条修改后重新构建：",
    ]
    for path in files:
        lines.append("")
        lines.append(f"■ {_shown(path, folder)}")
        lines.extend(f"  - {p.format(folder)}" for p in problems if p.path == path)
    return "\n".join(lines)
