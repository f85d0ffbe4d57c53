"""Project tasks: build, preview, check content, write items, test.

Every task that reads content takes --content DIR and --settings FILE; tasks that
write the site take --output DIR. Pelican runs in-process.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import signal
import sys
import threading
from datetime import datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from invoke import Exit, task

ROOT = Path(__file__).resolve().parent
DEFAULT_SETTINGS = str(ROOT / "pelicanconf.py")
sys.path.insert(0, str(ROOT / "plugins"))


def _settings(settings=None, content=None, output=None, **extra):
    """Read a settings file with the command-line overrides applied."""
    from pelican.settings import read_settings

    override = dict(extra)
    if content:
        override["PATH"] = os.path.abspath(content)
    if output:
        override["OUTPUT_PATH"] = os.path.abspath(output)
    return read_settings(os.path.abspath(settings or DEFAULT_SETTINGS), override=override)


_counts: dict[str, int] = {}


def _count(generators):
    """Remember what a run publishes, for the Chinese summary (signal receiver)."""
    from fast_build.uptodate import published

    _counts.update(published(generators))


def _run(settings_dict):
    """Run Pelican once and print what it published, in Chinese."""
    import pelican
    from fast_build.uptodate import UNCHANGED, last_skip
    from pelican import signals
    from rich.console import Console

    # Pelican's closing "Done: Processed ..." line is English; editors get ours. Only
    # the console run() prints with is silenced, not the one log messages go to.
    pelican.console = Console(quiet=True)
    signals.all_generators_finalized.connect(_count)
    _counts.clear()
    pelican.Pelican(settings_dict).run()
    skipped = last_skip()
    if skipped is not None:
        _counts.update(skipped["counts"])
        print(f"{UNCHANGED}。")
    print(
        f"已发布 {_counts.get('articles', 0)} 篇稿件、{_counts.get('pages', 0)} 个页面；"
        f"{_counts.get('drafts', 0)} 篇草稿或待发布稿件未上线。"
    )


def _build(settings_dict, search=True):
    """Build into a fresh folder and swap it in; on any failure keep the old site.

    Content problems stop Pelican before it writes anything; building aside also
    covers Pelican's own errors, which can happen halfway through writing.
    """
    from pelican.log import init as init_logging

    from content_model.problems import ContentRefused

    init_logging(level=logging.WARNING)
    final = Path(settings_dict["OUTPUT_PATH"])
    if _unchanged(settings_dict, search):
        return
    staging = final.with_name(final.name + ".building")
    shutil.rmtree(staging, ignore_errors=True)
    # Pages whose inputs did not change are hard-linked from the site being replaced.
    incremental = {**(settings_dict.get("FAST_BUILD") or {}), "FROM": str(final)}
    try:
        _run({**settings_dict, "OUTPUT_PATH": str(staging), "FAST_BUILD": incremental})
        if search:
            from search.index import build_index, item_pages

            stats = build_index(staging, item_pages(settings_dict))
            print(f"搜索索引：{stats.pages} 篇稿件，{stats.bytes / 1048576:.1f} MB。")
    except ContentRefused:
        shutil.rmtree(staging, ignore_errors=True)
        raise Exit(code=1) from None  # the report is already on the terminal
    except Exception as error:  # Pelican's own errors are fatal too
        shutil.rmtree(staging, ignore_errors=True)
        raise Exit(f"构建失败：{error}（原有网站文件保持不变）", code=1) from None
    previous = final.with_name(final.name + ".previous")
    shutil.rmtree(previous, ignore_errors=True)
    if final.exists():
        final.rename(previous)
    staging.rename(final)
    shutil.rmtree(previous, ignore_errors=True)


def _unchanged(settings_dict, search) -> bool:
    """Say so and return True if the last build of this output still holds (no rebuild).

    Its warnings are said again; a search index missing from it is made.
    """
    from fast_build.uptodate import UNCHANGED, check, say_again

    stamp = check(settings_dict)
    if stamp is None:
        return False
    say_again(stamp)
    counts = stamp["counts"]
    print(
        f"{UNCHANGED}（已发布 {counts.get('articles', 0)} 篇稿件、{counts.get('pages', 0)} 个页面）。"
    )
    output = Path(settings_dict["OUTPUT_PATH"])
    if search:
        from search.index import BUNDLE, build_index, item_pages

        if not (output / BUNDLE / "pagefind-entry.json").is_file():
            build_index(output, item_pages(settings_dict))
    return True


def _preview(drafts):
    """Return the overrides that make a preview show drafts and waiting items."""
    if not drafts:
        return {}
    return {"DRAFT_SAVE_AS": "drafts/{slug}.html", "DRAFT_PAGE_SAVE_AS": "drafts/pages/{slug}.html"}


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serve files without printing an English access log line per request."""

    def log_message(self, *args):
        """Print nothing."""


def _serve_apart(server: ThreadingHTTPServer):
    """Answer requests in a child process; return the function that stops it.

    The builds then run in a process without other threads, which may fork (the items'
    pages are written by a second process; see plugins/fast_build/parallel.py). The
    child ends with its parent, even when the parent is killed.
    """
    if not hasattr(os, "fork"):
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server.shutdown
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        server.timeout = 0.5
        try:
            while os.getppid() == parent:
                server.handle_request()
        except KeyboardInterrupt:
            pass
        finally:
            os._exit(0)
    server.socket.close()

    def stop():
        try:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
        except OSError:
            pass

    return stop


@task(
    help={
        "content": "content folder (default: the settings' PATH, content/)",
        "output": "output folder (default: the settings' OUTPUT_PATH, output/)",
        "settings": "settings file (default: pelicanconf.py)",
        "drafts": "also write drafts and items waiting for their date, for preview",
        "search": "build the search index (default: yes; --no-search for a quick preview)",
    }
)
def build(c, content=None, output=None, settings=None, drafts=False, search=True):
    """Check all content, build the site and its search index; exit non-zero on any problem."""
    conf = _settings(settings, content, output, **_preview(drafts))
    _build(conf, search=search)
    print(f"网站已生成：{conf['OUTPUT_PATH']}")


@task(
    help={
        "content": "content folder",
        "output": "output folder",
        "settings": "settings file",
        "port": "port on localhost (default 8000)",
        "drafts": "show drafts and waiting items too (preview only)",
        "search": "index for search after each rebuild (default: yes; --no-search for big archives)",
    }
)
def serve(c, content=None, output=None, settings=None, port=8000, drafts=True, search=True):
    """Build, serve on http://localhost:PORT and rebuild when content changes."""
    from fast_build.session import settle
    from pelican.log import init as init_logging
    from pelican.utils import wait_for_changes

    from content_model.problems import ContentRefused
    from search.index import build_index, item_pages

    conf = _settings(settings, content, output, **_preview(drafts))
    conf["FAST_BUILD"] = {**(conf.get("FAST_BUILD") or {}), "PREVIEW": True}
    init_logging(level=logging.WARNING)
    Path(conf["OUTPUT_PATH"]).mkdir(parents=True, exist_ok=True)
    handler = partial(_QuietHandler, directory=conf["OUTPUT_PATH"])
    try:
        server = ThreadingHTTPServer(("127.0.0.1", int(port)), handler)
    except OSError:
        raise Exit(
            f"端口 {port} 已被占用，请关闭占用它的程序，或用 --port 换一个端口。", code=1
        ) from None
    stop_serving = _serve_apart(server)
    print(f"预览地址：http://localhost:{port}/  （修改稿件后自动重新生成；按 Ctrl+C 退出）")
    settings_file = os.path.abspath(settings or DEFAULT_SETTINGS)
    try:
        while True:
            try:
                _run(conf)
                if search:  # large archives: --no-search keeps the edit loop short
                    build_index(Path(conf["OUTPUT_PATH"]), item_pages(conf))
            except ContentRefused:
                print("请按上面的提示修改稿件，保存后会自动重试。")
            except Exception as error:
                print(f"构建失败：{error}")
            settle()  # while the editor reads the page: the next run starts lighter
            wait_for_changes(settings_file, conf)
    except KeyboardInterrupt:
        pass
    finally:
        stop_serving()


@task(help={"content": "content folder", "settings": "settings file"})
def validate(c, content=None, settings=None):
    """Check every content file without building; list all problems in Chinese."""
    from content_model.corpus import build_corpus
    from content_model.editing import shown_folder
    from content_model.problems import format_report

    conf = _settings(settings, content)
    corpus = build_corpus(conf)
    gc.freeze()  # nothing to collect before exit (see tally)
    if corpus.problems:
        print(format_report(corpus.problems, shown_folder(conf["PATH"])), file=sys.stderr)
        raise Exit(code=1)
    items, deputies = corpus.items(), corpus.deputies()
    pages = len(corpus.records) - len(items) - len(deputies)
    print(f"检查通过：{len(items)} 篇稿件，{pages} 个页面，{len(deputies)} 位代表。")
    for record in corpus.waiting:
        print(f"定于以后发布：{record.path}（{record.meta['date']:%Y年%m月%d日 %H:%M}）")


@task(
    name="add-uids",
    help={"content": "content folder", "settings": "settings file"},
)
def add_uids(c, content=None, settings=None):
    """Give every news item that has no 编号 (Uid) a fresh one."""
    from content_model.editing import add_missing_uids

    conf = _settings(settings, content)
    changed, unreadable = add_missing_uids(conf)
    for path in changed:
        print(f"已补编号：{path}")
    for path in unreadable:
        print(f"无法读取（不是 UTF-8 编码，请先另存为 UTF-8）：{path}", file=sys.stderr)
    print(f"共为 {len(changed)} 个文件补上了编号。")
    if unreadable:
        raise Exit(code=1)


@task(
    help={
        "title": "标题 (asked for when missing)",
        "column": "栏目, one declared column (asked for when missing)",
        "unit": "单位, a declared unit",
        "authors": "作者, separated by 、 or ,",
        "tags": "标签, separated by 、 or ,",
        "genre": "体裁, a declared genre",
        "date": "日期, e.g. 2025-03-15 09:30 (default: now)",
        "content": "content folder",
        "settings": "settings file",
    }
)
def new(
    c,
    title="",
    column="",
    unit="",
    authors="",
    tags="",
    genre="",
    date="",
    content=None,
    settings=None,
):
    """Create a news item with today's date and a fresh 编号; print its path."""
    from zoneinfo import ZoneInfo

    from content_model.config import get_site
    from content_model.editing import new_item, shown_folder
    from content_model.source import parse_date, split_list

    conf = _settings(settings, content)
    site = get_site(conf)
    tz = ZoneInfo(conf["TIMEZONE"])
    title = title or _ask("标题")
    column = column or _ask(f"栏目（{'、'.join(e.name for e in site.columns)}）")
    errors = []
    for value, registry in ((column, site.columns), (unit, site.units), (genre, site.genres)):
        if value and registry.find(value) is None:
            errors.append("".join(registry.unknown(value)))
    try:
        when = parse_date(date, tz) if date else datetime.now(tz).replace(second=0, microsecond=0)
    except ValueError as error:
        errors.append(str(error))
    if not title.strip():
        errors.append("标题不能为空。")
    if errors:
        raise Exit("\n".join(errors), code=1)
    file, url = new_item(
        conf,
        title=title.strip(),
        column=site.columns.find(column).name,
        date=when,
        unit=site.units.find(unit).name if unit else "",
        authors=split_list(authors),
        tags=split_list(tags),
        genre=site.genres.find(genre).name if genre else "",
    )
    print(f"已新建稿件：{shown_folder(file)}")
    print(f"预览地址（先运行 invoke serve）：http://localhost:8000/{url}")


def _ask(question):
    if not sys.stdin.isatty():
        raise Exit(f"缺少“{question.split('（')[0]}”，请用参数提供。", code=1)
    return input(f"{question}：").strip()


@task(
    help={
        "year": "the year to report, e.g. 2025 (default: this year)",
        "period": "a quarter (Q1..Q4) or month (01..12) of that year; default: the whole year",
        "content": "content folder",
        "settings": "settings file",
        "format": "table (default, printed), csv, json or xlsx",
        "output": "write to this file instead of printing (required for xlsx)",
    }
)
def tally(c, year=0, period="", content=None, settings=None, format="table", output=None):
    """Count the year's items, placements, submissions, quotas and rewards.

    Reads only the items' metadata; the site is not built.
    """
    from content_model.config import get_site
    from content_model.corpus import build_corpus
    from content_model.editing import shown_folder
    from content_model.problems import format_report
    from tally.config import get_config
    from tally.count import count, period_of
    from tally.export import to_csv, to_json, to_text, to_xlsx
    from tally.model import tally_items

    renderers = {
        "table": lambda r, s: to_text(r, s).encode("utf-8"),
        "csv": to_csv,
        "json": lambda r, s: to_json(r),
        "xlsx": to_xlsx,
    }
    if format not in renderers:
        raise Exit(f"--format 只能是 {'、'.join(renderers)} 之一。", code=1)
    if format == "xlsx" and not output:
        raise Exit("Excel 文件请用 --output 指定保存位置，例如 --output 统计.xlsx", code=1)
    conf = _settings(settings, content)
    gc.disable()  # a short run that makes no reference cycles: the collector only costs time
    corpus = build_corpus(conf, bodies=False)
    if corpus.problems:
        print(format_report(corpus.problems, shown_folder(conf["PATH"])), file=sys.stderr)
        raise Exit("稿件有问题，统计结果会不完整，请先修改。", code=1)
    try:
        span = period_of(int(year) or corpus.now.year, period)
    except ValueError as error:
        raise Exit(str(error), code=1) from None
    site = get_site(conf)
    report = count(tally_items(corpus, site), span, get_config(conf), site, corpus.now.date())
    data = renderers[format](report, site)
    if output:
        Path(output).write_bytes(data)
        print(f"已写入：{output}")
    else:
        sys.stdout.write(data.decode("utf-8"))
    # The process ends here: Python's last collection at exit would scan every object
    # the run made (~0.45 s at 20,000 items), to free what the system frees anyway.
    gc.freeze()


@task(
    help={
        "content": "content folder",
        "output": "the built site to check (default: output/); it is built first",
        "settings": "settings file",
        "today": "check as of this day, YYYY-MM-DD (default: today)",
        "report": "folder for the report page and JSON (default: check-report/)",
        "build": "build the site before checking (default: yes)",
    }
)
def check(c, content=None, output=None, settings=None, today="", report="check-report", build=True):
    """Check the site against the inspection indicators; exit non-zero if it fails.

    Columns and the home page not updated, empty columns, broken links and missing
    images, images without alt text, wording errors, back-dated items.
    """
    import json
    from datetime import date

    from content_model.editing import shown_folder
    from health_check.check import as_html, as_json, as_text, failed

    try:  # before building: a typo should not cost a whole build
        day = date.fromisoformat(today) if today else None
    except ValueError:
        raise Exit(f"--today 请写成 2026-03-15 这样的日期，现在是“{today}”。", code=1) from None
    conf = _settings(settings, content, output)
    if build:
        _build(conf)
    findings, day = _health(conf, day)
    folder = Path(report)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(as_html(findings, day), encoding="utf-8")
    (folder / "report.json").write_text(
        json.dumps(as_json(findings, day), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(as_text(findings, day))
    print(f"检查报告：{shown_folder(folder / 'index.html')}")
    if failed(findings):
        raise Exit(code=1)


@task(
    help={
        "items": "how many synthetic items (default 5000; 20000 for the city scale)",
        "workdir": "where to write the corpus and outputs (default: a temporary folder)",
        "vanilla": "also build with vanilla Pelican for the ratio (default: yes)",
        "search": "also time the search index (default: yes)",
        "only": "'tally' to time invoke tally alone (no builds)",
    }
)
def bench(c, items=5000, workdir="", vanilla=True, search=True, only=""):
    """Benchmark builds on a synthetic corpus against vanilla Pelican, in one run.

    Measures a cold build, a rebuild with nothing changed, after saving one item again
    unchanged, after editing one item's body, after adding one item, after moving one
    item to another column (in new processes, and in one process as invoke serve), and
    invoke tally; prints wall time per phase and peak memory, and the ratio to
    vanilla Pelican 4.12 on the same items.
    """
    from tests.bench.run import BenchError
    from tests.bench.run import run as run_bench

    try:
        run_bench(_settings(), DEFAULT_SETTINGS, items, workdir, vanilla, search, only)
    except BenchError as error:
        raise Exit(str(error), code=1) from None


def _health(conf, day=None):
    """Run the health check on a built site; return (findings, the day checked)."""
    from content_model.config import get_site
    from content_model.corpus import build_corpus
    from content_model.editing import shown_folder
    from content_model.problems import format_report
    from health_check.check import run_check
    from health_check.config import get_config

    corpus = build_corpus(conf, bodies=False)
    if corpus.problems:
        print(format_report(corpus.problems, shown_folder(conf["PATH"])), file=sys.stderr)
        raise Exit(code=1)
    day = day or corpus.now.date()
    findings = run_check(
        corpus, get_site(conf), get_config(conf), day, Path(conf["PATH"]), Path(conf["OUTPUT_PATH"]),
        origins=[conf.get("FEED_DOMAIN"), conf.get("SITEURL")],
    )  # fmt: skip
    return findings, day


PUBLISH_SETTINGS = str(ROOT / "publishconf.py")
# What stops a publish: errors in the site itself. Stale or empty columns are
# reported but do not block, since publishing new items is how they are fixed.
BLOCKING = {"broken_link", "missing_image", "wording", "backdated", "no_site"}


def _target(conf, target):
    from publishing.releases import target_from

    options = conf.get("PUBLISH", {})
    spec = target or options.get("TARGET")
    if not spec:
        raise Exit(
            "没有设置发布目标：在 publishconf.py 的 PUBLISH['TARGET'] 中填写，或用 --target 指定。",
            code=1,
        )
    return target_from(spec, options.get("SSH_OPTIONS", [])), int(options.get("KEEP", 5))


@task(
    help={
        "content": "content folder",
        "output": "where to build the site before uploading (default: output/)",
        "settings": "settings file (default: publishconf.py)",
        "target": "a folder, or ssh://user@host:port/path (default: PUBLISH['TARGET'])",
    }
)
def publish(c, content=None, output=None, settings=None, target=""):
    """Build strictly, check, upload a new release and make it live in one step.

    A build or check that fails stops here: the live site is not touched. The last
    PUBLISH['KEEP'] releases are kept for invoke rollback.
    """
    from health_check.check import as_text
    from publishing.releases import PublishError
    from publishing.releases import publish as publish_release

    conf = _settings(settings or PUBLISH_SETTINGS, content, output)
    where, keep = _target(conf, target)
    _build(conf)
    findings, day = _health(conf)
    blocking = [f for f in findings if f.kind in BLOCKING]
    if findings:
        print(as_text(findings, day))
    if blocking:
        raise Exit(f"有 {len(blocking)} 个问题必须先处理，本次没有发布，线上网站保持不变。", code=1)
    try:
        name, removed = publish_release(Path(conf["OUTPUT_PATH"]), where, keep)
    except PublishError as error:
        raise Exit(f"发布失败：{error}（线上网站保持不变）", code=1) from None
    print(f"已发布新版本 {name} 到 {where.describe()}，线上网站已切换。")
    if removed:
        print(f"已清理旧版本：{'、'.join(removed)}（保留最近 {keep} 个）。")


@task(
    help={
        "settings": "settings file (default: publishconf.py)",
        "target": "a folder, or ssh://user@host:port/path (default: PUBLISH['TARGET'])",
    }
)
def rollback(c, settings=None, target=""):
    """Make the previous release live again, in one atomic step."""
    from publishing.releases import PublishError
    from publishing.releases import rollback as rollback_release

    conf = _settings(settings or PUBLISH_SETTINGS)
    where, _ = _target(conf, target)
    try:
        before, after = rollback_release(where)
    except PublishError as error:
        raise Exit(f"回退失败：{error}", code=1) from None
    print(f"已回退：线上网站从 {before} 切换回 {after}。")


@task(
    name="nginx-config",
    help={
        "root": "the publish target folder on the server (holds live/ and releases/)",
        "server_name": "server_name (default: _)",
        "listen": "listen (default: 80)",
        "settings": "settings file (default: publishconf.py)",
        "output": "write to this file instead of printing",
    },
)
def nginx_config(c, root="/srv/renda", server_name="_", listen="80", settings=None, output=None):
    """Print the nginx server block for the site (CSP and types from the settings)."""
    from publishing.nginx import render

    text = render(_settings(settings or PUBLISH_SETTINGS), root, server_name, listen)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _install_test_tools(c):
    """Install what the browser and HTML tests need, when it is missing.

    Debian's chromium and CJK fonts, Java for the Nu HTML checker (apt, as root),
    and the npm packages in tests/tools (vnu-jar, axe-core). Never a browser
    download of Playwright's own.
    """
    packages = []
    if not Path("/usr/bin/chromium").exists():
        packages += ["chromium"]
    if not Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc").exists():
        packages += ["fonts-noto-cjk"]
    if not shutil.which("java"):
        packages += ["default-jre-headless"]
    if not shutil.which("npm"):
        packages += ["npm"]
    for command, package in (("nginx", "nginx"), ("sshd", "openssh-server"), ("rsync", "rsync")):
        if not shutil.which(command) and not Path(f"/usr/sbin/{command}").exists():
            packages.append(package)
    if packages:
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            print(f"缺少测试工具：{' '.join(packages)}；请以管理员身份安装（apt-get install）。")
        else:
            env = {"DEBIAN_FRONTEND": "noninteractive"}
            c.run("apt-get update -qq", env=env, echo=True)
            c.run(f"apt-get install -y -qq {' '.join(packages)}", env=env, echo=True)
    tools = ROOT / "tests" / "tools"
    marker = tools / "node_modules" / ".package-lock.json"
    lock = tools / "package-lock.json"
    if shutil.which("npm") and (
        not marker.exists() or marker.stat().st_mtime < lock.stat().st_mtime
    ):
        c.run(f"npm ci --prefix {tools} --no-audit --no-fund --loglevel=error", echo=True)


@task(
    help={
        "pytest_args": "extra arguments passed to pytest",
        "install": "install missing test tools first (default: yes)",
    }
)
def test(c, pytest_args="", install=True):
    """Install test tools if missing, lint with ruff, then run the whole test suite."""
    if install:
        _install_test_tools(c)
    c.run(f"{sys.executable} -m ruff check .", echo=True, pty=False)
    c.run(f"{sys.executable} -m ruff format --check .", echo=True, pty=False)
    c.run(f"{sys.executable} -m pytest {pytest_args}", echo=True, pty=False)


@task
def clean(c):
    """Remove the built site and caches."""
    for folder in ("output", "cache", ".pytest_cache"):
        shutil.rmtree(ROOT / folder, ignore_errors=True)
