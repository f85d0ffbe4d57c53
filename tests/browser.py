"""What the browser tests need: the real tools, a local server, a Chromium page.

When CI=true a missing tool fails the test; elsewhere it skips with the reason, so
a developer without Chromium can still run the rest.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
TOOLS = Path(__file__).parent / "tools" / "node_modules"
AXE = TOOLS / "axe-core" / "axe.min.js"
VNU = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require(condition: bool, what: str) -> None:
    """Fail under CI, skip elsewhere, when a real tool the test needs is missing."""
    if condition:
        return
    message = f"{what} is missing; `invoke test` installs it"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def require_java() -> str:
    """Return the java command, or fail/skip."""
    java = shutil.which("java")
    require(java is not None, "Java (for the Nu HTML checker)")
    require(VNU.is_file(), f"vnu-jar ({VNU})")
    return java


class _SiteHandler(SimpleHTTPRequestHandler):
    """Serve the built site the way the web server does, 404 page included."""

    def log_message(self, *args):
        pass

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class SiteServer:
    """A static server for a built site on 127.0.0.1, in a background thread."""

    def __init__(self, root: Path):
        handler = functools.partial(_SiteHandler, directory=str(root))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
