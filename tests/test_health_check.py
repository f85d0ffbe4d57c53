"""The health check finds what an inspector would fault, and says how to fix it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from conftest import COLUMN_NAMES, ROOT, build, settings_for, write_item
from content_model.config import get_site
from content_model.corpus import build_corpus
from health_check.check import SERIOUS, WARNING, failed, run_check
from health_check.config import get_config

UIDS = iter(f"{n:08d}-0000-4000-8000-000000000000" for n in range(1, 10**6))


def item(content, name, day, column="监督", body="正文。", title="稿件", extra=""):
    folder = content / "news" / day[:4]
    header = f"标题：{title}\n日期：{day}\n栏目：{column}\n编号：{next(UIDS)}{extra}"
    return write_item(folder, name, header, body)


def check(content, tmp_path, today, **override):
    out = build(content, tmp_path / "out", **override)
    conf = settings_for(content, out, **override)
    corpus = build_corpus(conf, bodies=False)
    findings = run_check(corpus, get_site(conf), get_config(conf), date.fromisoformat(today),
                         content, out, origins=["http://localhost:8000"])  # fmt: skip
    return findings


def kinds(findings):
    return [f.kind for f in findings]


def test_a_fresh_site_with_every_column_updated_passes(content, tmp_path):
    for n, column in enumerate(COLUMN_NAMES):
        item(content, f"{n}.md", "2025-03-10", column=column)
    findings = check(content, tmp_path, "2025-03-20")
    assert not failed(findings) and not [f for f in findings if f.severity != "提示"]


def test_stale_and_empty_columns_and_the_home_page(content, tmp_path):
    item(content, "a.md", "2025-01-02", column="监督")
    item(content, "b.md", "2025-03-01", column="代表风采")
    findings = check(content, tmp_path, "2025-03-20")
    stale = {
        f.message.split("”")[0].lstrip("栏目“"): f for f in findings if f.kind == "stale_column"
    }
    assert set(stale) == {"监督", "代表风采"}
    assert "77 天" in stale["监督"].message and stale["监督"].severity == WARNING
    assert len([f for f in findings if f.kind == "empty_column"]) == 5
    assert "empty_columns_fail" in kinds(findings)  # 5 empty columns fail the site
    assert "stale_home" in kinds(findings)  # newest item 19 days old
    assert failed(findings)


def test_five_stale_columns_fail_the_site_and_notice_columns_wait_longer(content, tmp_path):
    columns = COLUMN_NAMES
    for n, column in enumerate(columns):
        item(content, f"{n}.md", "2025-01-05" if n < 5 else "2025-03-15", column=column)
    findings = check(content, tmp_path, "2025-03-20")
    fail = next(f for f in findings if f.kind == "stale_columns_fail")
    assert fail.severity == SERIOUS and "5 个栏目未按时更新" in fail.message
    declared = settings_for(content, tmp_path)["COLUMNS"]
    notice = [dict(c, kind="notice") if c["name"] == "监督" else c for c in declared]
    relaxed = check(content, tmp_path / "notice", "2025-03-20", COLUMNS=notice)
    assert "stale_columns_fail" not in kinds(relaxed)
    assert "监督" not in " ".join(f.message for f in relaxed if f.kind == "stale_column")


@pytest.mark.warnings_expected  # Pelican itself warns about the empty alt
def test_broken_links_missing_images_images_without_alt_and_external_links(content, tmp_path):
    (content / "images").mkdir()
    (content / "images/ok.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    body = (
        "见[旧稿](/news/2025/03/nothing.html)和[相对](../missing/)。\n\n"
        "![](/images/ok.svg)\n\n![会场](/images/gone.jpg)\n\n[外部网站](https://www.npc.gov.cn/)"
    )
    item(content, "a.md", "2025-03-10", body=body)
    findings = check(content, tmp_path, "2025-03-12")
    broken = [f for f in findings if f.kind == "broken_link"]
    assert {f.link for f in broken} == {"/news/2025/03/nothing.html", "../missing/"}
    assert all(f.page.startswith("news/2025/03/") and f.severity == SERIOUS for f in broken)
    missing = [f for f in findings if f.kind == "missing_image"]
    assert [f.link for f in missing] == ["/images/gone.jpg"]
    no_alt = [f for f in findings if f.kind == "image_without_alt"]
    assert {f.link for f in no_alt} == {"/images/ok.svg"} and no_alt[0].severity == WARNING
    assert {f.page for f in no_alt} == {"index.html", broken[0].page}  # the home page leads with it
    external = {f.link for f in findings if f.kind == "external_link"}
    assert "https://www.npc.gov.cn/" in external and "https://beian.miit.gov.cn/" in external


def test_wording_errors_in_title_summary_and_body_with_the_fix(content, tmp_path):
    item(content, "a.md", "2025-03-10", title="中华人民共合国宪法宣誓", body="区攻府副区长列席会议。",
         extra="\n摘要：学习中华人民共合国宪法")  # fmt: skip
    findings = [f for f in check(content, tmp_path, "2025-03-12") if f.kind == "wording"]
    assert [(f.line, f.message) for f in findings] == [
        (1, "严重表述错误：“中华人民共合国”应为“中华人民共和国”。"),
        (5, "严重表述错误：“中华人民共合国”应为“中华人民共和国”。"),
        (7, "严重表述错误：“攻府”应为“政府”。"),
    ]
    assert (
        findings[0].file == "news/2025/a.md"
        and findings[0].fix == "把“中华人民共合国”改为“中华人民共和国”。"
    )


def git(folder: Path, *args, when=None):
    env = {**os.environ, "GIT_AUTHOR_NAME": "编辑", "GIT_AUTHOR_EMAIL": "e@example.org",
           "GIT_COMMITTER_NAME": "编辑", "GIT_COMMITTER_EMAIL": "e@example.org"}  # fmt: skip
    if when:
        env.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, env=env)


def test_back_dated_items_are_found_from_git_history(content, tmp_path):
    git(content, "init", "-q")
    item(content, "honest.md", "2025-03-09 10:00")
    item(content, "backdated.md", "2025-02-20 10:00")
    git(content, "add", ".")
    git(content, "commit", "-q", "-m", "稿件", when="2025-03-10T12:00:00+08:00")
    # The sample's settings exempt its imported archive; a real office's would not.
    findings = [
        f for f in check(content, tmp_path, "2025-03-12", HEALTH_CHECK={}) if f.kind == "backdated"
    ]
    assert [f.file for f in findings] == ["news/2025/backdated.md"]
    assert "早 18 天" in findings[0].message and findings[0].line == 2
    imported = check(
        content,
        tmp_path / "imported",
        "2025-03-12",
        HEALTH_CHECK={"ARCHIVE_IMPORTED": "2025-03-10"},
    )
    assert "backdated" not in kinds(imported)


def run_check_command(*args):
    return subprocess.run([sys.executable, "-m", "invoke", "check", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)  # fmt: skip


def test_invoke_check_reports_in_chinese_writes_page_and_json_and_fails(content, tmp_path):
    item(content, "a.md", "2025-03-10", title="攻府工作报告")
    report = tmp_path / "report"
    result = run_check_command("--content", str(content), "--output", str(tmp_path / "out"),
                               "--today", "2025-03-12", "--report", str(report))  # fmt: skip
    assert result.returncode == 1
    assert "【严重】" in result.stdout and "“攻府”应为“政府”" in result.stdout
    data = json.loads((report / "report.json").read_text(encoding="utf-8"))
    assert data["failed"] is True and data["today"] == "2025-03-12"
    assert any(f["kind"] == "wording" and f["file"] == "news/2025/a.md" for f in data["findings"])
    page = (report / "index.html").read_text(encoding="utf-8")
    assert "网站健康检查" in page and 'name="robots" content="noindex, nofollow"' in page


def test_the_sample_site(tmp_path):
    result = run_check_command("--output", str(tmp_path / "out"), "--today", "2026-09-20",
                               "--report", str(tmp_path / "report"))  # fmt: skip
    data = json.loads((tmp_path / "report/report.json").read_text(encoding="utf-8"))
    found = {f["kind"] for f in data["findings"]}
    # A small district archive cannot keep seven columns fresh: the check says so.
    assert "stale_columns_fail" in found and result.returncode == 1
    assert not found & {"broken_link", "missing_image", "wording", "backdated", "image_without_alt"}


@pytest.mark.parametrize("bad", ["yesterday", "2025/03/01"])
def test_a_bad_today_is_explained(bad, tmp_path):
    result = run_check_command(
        "--today", bad, "--output", str(tmp_path / "out"), "--report", str(tmp_path / "r")
    )
    assert result.returncode == 1 and "--today 请写成" in result.stderr


def test_back_dating_sees_chinese_file_names_and_files_not_yet_committed(content, tmp_path):
    git(content, "init", "-q")
    item(content, "监督稿件.md", "2025-02-20 10:00")
    git(content, "add", ".")
    git(content, "commit", "-q", "-m", "稿件", when="2025-03-10T12:00:00+08:00")
    item(content, "uncommitted.md", "2025-02-01 10:00")  # "now" (2026-11-22) is long after
    found = {
        f.file
        for f in check(content, tmp_path, "2025-03-12", HEALTH_CHECK={})
        if f.kind == "backdated"
    }
    assert found == {"news/2025/监督稿件.md", "news/2025/uncommitted.md"}


def test_drafts_are_not_the_public_sites_problem(content, tmp_path):
    item(content, "a.md", "2025-03-10")
    item(content, "draft.md", "2025-03-11", title="攻府工作草稿", extra="\n状态：草稿")
    assert "wording" not in kinds(check(content, tmp_path, "2025-03-12"))


def test_checking_without_a_built_site_fails(content, tmp_path):
    item(content, "a.md", "2025-03-10")
    result = run_check_command("--no-build", "--content", str(content), "--output", str(tmp_path / "none"),
                               "--report", str(tmp_path / "r"))  # fmt: skip
    assert result.returncode == 1 and "没有生成好的网站" in result.stdout
