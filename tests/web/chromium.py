"""Debian's chromium, headless, through its chromedriver: how the web view's tests and benchmark
start it (no browser downloaded at run time; no network beyond loopback)."""

from __future__ import annotations

import shutil

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
#: Chromium's flags for a machine with no screen and no network beyond loopback: without the
#: background-networking ones it keeps trying to reach Google's hosts.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def missing() -> list[str]:
    """What of chromium and its driver is not installed."""
    return [path for path in (CHROMIUM, CHROMEDRIVER) if not shutil.which(path)]


def start(*, width: int = 1600, height: int = 2400, profile: str = "") -> webdriver.Chrome:
    """A headless chromium with a window of `width` x `height` (and `profile` as its user data
    directory, if given)."""
    options = Options()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--window-size={width},{height}"):
        options.add_argument(flag)
    if profile:
        options.add_argument(f"--user-data-dir={profile}")
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
