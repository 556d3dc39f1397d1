"""A headless Chromium driven over the DevTools protocol, with no browser download.

Debian's `/usr/bin/chromium` is started with a fresh profile and a DevTools port on loopback;
the page is driven through one websocket (`websockets` is already a Prefect dependency), which
is all an end-to-end check needs: navigate, read the rendered text, click, take a screenshot.
Playwright and Selenium would each add a package (and Playwright a browser download) for the
same four calls.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--no-default-browser-check",
    "--window-size=1440,900",
)


class BrowserUnavailable(RuntimeError):
    """No Chromium here: the caller skips with this reason."""


def find_chromium() -> str:
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise BrowserUnavailable(
        "Chromium not found (/usr/bin/chromium); run scripts/ci_services.sh (Debian)"
    )


class Page:
    """One browser tab behind a DevTools websocket."""

    def __init__(self, ws_url: str) -> None:
        from websockets.sync.client import connect

        self._ws = connect(ws_url, max_size=64 * 1024 * 1024, open_timeout=30)
        self._ids = itertools.count(1)
        self.call("Page.enable")
        self.call("Runtime.enable")

    def close(self) -> None:
        self._ws.close()

    def call(self, method: str, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its reply (events in between are dropped)."""
        ident = next(self._ids)
        self._ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"DevTools {method} did not answer in {timeout:.0f}s")
            message = json.loads(self._ws.recv(timeout=left))
            if message.get("id") != ident:
                continue
            if "error" in message:
                raise RuntimeError(f"DevTools {method} failed: {message['error']}")
            result: dict[str, Any] = message.get("result", {})
            return result

    def goto(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def evaluate(self, expression: str) -> Any:
        reply = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in reply:
            raise RuntimeError(f"page script failed: {reply['exceptionDetails']}")
        return reply.get("result", {}).get("value")

    def text(self) -> str:
        value = self.evaluate("document.body ? document.body.innerText : ''")
        return str(value or "")

    def wait_for_text(self, needle: str, timeout: float = 60.0) -> str:
        """Poll the rendered text until `needle` shows (the UI renders after its API calls)."""
        end = time.monotonic() + timeout
        seen = ""
        while time.monotonic() < end:
            seen = self.text()
            if needle in seen:
                return seen
            time.sleep(0.5)
        raise TimeoutError(
            f"{needle!r} did not appear in {timeout:.0f}s; page shows: {seen[:800]!r}"
        )

    def click_text(self, needle: str) -> bool:
        """Click the innermost link, button or tab whose text contains `needle`, else the
        smallest element whose whole text is `needle` (the Prefect UI's tabs are list items)."""
        script = f"""
        (() => {{
          const want = {json.dumps(needle)};
          const shortest = (nodes) => nodes.sort(
            (a, b) => a.innerText.length - b.innerText.length)[0];
          const clickable = Array.from(document.querySelectorAll(
            'a, button, [role=tab], [role=link], [role=button], .p-tab'));
          let hit = shortest(clickable.filter(n => (n.innerText || '').includes(want)));
          if (!hit) {{
            const all = Array.from(document.querySelectorAll('body *'));
            hit = shortest(all.filter(n => (n.innerText || '').trim() === want));
          }}
          if (!hit) return false;
          hit.scrollIntoView(); hit.click(); return true;
        }})()
        """
        return bool(self.evaluate(script))

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path


def _devtools_port(profile: Path, proc: subprocess.Popen[bytes], timeout: float) -> int:
    """Chromium writes the port it picked (`--remote-debugging-port=0`) into the profile."""
    marker = profile / "DevToolsActivePort"
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise BrowserUnavailable(f"chromium exited at start (code {proc.returncode})")
        if marker.is_file():
            first = marker.read_text().splitlines()[:1]
            if first and first[0].isdigit():
                return int(first[0])
        time.sleep(0.1)
    raise BrowserUnavailable(f"chromium opened no DevTools port in {timeout:.0f}s")


@contextlib.contextmanager
def headless_page(timeout: float = 60.0) -> Iterator[Page]:
    """A fresh headless Chromium (new profile) and its first tab; everything removed after."""
    binary = find_chromium()
    profile = Path(tempfile.mkdtemp(prefix="verisim-chromium-"))
    proc = subprocess.Popen(
        [
            binary,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    page: Page | None = None
    try:
        port = _devtools_port(profile, proc, timeout)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as reply:
            targets = json.loads(reply.read())
        tabs = [t for t in targets if t.get("type") == "page"]
        if not tabs:
            raise BrowserUnavailable("chromium has no page target")
        page = Page(str(tabs[0]["webSocketDebuggerUrl"]))
        yield page
    finally:
        if page is not None:
            with contextlib.suppress(Exception):
                page.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)
