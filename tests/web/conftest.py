"""Fixtures of the web view's tests: Debian's chromium, headless, through its chromedriver (no
browser downloaded at run time), and `listwatch serve` with its web view, in this process."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver

from listwatch import cli
from listwatch.server.command import command
from tests.web import chromium


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    """A headless chromium; skipped where it is not installed (a failure under
    LISTWATCH_REQUIRE_CHROMIUM, as `make test` sets)."""
    absent = chromium.missing()
    if absent:
        reason = f"no {' or '.join(absent)}: apt install chromium chromium-driver"
        if os.environ.get("LISTWATCH_REQUIRE_CHROMIUM"):
            pytest.fail(reason)
        pytest.skip(reason)
    driver = chromium.start(profile=str(tmp_path_factory.mktemp("chromium")))
    try:
        yield driver
    finally:
        driver.quit()


@dataclass(frozen=True)
class Served:
    """A served cluster's kubeconfig and its web view's URL (with the token)."""

    kubeconfig: Path
    url: str

    @property
    def base(self) -> str:
        return self.url.split("?")[0]


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """`listwatch serve --port 0` with its web view, on a thread of this process."""
    args = cli.build_parser().parse_args(["serve", "--port", "0"])
    args.stop_event = threading.Event()
    out, err = io.StringIO(), io.StringIO()
    thread = threading.Thread(target=command, args=(args, out, err))
    thread.start()
    try:
        for _ in range(400):
            if "UI: " in out.getvalue() or not thread.is_alive():
                break
            thread.join(0.05)
        text = out.getvalue()
        assert "UI: " in text, err.getvalue()
        kubeconfig = Path(text.split("kubeconfig: ")[1].split("\n")[0])
        yield Served(kubeconfig, text.split("UI: ")[1].split("\n")[0])
    finally:
        args.stop_event.set()
        thread.join(30)


def screenshot(driver: webdriver.Chrome, name: str) -> None:
    """Keep a screenshot of the page where LISTWATCH_SCREENSHOTS names a directory."""
    directory = os.environ.get("LISTWATCH_SCREENSHOTS")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(directory, f"{name}.png")))
