"""A pytest plugin for running kubernetes-client/python's e2e suite from a checkout
(`client_e2e.py`): the suite's packages import as `kubernetes.e2e_test` and
`kubernetes.aio.e2e_test` from the checkout while the client itself is the installed one, and a
test still running after LISTWATCH_SUITE_TEST_SECONDS fails (some of the suite's loops wait
forever for a pod that never runs)."""

from __future__ import annotations

import os
import signal
from collections.abc import Generator
from pathlib import Path
from typing import Any

import kubernetes
import kubernetes.aio
import pytest

_SUITE = Path(os.environ.get("LISTWATCH_SUITE_DIR", ".")).resolve() / "kubernetes"
kubernetes.__path__.append(str(_SUITE))
kubernetes.aio.__path__.append(str(_SUITE / "aio"))


class TestTookTooLong(Exception):
    """A test ran past LISTWATCH_SUITE_TEST_SECONDS."""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    seconds = int(os.environ.get("LISTWATCH_SUITE_TEST_SECONDS") or 0)
    if not seconds:
        return (yield)

    def expire(signum: int, frame: Any) -> None:
        raise TestTookTooLong(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        return (yield)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
