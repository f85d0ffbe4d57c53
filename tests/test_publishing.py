"""Publishing to a real nginx and a real SSH server on loopback, atomically."""

from __future__ import annotations

import gzip
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from browser import require
from conftest import ROOT, SAMPLE, build, copy_sample, settings_for, write_item
from publishing.nginx import render
from publishing.releases import LocalTarget, SshTarget, publish, rollback, target_from
from search.index import build_index

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SSHD = "/usr/sbin/sshd"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else "exited"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """Two versions of the sample site: A, and B with one more item."""
    a = build(SAMPLE, tmp_path_factory.mktemp("site-a"))
    build_index(a)
    content = copy_sample(tmp_path_factory.mktemp("b") / "content")
    write_item(content / "news/2026", "new.md",
               "标题：区人大常委会召开新闻发布会\n日期：2026-11-20 10:00\n栏目：常委会会议\n"
               "编号：99999999-9999-4999-8999-999999999999")  # fmt: skip
    b = build(content, tmp_path_factory.mktemp("site-b"))
    return a, b


@pytest.fixture(scope="module")
def nginx(tmp_path_factory):
    """Nginx serving <target>/live with the shipped config, on a loopback port."""
    require(os.path.exists(NGINX), "nginx")
    prefix = tmp_path_factory.mktemp("nginx")
    target = prefix / "target"
    target.mkdir()
    for folder in ("logs", "tmp"):
        (prefix / folder).mkdir()
    port = free_port()
    settings = settings_for(SAMPLE, prefix)
    (prefix / "site.conf").write_text(render(settings, str(target), listen=f"127.0.0.1:{port}"))
    temp = "".join(
        f"    {kind}_temp_path {prefix}/tmp/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (prefix / "main.conf").write_text(
        f"worker_processes 1;\ndaemon off;\nuser root;\npid {prefix}/nginx.pid;\nerror_log {prefix}/logs/error.log;\n"
        f"events {{ worker_connections 64; }}\nhttp {{\n    include /etc/nginx/mime.types;\n"
        f"    default_type application/octet-stream;\n    access_log off;\n{temp}"
        f"    include {prefix}/site.conf;\n}}\n"
    )
    check = subprocess.run(
        [NGINX, "-t", "-c", str(prefix / "main.conf"), "-p", str(prefix)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(
        [NGINX, "-c", str(prefix / "main.conf"), "-p", str(prefix)],
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for_port(port, process)
    yield {"url": f"http://127.0.0.1:{port}", "target": target, "settings": settings}
    process.terminate()
    process.wait(timeout=10)


def get(url, **headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_publish_makes_a_release_live_and_nginx_serves_it_with_every_header(nginx, sites):
    a, _ = sites
    target = LocalTarget(str(nginx["target"]))
    name, _ = publish(a, target)
    assert target.live() == name and os.readlink(nginx["target"] / "live") == f"releases/{name}"
    status, headers, body = get(nginx["url"] + "/")
    assert status == 200 and body == (a / "index.html").read_bytes()
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    csp = nginx["settings"]["CONTENT_SECURITY_POLICY"]
    assert headers["Content-Security-Policy"] == csp + "; frame-ancestors 'self'"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["Cache-Control"] == "public, max-age=300"
    assert "Server" not in headers or "/" not in headers["Server"]  # no version shown
    status, headers, zipped = get(nginx["url"] + "/", **{"Accept-Encoding": "gzip"})
    assert headers.get("Content-Encoding") == "gzip" and gzip.decompress(zipped) == body
    css = next(link for link in body.decode().split('"') if "site.css?v=" in link)
    status, headers, _ = get(nginx["url"] + css, **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["Content-Encoding"] == "gzip" and headers["Content-Type"].startswith("text/css")
    for feed, kind in (
        ("/feeds/all.atom.xml", "application/atom+xml"),
        ("/feeds/all.rss.xml", "application/rss+xml"),
    ):
        status, headers, _ = get(nginx["url"] + feed, **{"Accept-Encoding": "gzip"})
        assert status == 200 and headers["Content-Type"] == f"{kind}; charset=utf-8"
        assert (
            headers["Content-Encoding"] == "gzip"
            and headers["Cache-Control"] == "public, max-age=600"
        )
        assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    status, headers, _ = get(nginx["url"] + "/pagefind/pagefind.js")
    assert status == 200 and headers["Content-Type"].startswith("application/javascript")
    assert headers["Cache-Control"] == "public, max-age=300"
    chunk = next((a / "pagefind/index").glob("*.pf_index")).name
    status, headers, _ = get(nginx["url"] + f"/pagefind/index/{chunk}")
    assert status == 200 and headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["Content-Type"] == "application/octet-stream"
    wasm = next((a / "pagefind").glob("wasm.*.pagefind")).name
    status, headers, _ = get(nginx["url"] + f"/pagefind/{wasm}")
    assert (
        status == 200 and headers["Cache-Control"] == "public, max-age=300"
    )  # same name each build


def test_not_found_hidden_files_and_no_directory_listings(nginx, sites):
    publish(sites[0], LocalTarget(str(nginx["target"])))
    status, headers, body = get(nginx["url"] + "/no/such/page/")
    assert status == 404 and "页面不存在" in body.decode()
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, _, body = get(nginx["url"] + "/theme/css/")
    assert status in (403, 404) and b"Index of" not in body
    (nginx["target"] / "live" / ".secret").write_text("x")
    assert get(nginx["url"] + "/.secret")[0] == 404


def test_requests_during_a_publish_see_the_old_or_the_new_site_never_a_mix(nginx, sites):
    a, b = sites
    target = LocalTarget(str(nginx["target"]))
    publish(a, target)
    old, new = (a / "index.html").read_bytes(), (b / "index.html").read_bytes()
    assert old != new
    seen, stop = [], threading.Event()

    def hammer():
        while not stop.is_set() and len(seen) < 20000:
            seen.append(get(nginx["url"] + "/index.html")[::2])

    worker = threading.Thread(target=hammer)
    worker.start()
    time.sleep(0.2)
    publish(b, target)
    time.sleep(0.3)
    stop.set()
    worker.join(timeout=30)
    assert len(seen) > 20
    assert {status for status, _ in seen} == {200}
    bodies = [body for _, body in seen]
    assert set(bodies) <= {old, new}
    assert bodies[0] == old and bodies[-1] == new
    switched = bodies.index(new)
    assert all(body == new for body in bodies[switched:]), "never back to the old site"


def test_rollback_restores_the_previous_release(nginx, sites):
    a, b = sites
    target = LocalTarget(str(nginx["target"]))
    first, _ = publish(a, target)
    second, _ = publish(b, target)
    assert get(nginx["url"] + "/")[2] == (b / "index.html").read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "invoke", "rollback", "--target", str(nginx["target"])],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0 and f"从 {second} 切换回 {first}" in result.stdout
    assert target.live() == first
    assert get(nginx["url"] + "/")[2] == (a / "index.html").read_bytes()


def test_a_build_that_fails_validation_leaves_the_live_site_unchanged(tmp_path, sites):
    target_dir = tmp_path / "target"
    publish(sites[0], LocalTarget(str(target_dir)))
    before = (
        os.readlink(target_dir / "live"),
        tree(target_dir / "live"),
        sorted(os.listdir(target_dir / "releases")),
    )
    content = copy_sample(tmp_path / "content")
    write_item(content / "news/2026", "bad.md", "标题：坏稿件\n日期：2026-02-30\n栏目：监察")
    result = subprocess.run(
        [sys.executable, "-m", "invoke", "publish", "--content", str(content), "--output", str(tmp_path / "out"),
         "--target", str(target_dir)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert result.returncode == 1 and "不认识的栏目“监察”" in result.stderr
    after = (
        os.readlink(target_dir / "live"),
        tree(target_dir / "live"),
        sorted(os.listdir(target_dir / "releases")),
    )
    assert after == before


def test_invoke_publish_builds_checks_and_publishes(tmp_path):
    target_dir = tmp_path / "target"
    result = subprocess.run(
        [sys.executable, "-m", "invoke", "publish", "--output", str(tmp_path / "out"), "--target", str(target_dir)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "已发布新版本" in result.stdout and "线上网站已切换" in result.stdout
    live = target_dir / "live"
    assert (live / "index.html").is_file() and (live / "pagefind/pagefind.js").is_file()
    # publishconf.py: absolute URLs on the production domain, no drafts.
    assert "https://www.yunxi-renda.example/" in (live / "feeds/all.atom.xml").read_text()
    assert not (live / "drafts").exists()


def test_old_releases_are_pruned_but_never_the_live_or_previous(tmp_path, sites):
    target = LocalTarget(str(tmp_path / "target"))
    names = [publish(sites[n % 2], target, keep=2)[0] for n in range(4)]
    assert target.releases() == names[-2:] and target.live() == names[-1]


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    """Start an SSH server on loopback with a throwaway host key and user key."""
    require(os.path.exists(SSHD) and shutil.which("rsync") is not None, "openssh-server and rsync")
    folder = tmp_path_factory.mktemp("sshd")
    for name in ("host_key", "user_key"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name)], check=True
        )
    (folder / "authorized_keys").write_text((folder / "user_key.pub").read_text())
    os.chmod(folder / "authorized_keys", 0o600)
    port = free_port()
    (folder / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder}/host_key\nPidFile {folder}/sshd.pid\n"
        f"AuthorizedKeysFile {folder}/authorized_keys\nPermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
    )
    Path("/run/sshd").mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [SSHD, "-D", "-e", "-f", str(folder / "sshd_config")], stderr=subprocess.PIPE, text=True
    )
    wait_for_port(port, process)
    options = ["-i", str(folder / "user_key"), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               "-o", "BatchMode=yes", "-o", "LogLevel=ERROR"]  # fmt: skip
    yield {"port": port, "options": options, "user": os.environ.get("USER") or "root"}
    process.terminate()
    process.wait(timeout=10)


def test_publish_and_rollback_over_ssh_with_rsync(sshd, sites, tmp_path):
    a, b = sites
    remote = tmp_path / "remote"
    target = target_from(f"ssh://{sshd['user']}@127.0.0.1:{sshd['port']}{remote}", sshd["options"])
    assert isinstance(target, SshTarget)
    first, _ = publish(a, target)
    assert os.readlink(remote / "live") == f"releases/{first}"
    assert tree(remote / "live") == tree(a)
    second, _ = publish(b, target)
    assert tree(remote / "live") == tree(b)
    # rsync --link-dest: files that did not change are hard links, not copies.
    unchanged = "theme/css/site.css"
    assert (remote / "releases" / first / unchanged).stat().st_ino == (
        remote / "releases" / second / unchanged
    ).stat().st_ino
    assert rollback(target) == (second, first)
    assert tree(remote / "live") == tree(a)


def test_a_bad_ssh_target_is_explained():
    from publishing.releases import PublishError

    with pytest.raises(PublishError, match="ssh://用户名@主机:端口/路径"):
        target_from("ssh://host-without-user")


def test_a_second_rollback_never_brings_back_what_was_rolled_away_from(tmp_path, sites):
    a, b = sites
    target = LocalTarget(str(tmp_path / "target"))
    first, _ = publish(a, target)
    second, _ = publish(b, target)
    third, _ = publish(a, target)
    assert rollback(target) == (third, second)
    fourth, _ = publish(b, target)
    assert rollback(target) == (fourth, second)  # not back to the rejected third
    assert rollback(target) == (second, first)
    with pytest.raises(Exception, match="没有更早的版本"):
        rollback(target)
