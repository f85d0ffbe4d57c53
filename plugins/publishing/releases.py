"""Releases side by side, one symlink that says which is live, switched by rename.

    <target>/releases/20261122T093000123456/   a complete site
    <target>/live -> releases/20261122T093000123456
    <target>/history                            the releases made live, in order

A release is uploaded under a hidden name and renamed when complete; the live link
is replaced with rename(2), so a reader sees the old site or the new one, never
half of one. Rollback points the link at the previous release the same way.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

LIVE = "live"
RELEASES = "releases"
HISTORY = "history"


class PublishError(RuntimeError):
    """Publishing could not be done; the message is Chinese and says why."""


def stamp(now: datetime | None = None) -> str:
    """Return a release name that sorts by time."""
    return (now or datetime.now()).strftime("%Y%m%dT%H%M%S%f")


class LocalTarget:
    """Releases in a folder of this machine."""

    def __init__(self, root: str):
        self.root = Path(root)

    def describe(self) -> str:
        """Return the target as shown to people."""
        return str(self.root)

    def releases(self) -> list[str]:
        """Return the complete releases, oldest first."""
        folder = self.root / RELEASES
        return (
            sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
            if folder.is_dir()
            else []
        )

    def live(self) -> str | None:
        """Return the live release's name, or None."""
        link = self.root / LIVE
        return Path(os.readlink(link)).name if link.is_symlink() else None

    def upload(self, site: Path, name: str, previous: str | None) -> None:
        """Copy a built site into a new release (complete before it gets its name)."""
        partial = self.root / RELEASES / f".{name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(site, partial, symlinks=False)
        partial.rename(self.root / RELEASES / name)

    def switch(self, name: str) -> None:
        """Point the live link at a release, atomically."""
        temporary = self.root / f".{LIVE}.{name}"
        if temporary.is_symlink():
            temporary.unlink()
        temporary.symlink_to(f"{RELEASES}/{name}")
        os.replace(temporary, self.root / LIVE)

    def remove(self, name: str) -> None:
        """Delete a release."""
        shutil.rmtree(self.root / RELEASES / name)

    def history(self) -> list[str]:
        """Return the releases made live, oldest first ([] before the first publish)."""
        file = self.root / HISTORY
        return file.read_text(encoding="utf-8").split() if file.is_file() else []

    def write_history(self, names: list[str]) -> None:
        """Replace the history, atomically."""
        partial = self.root / f".{HISTORY}.partial"
        partial.write_text("".join(f"{n}\n" for n in names), encoding="utf-8")
        os.replace(partial, self.root / HISTORY)


@dataclass
class SshTarget:
    """Releases on another host, reached with ssh and filled with rsync."""

    user: str
    host: str
    port: int
    path: str
    options: list[str] = field(default_factory=list)  # e.g. ["-i", "key", "-o", "..."]

    def describe(self) -> str:
        """Return the target as shown to people."""
        return f"{self.user}@{self.host}:{self.path}"

    def _ssh(self) -> list[str]:
        return ["ssh", "-p", str(self.port), *self.options, f"{self.user}@{self.host}"]

    def run(self, command: str) -> str:
        """Run a shell command on the host; raise PublishError on failure."""
        result = subprocess.run(
            [*self._ssh(), command], capture_output=True, text=True, timeout=300
        )
        if result.returncode != 0:
            raise PublishError(f"服务器上的命令失败（{command}）：{result.stderr.strip()[-400:]}")
        return result.stdout

    def releases(self) -> list[str]:
        """Return the complete releases, oldest first."""
        folder = shlex.quote(f"{self.path}/{RELEASES}")
        output = self.run(f"mkdir -p {folder} && ls -1 {folder}")
        return sorted(n for n in output.split() if not n.startswith("."))

    def live(self) -> str | None:
        """Return the live release's name, or None."""
        target = self.run(f"readlink {shlex.quote(self.path + '/' + LIVE)} || true").strip()
        return Path(target).name if target else None

    def upload(self, site: Path, name: str, previous: str | None) -> None:
        """Copy a built site into a new release with rsync, hard-linking unchanged files."""
        base = f"{self.path}/{RELEASES}"
        partial = f"{base}/.{name}.partial"
        remote_shell = " ".join(
            shlex.quote(p) for p in ["ssh", "-p", str(self.port), *self.options]
        )
        # Each build writes fresh file times: compare contents (--checksum) and keep
        # no times (no -t), so unchanged files become hard links to the live
        # release's files and cross the network only once.
        command = ["rsync", "-rlpD", "--checksum", "--delete", "-e", remote_shell]
        if previous:
            command.append(f"--link-dest=../{previous}")
        command += [f"{site}/", f"{self.user}@{self.host}:{partial}/"]
        self.run(f"mkdir -p {shlex.quote(base)}")
        result = subprocess.run(command, capture_output=True, text=True, timeout=3600)
        if result.returncode != 0:
            raise PublishError(f"上传失败：{result.stderr.strip()[-400:]}")
        self.run(f"mv {shlex.quote(partial)} {shlex.quote(base + '/' + name)}")

    def switch(self, name: str) -> None:
        """Point the live link at a release, atomically (ln, then rename with mv -T)."""
        root = shlex.quote(self.path)
        self.run(
            f"cd {root} && ln -sfn {RELEASES}/{name} .{LIVE}.{name} && mv -T .{LIVE}.{name} {LIVE}"
        )

    def remove(self, name: str) -> None:
        """Delete a release."""
        self.run(f"rm -rf {shlex.quote(self.path + '/' + RELEASES + '/' + name)}")

    def history(self) -> list[str]:
        """Return the releases made live, oldest first ([] before the first publish)."""
        return self.run(f"cat {shlex.quote(self.path + '/' + HISTORY)} 2>/dev/null || true").split()

    def write_history(self, names: list[str]) -> None:
        """Replace the history, atomically."""
        root = shlex.quote(self.path)
        lines = shlex.quote("".join(f"{n}\n" for n in names))
        self.run(
            f"cd {root} && printf %s {lines} > .{HISTORY}.partial && mv .{HISTORY}.partial {HISTORY}"
        )


def target_from(spec: str, options: list[str] | None = None):
    """Return the target for "ssh://user@host:port/path" or a local folder path."""
    if spec.startswith("ssh://"):
        parts = urlsplit(spec)
        if not (parts.username and parts.hostname and parts.path):
            raise PublishError(f"发布目标“{spec}”应写成 ssh://用户名@主机:端口/路径。")
        return SshTarget(
            parts.username, parts.hostname, parts.port or 22, parts.path, list(options or [])
        )
    return LocalTarget(spec.removeprefix("local:"))


def publish(site: Path, target, keep: int = 5) -> tuple[str, list[str]]:
    """Upload a built site as a new release, make it live, keep the newest `keep`.

    Returns the new release's name and the releases removed.
    """
    if not (site / "index.html").is_file():
        raise PublishError(f"{site} 不是生成好的网站（没有 index.html）。")
    previous = target.live()
    history = target.history() or ([previous] if previous else [])
    name = stamp()
    target.upload(site, name, previous)
    target.switch(name)
    history.append(name)
    target.write_history(history)
    # Keep the newest `keep` releases that were live (rollback goes back along them).
    keeping = set(history[-max(keep, 2) :]) | {name}
    removed = [old for old in target.releases() if old not in keeping]
    for old in removed:
        target.remove(old)
    target.write_history([n for n in history if n not in removed])
    return name, removed


def rollback(target) -> tuple[str, str]:
    """Make the release that was live before the current one live again.

    Returns (from, to). The release rolled away from leaves the history, so a
    second rollback goes further back, never forward to it.
    """
    live, releases = target.live(), set(target.releases())
    history = [n for n in target.history() if n in releases]
    if len(history) < 2 or history[-1] != live:
        raise PublishError("没有更早的版本可以回退。")
    previous = history[-2]
    target.switch(previous)
    target.write_history(history[:-1])
    return live, previous
