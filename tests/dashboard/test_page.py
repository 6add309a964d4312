"""The what-if page in a real browser: Playwright driving Debian's chromium against ``sim dashboard``.

The network is blocked for both ends: the browser may reach 127.0.0.1 only (every other request
is aborted and recorded), and the server's HTTP clients and its asset proxy point at a closed
port. The page loading at all shows that every JavaScript and CSS asset is served locally from
the installed packages.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium); "
                       ".ci/run installs it"),
    pytest.mark.skipif(not all(importlib.util.find_spec(m) for m in ("solara", "playwright")),
                       reason="the dashboard extra or playwright is not installed (pip install -e '.[dev]')"),
]
SIM = [sys.executable, "-m", "sim"]
OUTCOMES = ("influence.morocco.mali", "influence.russia.mali")
LEVER = "levers-morocco-security_cooperation"
# the server's HTTP clients (requests, urllib) go through a proxy on a closed port: any call out fails
NO_NETWORK = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "ALL_PROXY": "http://127.0.0.1:9",
              "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dashboard")
    log = folder.parent / f"{folder.name}.log"  # the server's stderr, read by the tests for tracebacks
    with log.open("w") as stderr:
        process = subprocess.Popen([*SIM, "dashboard", "baseline", "--folder", str(folder), "--port", "0"],
                                   stderr=stderr, stdout=subprocess.DEVNULL, text=True,
                                   env={**os.environ, **NO_NETWORK})
    deadline = time.time() + 60
    while not (match := re.search(r"http://127\.0\.0\.1:(\d+)/", log.read_text())):
        assert process.poll() is None and time.time() < deadline, log.read_text()
        time.sleep(0.2)
    url = match.group(0)
    import urllib.request

    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            assert process.poll() is None and time.time() < deadline, "the dashboard did not start"
            time.sleep(0.3)
    yield url, folder, log
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync"])
        yield launched
        launched.close()


def _open(browser, url, viewport=(1400, 1000)):
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    outside: list[str] = []

    def local_only(route):
        host = route.request.url.split("/")[2].split(":")[0] if "://" in route.request.url else ""
        if route.request.url.startswith("data:") or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", local_only)
    page.goto(url)
    page.locator(".sim-run").wait_for(timeout=60_000)
    page.locator(f".sim-{LEVER} [role=slider]").wait_for(state="attached", timeout=60_000)
    return page, outside


def _run(page, expect: str) -> tuple[str, list[str]]:
    """Press run; wait until the results name ``expect`` ("X against Y") and the run has ended.
    (How fast is measured in bench/, not asserted here: the machine is shared.)"""
    page.locator(".sim-run").click()
    page.locator(".sim-summary").filter(has_text=expect).wait_for(timeout=60_000)
    page.wait_for_function("() => !document.querySelector('.sim-run[disabled]')", timeout=60_000)
    chart = page.evaluate("async () => { const i = document.querySelector('.sim-chart img');"
                          " const b = await (await fetch(i.src)).arrayBuffer();"
                          " return Array.from(new Uint8Array(b)).join(','); }")  # the PNG's bytes
    answers = [li.inner_text().strip() for li in page.locator(".sim-answer li").all()]
    return chart, answers


def test_the_page_loads_with_no_request_leaving_the_machine(server, browser):
    url, _, _ = server
    page, outside = _open(browser, url)
    assert page.locator(".sim-control").count() >= 26 + 6, "a slider for every lever and budget"
    assert outside == [], f"requests left 127.0.0.1: {outside[:5]}"
    page.close()


def test_moving_a_slider_changes_the_chart_and_numbers_as_sim_compare_does(server, browser, tmp_path):
    url, folder, _ = server
    page, outside = _open(browser, url)
    first_chart, first_answer = _run(page, "Run 1: baseline against baseline")
    assert len(first_answer) == len(OUTCOMES)
    assert all("0 lower" in a or "0 no different" in a or "includes no change" in a for a in first_answer), \
        "unchanged sliders: the what-if is the baseline"

    slider = page.locator(f".sim-{LEVER} [role=slider]")
    before = float(slider.get_attribute("aria-valuenow"))
    slider.focus()
    for _ in range(60):  # 0.01 a press: security cooperation 0.20 -> 0.80
        page.keyboard.press("ArrowRight")
    # every press must have landed before the run (a late one would move the slider after it)
    page.wait_for_function(f"() => Number(document.querySelector('.sim-{LEVER} [role=slider]')"
                           f".getAttribute('aria-valuenow')) > {before + 0.595}")
    page.locator(".sim-moved").filter(has_text="1 setting").wait_for()
    # and the server has the last one: the number beside the slider is the value the run will use
    target = f"{before + 0.6:.2f}"
    page.locator(f".sim-{LEVER} .sim-value").filter(has_text=target).wait_for(timeout=30_000)
    chart, answer = _run(page, "Run 2: baseline_whatif against baseline")
    assert chart != first_chart
    assert answer != first_answer

    page.locator(".sim-save-name input").fill("security_push.yaml")
    page.locator(".sim-save").click()
    page.locator(".sim-notice").filter(has_text="saved").wait_for(timeout=30_000)
    saved = folder / "security_push.yaml"
    assert saved.is_file()
    compared = subprocess.run([*SIM, "compare", "baseline", str(saved), "--replicates", "200",
                               *[f"--outcome={o}" for o in OUTCOMES], "--out", str(tmp_path / "cmp")],
                              capture_output=True, text=True, check=True)
    printed = [line[2:] for line in compared.stdout.splitlines() if line.startswith("* ")]
    assert printed == answer, "the page's numbers are sim compare's on the saved settings"
    assert "higher" in answer[0], "more security cooperation raises Morocco's influence on Mali"
    assert "security_cooperation" in page.locator(".sim-explain").inner_text(), "explain's attribution is shown"

    page.locator(".sim-select-scenario").click()  # the saved file is offered at once, not after a restart
    page.get_by_role("option").filter(has_text="security_push.yaml").wait_for(timeout=10_000)
    page.keyboard.press("Escape")

    page.locator(".sim-threshold input").fill("influence.russia.mali > influence.morocco.mali")
    page.locator(".sim-question input").fill("Does a security push pay off for Morocco in Mali?")
    page.locator(".sim-question input").press("Enter")
    _, with_threshold = _run(page, "Run 3: security_push against baseline")
    assert len(with_threshold) == len(OUTCOMES) + 1 and "holds in" in with_threshold[-1]

    with page.expect_download(timeout=120_000) as download:
        page.get_by_text("Download report.html").click()
    report = Path(download.value.path()).read_text()
    assert report.startswith("<!DOCTYPE html>") and "security_push compared with baseline" in report
    assert "Does a security push pay off for Morocco in Mali?" in report, "the report asks the user's question"
    assert "data:image/png;base64," in report, "the report's charts are embedded"
    assert outside == []
    page.close()


def test_opening_every_panel_moves_nothing_and_every_slider_shows_its_number(server, browser):
    url, _, _ = server
    page, _ = _open(browser, url)
    page.get_by_text("Model parameters").click()
    page.locator(".sim-parameters-influence-adjust_rate").wait_for(timeout=30_000)
    page.wait_for_timeout(1_000)  # every slider has mounted (and would have reported a snap by now)
    assert page.locator(".sim-moved").inner_text() == "0 setting(s) moved"
    controls = page.locator(".sim-control").count()
    assert controls > 26 + 6 + 10 and page.locator(".sim-value").count() == controls
    medical = page.locator(".sim-levers-morocco-medical_aid")
    assert medical.locator(".sim-value").inner_text() == "0.90", "where the scenario's schedule leaves it"
    assert "0.30 from 2022-01" in medical.locator(".sim-now").inner_text()
    page.close()


def test_the_best_strategy_panel_finds_a_mix_and_puts_it_on_the_sliders(server, browser):
    url, _, log = server
    page, _ = _open(browser, url)
    page.get_by_text("Best strategy (sim optimize)").click()
    page.locator(".sim-strategy-objective input").fill("mean(influence.nobody.mali)")
    page.locator(".sim-strategy-objective input").press("Enter")
    page.locator(".sim-strategy-run").click()
    page.locator(".sim-strategy-problem").filter(has_text="unknown actor 'nobody'").wait_for(timeout=10_000)
    page.locator(".sim-strategy-objective input").fill("mean(influence.morocco.mali)")
    page.locator(".sim-strategy-objective input").press("Enter")
    page.locator(".sim-strategy-run").click()
    page.locator(".sim-strategy-result").wait_for(timeout=120_000)  # a liveness limit, not a speed claim
    assert "recommended minus status quo" in page.locator(".sim-strategy-result").inner_text()
    page.locator(".sim-strategy-use").click()
    page.locator(".sim-moved").filter(has_text="10 setting").wait_for(timeout=10_000)
    assert "Traceback" not in log.read_text()
    page.close()


def test_bad_input_keeps_the_last_results_and_logs_no_traceback(server, browser):
    url, _, log = server
    page, _ = _open(browser, url)
    _run(page, "Run 1: baseline against baseline")
    for field, bad, said in ((".sim-threshold", "influence.morocco.mali >> 2", "threshold"),
                             (".sim-from", "2040-01", "levers from")):
        page.locator(f"{field} input").fill(bad)
        page.locator(f"{field} input").press("Enter")
        page.locator(".sim-run").click()
        page.locator(".sim-problem").filter(has_text=said).wait_for(timeout=10_000)
        assert page.locator(".sim-summary").filter(has_text="Run 1:").count() == 1, "the last results stay"
        page.locator(f"{field} input").fill("")
    assert "Traceback" not in log.read_text()
    page.close()


def test_the_layout_holds_at_1280x800_with_long_names(server, browser, tmp_path):
    """A long name and its message wrap inside the sidebar; nothing sits over the results."""
    url, _, _ = server
    page, _ = _open(browser, url, viewport=(1280, 800))
    drawer = page.locator(".v-navigation-drawer").first
    width = drawer.bounding_box()["width"]
    page.locator(".sim-save-name input").fill("a_what_if_with_a_very_long_name_" * 12)
    page.locator(".sim-save").click()
    page.locator(".sim-notice").wait_for(timeout=30_000)
    page.screenshot(path=str(tmp_path / "dashboard_1280x800.png"))
    assert drawer.bounding_box()["width"] == width, "the sidebar keeps its width"
    assert page.locator(".sim-notice").bounding_box()["width"] <= width
    first_card = page.locator(".v-card").first.bounding_box()
    assert first_card["x"] >= width, "the results start right of the sidebar"
    assert page.get_by_text("runs on Solara").count() == 0, "no badge over the cards"
    page.close()


def test_a_long_run_can_be_cancelled(server, browser):
    url, _, _ = server
    page, _ = _open(browser, url)
    page.locator(".sim-replicates input").fill("20000")
    page.locator(".sim-run").click()
    page.locator(".sim-cancel").click(timeout=30_000)
    page.locator(".sim-cancelled").wait_for(timeout=60_000)  # a liveness limit, not a speed claim
    page.close()


def test_requests_from_other_sites_or_names_are_refused(server):
    """Loopback alone does not stop a web page in the user's browser: the server admits only
    requests addressed to 127.0.0.1:PORT and coming from there (no DNS rebinding, no cross-site
    websocket)."""
    import http.client
    import socket

    url, _, _ = server
    port = int(url.rstrip("/").rsplit(":", 1)[1])

    def status(headers: dict) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.putrequest("GET", "/", skip_host=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        return connection.getresponse().status

    assert status({"Host": f"127.0.0.1:{port}"}) == 200
    assert status({"Host": "evil.example"}) == 403
    assert status({"Host": f"127.0.0.1:{port}", "Origin": "http://evil.example"}) == 403

    def websocket(origin: str) -> str:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall((f"GET /jupyter/api/kernels/00000000-0000-0000-0000-000000000000/channels HTTP/1.1\r\n"
                         f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                         f"Origin: {origin}\r\n\r\n").encode())
            return raw.recv(200).decode("latin-1").split("\r\n", 1)[0]

    assert " 403 " in websocket("http://evil.example") + " "
    assert " 403 " not in websocket(f"http://127.0.0.1:{port}") + " ", "the page's own origin passes the guard"
