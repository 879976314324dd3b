"""The web view in a real browser (Debian's chromium, headless), against `listwatch serve` driven by
the real kubectl, and the static report opened from a file with no server."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from listwatch import cli, engine
from tests.conftest import ROOT
from tests.web.conftest import Served, screenshot

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
pytestmark = pytest.mark.skipif(not os.access(KUBECTL, os.X_OK), reason="kubectl is not installed")
PATHS = {v.id: [s for s in v.steps if s != "LW-01"] for v in engine.load().spec.flow.variants}
#: The steps a pod created directly takes, in order: the spec's plain path, less the watches.
PLAIN = PATHS["plain"]
#: Records, in the page, each step whose edges light up, in the order they do.
RECORD_LIGHTING = """
window.lit = [];
new MutationObserver((changes) => {
  for (const change of changes) {
    const g = change.target;
    if (g.classList && g.classList.contains("lit") && !(change.oldValue || "").includes("lit")) {
      const step = g.id.split(".")[0];
      if (window.lit[window.lit.length - 1] !== step) window.lit.push(step);
    }
  }
}).observe(document.getElementById("flow"), {
  subtree: true, attributes: true, attributeFilter: ["class"], attributeOldValue: true
});
"""


def kubectl(served: Served, *args: str) -> str:
    done = subprocess.run(
        [KUBECTL, *args],
        env={**os.environ, "KUBECONFIG": str(served.kubeconfig)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def wait_for(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def cells(driver: webdriver.Chrome, selector: str) -> list[dict[str, Any]]:
    """Each element `selector` matches, read at one instant (the page redraws a pod's detail as
    the pod changes): its text, its classes and its data- attributes."""
    found: list[dict[str, Any]] = driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map((e) => ({"
        "text: e.textContent, classes: [...e.classList], ...e.dataset}));",
        selector,
    )
    return found


def row(driver: webdriver.Chrome, key: str) -> Any:
    rows = driver.find_elements(By.CSS_SELECTOR, f'#pods tbody tr[data-key="{key}"]')
    return rows[0] if rows else None


def open_page(driver: webdriver.Chrome, url: str) -> None:
    driver.get(url)
    wait_for(
        lambda: driver.find_element(By.ID, "status").text in ("live", "recorded run"),
        "the page to load its data",
    )


def test_the_page_loads_with_the_token_and_is_refused_without_it(
    browser: webdriver.Chrome, served: Served
) -> None:
    browser.delete_all_cookies()
    browser.get(served.base)
    assert "needs the token" in browser.find_element(By.TAG_NAME, "body").text
    browser.get(served.base + "api/snapshot")
    assert "no token" in browser.find_element(By.TAG_NAME, "body").text

    open_page(browser, served.url)
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#pods thead th")]
    assert headers[:4] == ["NAMESPACE", "NAME", "READY", "STATUS"]
    assert browser.find_elements(By.CSS_SELECTOR, "#flow svg g.edge")
    # The cookie the token left lets the page's own requests through.
    status = browser.execute_async_script(
        "const done = arguments[0]; fetch('api/snapshot').then((r) => done(r.status));"
    )
    assert status == 200
    screenshot(browser, "1-empty-cluster")


def test_the_tutorials_nodename_pod_goes_around_the_scheduler(
    browser: webdriver.Chrome, served: Served
) -> None:
    open_page(browser, served.url)
    kubectl(served, "apply", "-f", str(ROOT / "examples" / "pod5.yaml"))
    wait_for(lambda: row(browser, "default/pod-example"), "the pod's row").click()
    browser.find_element(By.CSS_SELECTOR, 'input[name="light"][value="pod"]').click()
    wait_for(
        lambda: (
            row(browser, "default/pod-example").get_attribute("data-status") == "Running"
            and browser.find_elements(By.CSS_SELECTOR, '#flow g.edge.lit[id^="LW-13."]')
        ),
        "the pod to run and its last step to light up",
    )
    numbered = {
        g.get_attribute("id").split(".")[0]: int(g.get_attribute("data-order"))
        for g in browser.find_elements(By.CSS_SELECTOR, "#flow g.edge[data-order]")
    }
    assert sorted(numbered, key=numbered.__getitem__) == PATHS["nodeName"]
    for step in ("LW-09", "LW-10", "LW-11"):  # the scheduler's steps: not this pod's
        edges = browser.find_elements(By.CSS_SELECTOR, f'#flow g.edge[id^="{step}."]')
        assert all("dim" in g.get_attribute("class").split() for g in edges), step
    assert "No scheduling attempt" in cells(browser, "#explanation")[0]["text"]
    screenshot(browser, "2-nodename-pod")
    browser.find_element(By.CSS_SELECTOR, 'input[name="light"][value="all"]').click()


def test_the_explanation_of_the_tutorials_nodeselector_pod(
    browser: webdriver.Chrome, served: Served
) -> None:
    kubectl(served, "label", "nodes", "node02", "cz=bob", "--overwrite")
    kubectl(served, "apply", "-f", str(ROOT / "examples" / "pod5-nodeselector.yaml"))
    open_page(browser, served.url)
    key = "default/pod-example-selector"
    wait_for(lambda: row(browser, key), "the pod's row").click()
    wait_for(lambda: row(browser, key).get_attribute("data-status") == "Running", "Running")
    wait_for(lambda: cells(browser, "#explanation .verdict .chosen"), "the explanation")
    assert [c["text"] for c in cells(browser, "#explanation .verdict .chosen")] == ["node02"]
    affinity = 'td[data-plugin="NodeAffinity"]'
    (rejected,) = cells(browser, f'#explanation tr[data-node="node01"] {affinity}')
    assert "rejected" in rejected["classes"]
    assert "didn't match Pod's node affinity/selector" in rejected["text"]
    (passed,) = cells(browser, f'#explanation tr[data-node="node02"] {affinity}')
    assert "passed" in passed["classes"]
    screenshot(browser, "3-why-node02")


def test_a_pod_created_with_kubectl_appears_and_its_steps_light_up_in_order(
    browser: webdriver.Chrome, served: Served
) -> None:
    open_page(browser, served.url)
    browser.execute_script(RECORD_LIGHTING)
    kubectl(served, "run", "web", "--image=nginx")

    wait_for(lambda: row(browser, "default/web"), "the pod's row")
    wait_for(
        lambda: row(browser, "default/web").get_attribute("data-status") == "Running",
        "the pod's row to say Running",
    )
    assert (
        wait_for(
            lambda: (lit := browser.execute_script("return window.lit"))[-1:] == PLAIN[-1:] and lit,
            "the last step to light up",
        )
        == PLAIN
    )
    logged = [li["step"] for li in cells(browser, "#step-log li") if "default/web" in li["text"]]
    assert logged == PLAIN
    screenshot(browser, "4-kubectl-run")

    # The chosen pod's steps, numbered in the order it took them.
    row(browser, "default/web").click()
    browser.find_element(By.CSS_SELECTOR, 'input[name="light"][value="pod"]').click()
    wait_for(
        lambda: browser.find_elements(By.CSS_SELECTOR, "#flow g.edge[data-order]"),
        "the chosen pod's steps to be numbered",
    )
    for place, step in enumerate(PLAIN, 1):
        edges = browser.find_elements(By.CSS_SELECTOR, f'#flow g.edge[id^="{step}."]')
        assert edges and {e.get_attribute("data-order") for e in edges} == {str(place)}, step
    timeline = [tr["step"] for tr in cells(browser, "#timeline tbody tr[data-step]")]
    assert set(timeline) == set(PLAIN)
    browser.find_element(By.CSS_SELECTOR, 'input[name="light"][value="all"]').click()


def test_the_static_report_opens_without_a_server(
    browser: webdriver.Chrome, tmp_path: Path
) -> None:
    report = tmp_path / "report.html"
    assert cli.main(["run", "--html", str(report)], out=io.StringIO(), err=io.StringIO()) == 0
    browser.get(report.as_uri())
    wait_for(lambda: browser.find_element(By.ID, "status").text == "report of a run", "the report")
    assert row(browser, "default/pod-example").get_attribute("data-status") == "Running"
    row(browser, "default/pod-example-selector").click()
    wait_for(
        lambda: browser.find_elements(By.CSS_SELECTOR, "#explanation .verdict .chosen"),
        "the explanation",
    )
    assert browser.find_element(By.CSS_SELECTOR, "#explanation .verdict .chosen").text == "node02"
    steps = [
        tr.get_attribute("data-step")
        for tr in browser.find_elements(By.CSS_SELECTOR, "#timeline tbody tr[data-step]")
    ]
    assert steps[:2] == ["LW-02", "LW-03"] and "LW-13" in steps
    # Nothing was asked of a server: the page made no request but for itself.
    requests = browser.execute_script(
        "return performance.getEntriesByType('resource').map((e) => e.name)"
    )
    assert requests == []
    screenshot(browser, "5-static-report")
