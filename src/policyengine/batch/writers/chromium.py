"""Printing HTML to PDF with headless Chromium, driven over the DevTools protocol on a pipe.

Why Chromium rather than WeasyPrint: Chromium is already what the HTML report is tested in
(and a CI dependency), it prints CSS paged media — A4, a running head and 第 N 页 共 M 页 in
the page margins — and CJK text with its own font fallback, and it needs nothing new from
PyPI; WeasyPrint would add Pango, cairo-era native libraries and a second layout engine whose
pages differ from the browser's.

One browser serves a whole run (``--remote-debugging-pipe``: commands on its fd 3, answers
on fd 4, each a JSON message ending in NUL — no websocket library), so a thousand per-record
PDFs cost one start (≈1 s) and ≈0.2 s each. Scripts are disabled in the page; the page is a
local file with no external reference.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

from ...errors import PolicyEngineError, Problem

#: where to look for a browser; ``POLICYENGINE_CHROMIUM`` (a path) comes first
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
#: seconds Chromium gets to start, to load a page and to print it
TIMEOUT = 90.0


def find_chromium() -> str | None:
    """The browser to print with: ``$POLICYENGINE_CHROMIUM``, else the first of
    :data:`CANDIDATES` on the PATH."""
    given = os.environ.get("POLICYENGINE_CHROMIUM")
    if given:
        return given if os.access(given, os.X_OK) else shutil.which(given)
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium(what: str) -> str:
    """The browser, or a usage error naming what needed it and how to install one."""
    found = find_chromium()
    if found is None:
        raise PolicyEngineError(
            [
                Problem(
                    f"{what} 需要 Chromium 浏览器打印 PDF,但没有找到 / {what} needs Chromium to print PDF, "
                    "and none was found",
                    None,
                    "安装 Chromium(Debian/Ubuntu: apt-get install chromium fonts-wqy-microhei)或用 "
                    "POLICYENGINE_CHROMIUM 指明浏览器路径;也可改用 .docx / install Chromium or set "
                    "POLICYENGINE_CHROMIUM to its path; or write .docx instead",
                    "usage",
                )
            ]
        )
    return found


def _failed(message: str, detail: str = "") -> PolicyEngineError:
    hint = detail.strip()[-600:] or None
    return PolicyEngineError(
        [Problem(f"生成 PDF 失败 / printing the PDF failed: {message}", None, hint, "pdf")]
    )


class Chromium:
    """A headless browser that prints local HTML files to PDF (:meth:`pdf`); close it after
    use (it is a context manager)."""

    def __init__(self, executable: str | None = None) -> None:
        exe = executable or require_chromium("PDF 报告")
        self._profile = tempfile.mkdtemp(prefix="policyengine-chromium-")
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - Chromium's stderr, for errors
        self._buffer = b""
        self._next = 0
        args = [
            exe,
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--mute-audio",
            "--remote-debugging-pipe",
            f"--user-data-dir={self._profile}",
            "about:blank",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(2, "--no-sandbox")  # Chromium refuses to start as root with its sandbox
        commands, self._to = os.pipe()  # we write commands; the browser reads them on fd 3
        self._from, answers = os.pipe()  # the browser writes answers on fd 4
        null = os.open(os.devnull, os.O_RDWR)
        try:
            self._pid = os.posix_spawn(
                exe,
                args,
                os.environ,
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, null, 0),
                    (os.POSIX_SPAWN_DUP2, null, 1),
                    (os.POSIX_SPAWN_DUP2, self._log.fileno(), 2),
                    (os.POSIX_SPAWN_DUP2, commands, 3),
                    (os.POSIX_SPAWN_DUP2, answers, 4),
                ],
                setpgroup=0,  # its own process group: its helpers end with it, Ctrl-C reaches us
            )
        except OSError as exc:
            self._release_files()  # nothing started: its pipes, log and profile go
            raise _failed(f"Chromium 无法启动 / cannot start {exe}: {exc}") from exc
        finally:
            for fd in (commands, answers, null):
                os.close(fd)
        try:
            target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
            self._session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})[
                "sessionId"
            ]
            self._call("Page.enable", session=True)
            self._call("Emulation.setScriptExecutionDisabled", {"value": True}, session=True)
        except BaseException:
            self.close()
            raise

    def pdf(self, html: Path) -> bytes:
        """The PDF of the HTML file ``html`` (page size and margins from its CSS)."""
        self._send("Page.navigate", {"url": html.resolve().as_uri()}, session=True)
        self._wait_event("Page.loadEventFired")
        result = self._call(
            "Page.printToPDF",
            {"printBackground": True, "preferCSSPageSize": True, "displayHeaderFooter": False},
            session=True,
        )
        return base64.b64decode(result["data"])

    # ------------------------------------------------------------------ the protocol

    def _send(self, method: str, params: dict[str, Any] | None = None, session: bool = False) -> int:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self._session
        data = json.dumps(message).encode("utf-8") + b"\0"
        try:
            while data:
                data = data[os.write(self._to, data) :]
        except OSError as exc:
            raise _failed("Chromium 已退出 / Chromium has exited", self._stderr()) from exc
        return self._next

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from], [], [], left)[0]:
                raise _failed(f"Chromium 在 {TIMEOUT:.0f} 秒内没有响应 / no answer within {TIMEOUT:.0f} s")
            chunk = os.read(self._from, 1 << 20)
            if not chunk:
                raise _failed("Chromium 意外退出 / Chromium exited", self._stderr())
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        answer: dict[str, Any] = json.loads(message)
        return answer

    def _call(self, method: str, params: dict[str, Any] | None = None, session: bool = False) -> Any:
        wanted = self._send(method, params, session)
        deadline = time.monotonic() + TIMEOUT
        while True:
            answer = self._receive(deadline)
            if answer.get("id") == wanted:
                if "error" in answer:
                    raise _failed(f"{method}: {answer['error'].get('message', answer['error'])}")
                return answer.get("result", {})

    def _wait_event(self, name: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while True:
            answer = self._receive(deadline)
            if answer.get("method") == name and answer.get("sessionId") == self._session:
                return

    def _stderr(self) -> str:
        try:
            self._log.seek(0)
            return self._log.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    # ------------------------------------------------------------------ the end

    def close(self) -> None:
        """Ask the browser to close, then make sure it has; remove its profile. A signal that
        interrupts the polite close (SIGTERM is raised as SystemExit) still gets the browser's
        process group killed and its profile removed, in ``finally``."""
        pid: int = getattr(self, "_pid", -1)
        self._pid = -1
        gone = pid <= 0
        try:
            if not gone:
                try:
                    self._send("Browser.close")
                except PolicyEngineError:
                    pass
                gone = _reaped(pid, 5.0)
        finally:
            try:
                if not gone:
                    try:
                        os.killpg(pid, signal.SIGKILL)  # the group this browser leads: it and its helpers
                    except (ProcessLookupError, PermissionError):
                        pass
                    _reaped(pid, 5.0)
            finally:
                self._release_files()

    def _release_files(self) -> None:
        self._close_fds()
        self._log.close()
        shutil.rmtree(self._profile, ignore_errors=True)

    def _close_fds(self) -> None:
        for name in ("_to", "_from"):
            fd = getattr(self, name, -1)
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
                setattr(self, name, -1)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _reaped(pid: int, seconds: float) -> bool:
    """Wait up to ``seconds`` for ``pid`` to exit (and reap it)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return True
        if done:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
