"""The editors' and developers' commands, run as they are typed."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLE, copy_sample, run_pelican, soup, write_item

UID = "3f2a9c1b-5d7e-4c21-9a0b-1e2f3a4b5c6d"


def invoke(*args, cwd=ROOT, input_text=None):
    """Run an invoke task the way an editor types it; return the process."""
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        input=input_text,
        timeout=300,
    )


def test_build_takes_content_output_and_settings(content, tmp_path):
    write_item(
        content / "news/2025", "a.md", f"标题：甲\n日期：2025-03-01\n栏目：监督\n编号：{UID}"
    )
    settings = tmp_path / "other.py"
    settings.write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom pelicanconf import *\nSITENAME = '另一个区人大'\n"
    )
    result = invoke(
        "build",
        "--content",
        str(content),
        "--output",
        str(tmp_path / "out"),
        "--settings",
        str(settings),
    )
    assert result.returncode == 0, result.stderr
    assert "已发布 1 篇稿件、0 个页面" in result.stdout and "网站已生成" in result.stdout
    assert (
        "搜索索引：1 篇稿件" in result.stdout and (tmp_path / "out/pagefind/pagefind.js").is_file()
    )
    assert "Done" not in result.stdout + result.stderr  # Pelican's English summary
    assert soup(tmp_path / "out/index.html").select_one(".site-name").get_text() == "另一个区人大"


def test_build_refuses_bad_content_with_exit_code_1(content, tmp_path):
    write_item(content / "news/2025", "a.md", "标题：甲\n日期：2025-03-01\n栏目：监察")
    result = invoke("build", "--content", str(content), "--output", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "不认识的栏目“监察”" in result.stderr and "缺少“编号”" in result.stderr
    assert not (tmp_path / "out").exists()


def test_plain_pelican_command_works_from_any_folder_with_all_plugins(content, tmp_path):
    write_item(
        content / "news/2025", "a.md", f"标题：甲\n日期：2025-03-01\n栏目：常委会\n编号：{UID}"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_pelican(content, tmp_path / "out", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert "Cannot load plugin" not in result.stdout + result.stderr
    # Our reader and URL scheme were used: the plugin was found from the settings file;
    # and every plugin was loaded, those that import another one's modules too.
    assert (tmp_path / "out/column/standing-committee/index.html").is_file()
    for made_by_plugin in ("feeds/all.atom.xml", "tally/index.html", "sitemap.xml"):
        assert (tmp_path / "out" / made_by_plugin).exists(), made_by_plugin


def test_another_district_replaces_the_site_facts_in_its_own_settings(content, tmp_path):
    write_item(
        content / "news/2025", "a.md", f"标题：甲\n日期：2025-03-01\n栏目：代表建言\n编号：{UID}"
    )
    settings = tmp_path / "district.py"
    settings.write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom pelicanconf import *\n"
        "COLUMN_GROUPS = [{'name': '建言', 'slug': 'advice'}]\n"
        "COLUMNS = [{'name': '代表建言', 'slug': 'deputy-advice', 'group': '建言'}]\n"
    )
    result = run_pelican(content, tmp_path / "out", settings=settings, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out/column/deputy-advice/index.html").is_file()


def test_validate_lists_problems_without_building(content, tmp_path):
    write_item(content / "news/2025", "a.md", "标题：甲\n日期：2025-13-01\n栏目：监督")
    result = invoke("validate", "--content", str(content))
    assert result.returncode == 1
    assert "不存在" in result.stderr and "invoke add-uids" in result.stderr
    good = invoke("validate")
    assert good.returncode == 0 and "检查通过" in good.stdout


def test_new_writes_a_valid_item_with_fresh_uid(tmp_path):
    content = copy_sample(tmp_path / "content")
    result = invoke(
        "new", "--title", "区人大常委会开展专题调研", "--column", "监督工作", "--unit", "财经委",
        "--authors", "林晓雯、彭勇", "--tags", "调研", "--date", "2026-11-20 10:00", "--content", str(content),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.split("已新建稿件：")[1].splitlines()[0].strip())
    text = path.read_text(encoding="utf-8")
    assert path.parent == content / "news/2026"
    assert (
        "栏目：监督\n" in text
        and "单位：财政经济工作委员会\n" in text
        and "作者：林晓雯、彭勇\n" in text
    )
    assert "/news/2026/11/20261120-" in result.stdout
    assert invoke("validate", "--content", str(content)).returncode == 0


def test_new_refuses_unknown_column_with_suggestion(tmp_path):
    content = copy_sample(tmp_path / "content")
    result = invoke("new", "--title", "甲", "--column", "监督检查", "--content", str(content))
    assert result.returncode == 1
    assert "不认识的栏目“监督检查”" in result.stderr and "监督" in result.stderr


def test_new_without_a_terminal_asks_for_flags(tmp_path):
    content = copy_sample(tmp_path / "content")
    result = invoke("new", "--content", str(content), input_text="")
    assert result.returncode == 1 and "缺少“标题”" in result.stderr


def test_add_uids_fixes_every_file_and_touches_nothing_else(content, tmp_path):
    folder = content / "news/2025"
    (folder / "crlf.md").write_bytes(
        "\ufeff标题：甲\r\n日期：2025-03-01\r\n栏目：监督\r\n\r\n正文。\r\n".encode()
    )
    (folder / "lf.md").write_bytes(
        "标题：乙\n日期：2025-03-02\n栏目：监督\n摘要：一二\n\n正文。\n".encode()
    )
    (folder / "has.md").write_bytes(
        f"标题：丙\n日期：2025-03-03\n栏目：监督\n编号：{UID}\n\n正文。\n".encode()
    )
    untouched = (folder / "has.md").read_bytes()
    result = invoke("add-uids", "--content", str(content))
    assert result.returncode == 0, result.stderr
    assert "共为 2 个文件补上了编号" in result.stdout
    crlf = (folder / "crlf.md").read_bytes()
    assert crlf.startswith("\ufeff标题：甲\r\n日期：2025-03-01\r\n栏目：监督\r\n编号：".encode())
    assert crlf.endswith("\r\n\r\n正文。\r\n".encode())
    lf = (folder / "lf.md").read_text(encoding="utf-8")
    assert lf.startswith("标题：乙\n日期：2025-03-02\n栏目：监督\n摘要：一二\n编号：")
    assert (folder / "has.md").read_bytes() == untouched
    assert invoke("validate", "--content", str(content)).returncode == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_builds_and_serves_the_site_on_localhost(tmp_path):
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "invoke",
            "serve",
            "--port",
            str(port),
            "--output",
            str(tmp_path / "out"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    page = response.read().decode("utf-8")
                # The preview indexes for search too, so the search box works there.
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/pagefind/pagefind.js", timeout=5
                ):
                    pass
                if "云溪区人大" in page:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the preview server never answered"
            assert process.poll() is None, process.stdout.read().decode()
            time.sleep(0.5)
        assert '<html lang="zh-CN">' in page
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


@pytest.mark.parametrize("task", ["build", "serve", "validate", "add-uids", "new"])
def test_every_content_task_takes_content_and_settings(task):
    result = invoke(task, "--help")
    assert "--content" in result.stdout and "--settings" in result.stdout


def test_sample_content_is_valid():
    result = invoke("validate", "--content", str(SAMPLE))
    assert result.returncode == 0, result.stderr


def test_a_build_never_keeps_what_a_preview_or_an_earlier_build_wrote(content, tmp_path):
    write_item(
        content / "news/2025", "a.md", f"标题：甲\n日期：2025-03-01\n栏目：监督\n编号：{UID}"
    )
    draft = content / "news/2025/d.md"
    draft.write_text(
        "标题：乙\n日期：2025-03-02\n栏目：监督\n状态：草稿\n编号：22222222-2222-4222-8222-222222222222\n\n正文。\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert (
        invoke("build", "--drafts", "--content", str(content), "--output", str(out)).returncode == 0
    )
    assert (out / "drafts").is_dir()
    assert invoke("build", "--content", str(content), "--output", str(out)).returncode == 0
    assert not (out / "drafts").exists()
    (content / "news/2025/a.md").unlink()
    assert invoke("build", "--content", str(content), "--output", str(out)).returncode == 0
    assert not list(out.glob("news/2025/03/2025*.html"))


def test_a_failed_build_keeps_the_previous_site_whole(content, tmp_path):
    write_item(
        content / "news/2025", "a.md", f"标题：甲\n日期：2025-03-01\n栏目：监督\n编号：{UID}"
    )
    out = tmp_path / "out"
    assert invoke("build", "--content", str(content), "--output", str(out)).returncode == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    theme = tmp_path / "theme"
    (theme / "templates").mkdir(parents=True)
    (theme / "templates" / "article.html").write_text("{{ article.nothing.more }}")
    settings = tmp_path / "broken.py"
    settings.write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom pelicanconf import *\nTHEME = {str(theme)!r}\n"
    )
    result = invoke(
        "build", "--content", str(content), "--output", str(out), "--settings", str(settings)
    )
    assert (
        result.returncode == 1
        and "构建失败" in result.stderr
        and "原有网站文件保持不变" in result.stderr
    )
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_serve_says_in_chinese_when_the_port_is_taken():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = invoke("serve", "--port", str(port))
    assert result.returncode == 1 and "已被占用" in result.stderr
    assert "Traceback" not in result.stderr


def test_build_can_skip_the_search_index_for_a_quick_preview(content, tmp_path):
    write_item(
        content / "news/2025", "a.md", f"标题：甲\n日期：2025-03-01\n栏目：监督\n编号：{UID}"
    )
    result = invoke(
        "build", "--no-search", "--content", str(content), "--output", str(tmp_path / "out")
    )
    assert result.returncode == 0 and "搜索索引" not in result.stdout
    assert not (tmp_path / "out/pagefind").exists()


def test_a_rebuild_carries_unchanged_pages_over_and_shows_the_edit(content, tmp_path):
    write_item(
        content / "news/2025", "a.md", f"标题：甲\n日期：2025-03-01\n栏目：监督\n编号：{UID}"
    )
    write_item(content / "news/2024", "b.md",
               "标题：乙\n日期：2024-03-02\n栏目：人事任免\n编号：22222222-2222-4222-8222-222222222222")  # fmt: skip
    out = tmp_path / "out"
    args = ("build", "--no-search", "--content", str(content), "--output", str(out))
    assert invoke(*args).returncode == 0
    other = next(out.glob("news/2024/03/2024*.html"))
    stamp = other.stat().st_mtime_ns
    item = content / "news/2025/a.md"
    item.write_text(item.read_text(encoding="utf-8").replace("标题：甲", "标题：甲改"), "utf-8")
    assert invoke(*args).returncode == 0
    assert other.stat().st_mtime_ns == stamp  # carried over from the site it replaced
    assert "甲改" in next(out.glob("news/2025/03/2025*.html")).read_text(encoding="utf-8")
    assert not out.with_name("out.building").exists()


def test_a_build_with_nothing_changed_keeps_the_site_and_its_search_index(content, tmp_path):
    write_item(
        content / "news/2025", "a.md", f"标题：甲\n日期：2025-03-01\n栏目：监督\n编号：{UID}"
    )
    out = tmp_path / "out"
    assert invoke("build", "--content", str(content), "--output", str(out)).returncode == 0
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = invoke("build", "--content", str(content), "--output", str(out))
    assert again.returncode == 0 and "网站保持不变（已发布 1 篇稿件、0 个页面）" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before
    shutil.rmtree(out / "pagefind")  # the index is made again if it is missing
    assert invoke("build", "--content", str(content), "--output", str(out)).returncode == 0
    assert (out / "pagefind/pagefind.js").is_file()
    (content / "news/2025/a.md").write_text(
        (content / "news/2025/a.md").read_text(encoding="utf-8") + "补充。\n", encoding="utf-8"
    )
    edited = invoke("build", "--content", str(content), "--output", str(out))
    assert edited.returncode == 0 and "保持不变" not in edited.stdout
    assert "补充" in next(out.glob("news/2025/03/2025*.html")).read_text(encoding="utf-8")
