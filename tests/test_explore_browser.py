"""The explorer in a real browser: ``tuoyu explore`` as a subprocess, driven by headless Chromium.

Chromium and its driver are the operating system's packages (``.ci/run`` installs ``chromium`` and
``chromium-driver`` when missing); Selenium is pointed at them directly, so Selenium Manager never
downloads anything. The server runs on a free loopback port with a copied data folder
(``TUOYU_DATA_DIR``), and is stopped at the end by its process group.
"""

import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tuoyu_model import cli

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
START_TIMEOUT = 180  # s: Voilà's start and the first plan on a loaded machine
PAGE_TIMEOUT = 240  # s: the kernel starts and runs the notebook before the page shows the app
CHANGE_TIMEOUT = 60  # s: one re-plan, however loaded the machine
SPEED_GOAL = 0.5  # s: a control change → updated numbers on screen (issue 15)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()),
        reason="headless Chromium is not installed (/usr/bin/chromium and /usr/bin/chromedriver, Debian "
        "packages chromium and chromium-driver; .ci/run installs them)",
    ),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening_addresses(port):
    """Local addresses listening on ``port`` (from /proc/net/tcp and tcp6), as hex strings."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hexport = local.split(":")
            if int(hexport, 16) == port and state == "0A":
                found.append(address)
    return found


def read_line(proc, deadline):
    """The next stdout line of ``proc``, waiting until ``deadline`` at most."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        while time.monotonic() < deadline:
            if sel.select(timeout=0.5):
                return proc.stdout.readline()
            if proc.poll() is not None:
                return ""
        return ""
    finally:
        sel.close()


def stop(proc):
    """Stop the server's process group (SIGTERM, then SIGKILL); bounded waits."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    try:  # Voilà's kernels run in their own sessions; they exit when Voilà shuts them down
        os.killpg(proc.pid, 0)
    except ProcessLookupError:
        return
    os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def server(data_copy):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuoyu_model", "explore", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=dict(os.environ),  # TUOYU_DATA_DIR points at the copy (data_copy)
        start_new_session=True,  # its own process group, stopped as a whole
    )
    try:
        line = read_line(proc, time.monotonic() + START_TIMEOUT)
        if "http://127.0.0.1:" not in line:
            stop(proc)
            pytest.fail(f"tuoyu explore did not start: stdout {line!r}, stderr {proc.stderr.read()[-2000:]!r}")
        yield {"url": f"http://127.0.0.1:{port}/", "port": port, "line": line, "proc": proc, "data": data_copy}
    finally:
        stop(proc)


@pytest.fixture
def browser():
    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1500,2000",
    ):
        options.add_argument(arg)
    try:
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    except WebDriverException as exc:
        pytest.fail(f"headless Chromium is installed but did not start: {exc.msg}")
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(fn, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = fn()
        except StaleElementReferenceException:
            value = None
        if value:
            return value
        time.sleep(0.02)
    pytest.fail(f"timed out after {timeout} s waiting for {what() if callable(what) else what}")


def text_of(driver, css):
    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0].text.strip() if found else ""


def type_into(driver, control, text):
    """Type ``text`` into a control's box and press Enter; return when the keys are sent."""
    box = driver.find_element(By.CSS_SELECTOR, f".tuoyu-control-{control} input[type='text']")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(text)
    t0 = time.perf_counter()
    box.send_keys(Keys.ENTER)
    return t0


def settled(driver):
    """Whether the last change is fully shown (numbers, then the chart: the status stops saying 正在绘图)."""
    status = text_of(driver, ".tuoyu-status")
    return status.startswith("已重新测算") and "正在绘图" not in status


def timed_change(driver, control, text, css="#tuoyu-public-cost-total"):
    """Seconds from Enter in a control to a changed figure at ``css`` on screen (after the page settled)."""
    wait_for(lambda: settled(driver), CHANGE_TIMEOUT, "the page to settle")
    before = text_of(driver, css)
    t0 = type_into(driver, control, text)
    wait_for(lambda: text_of(driver, css) not in ("", before), CHANGE_TIMEOUT, f"{css} to change")
    return time.perf_counter() - t0


def test_tuoyu_explore_in_headless_chromium(server, browser):
    assert "请在浏览器中打开" in server["line"]
    addresses = listening_addresses(server["port"])
    assert addresses and all(a in ("0100007F", "00000000000000000000000001000000") for a in addresses), addresses

    browser.get(server["url"])
    wait_for(lambda: text_of(browser, "#tuoyu-shortfall"), PAGE_TIMEOUT, "the headline")
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "大兴区托育服务规划：情景探索" in page and "目标缺口" in page and "财政资金" in page
    assert "explore_app(" not in page  # code hidden
    assert browser.title == "大兴区托育服务规划：情景探索"
    assert text_of(browser, "#tuoyu-shortfall") == "0个"

    # moving the budget control: the slider's handle, by keyboard (ends at 0万元: a large shortfall)
    handle = browser.find_element(By.CSS_SELECTOR, ".tuoyu-control-budget-2025 .noUi-handle")
    handle.send_keys(Keys.HOME)
    wait_for(lambda: text_of(browser, "#tuoyu-shortfall") not in ("", "0个"), CHANGE_TIMEOUT, "the shortfall")
    wait_for(lambda: settled(browser), CHANGE_TIMEOUT, "the whole-slot plan")
    box = browser.find_element(By.CSS_SELECTOR, ".tuoyu-control-budget-2025 input[type='text']")
    assert box.get_attribute("value") == "0"
    assert "2025年底目标缺口由0个变为" in text_of(browser, ".tuoyu-sentence")

    # typing: a number in 万元 re-plans; text or a negative budget is a message beside the control
    type_into(browser, "budget-2025", "1000")
    wait_for(lambda: "由不设上限改为1,000万元" in text_of(browser, ".tuoyu-sentence"), CHANGE_TIMEOUT, "1,000万元")
    # a binding budget may show the linear relaxation (连续近似) first: read the whole-slot plan
    wait_for(lambda: settled(browser), CHANGE_TIMEOUT, "the whole-slot plan")
    assert "连续近似" not in text_of(browser, ".tuoyu-headline")
    shortfall = text_of(browser, "#tuoyu-shortfall")
    assert shortfall not in ("", "0个")
    type_into(browser, "budget-2025", "-5")
    wait_for(lambda: "不能小于0万元" in text_of(browser, ".tuoyu-control-budget-2025"), CHANGE_TIMEOUT, "a message")
    type_into(browser, "budget-2025", "很多")
    wait_for(lambda: "不是数字" in text_of(browser, ".tuoyu-control-budget-2025"), CHANGE_TIMEOUT, "a message")
    assert text_of(browser, "#tuoyu-shortfall") == shortfall  # nothing else changed

    # speed: a control change → updated numbers on screen, from the starting settings
    type_into(browser, "budget-2025", "")
    wait_for(lambda: text_of(browser, "#tuoyu-shortfall") == "0个", CHANGE_TIMEOUT, "the budget without limit")
    seconds = [timed_change(browser, "fee-cap-share", v) for v in ("18", "19", "21", "20")]
    seconds += [timed_change(browser, "household-size", v) for v in ("2.5", "2.31")]
    seconds.sort()
    median = seconds[len(seconds) // 2]
    print(
        "\nexplorer, control change → numbers on screen (s): "
        + ", ".join(f"{s:.3f}" for s in seconds)
        + f"; median {median:.3f}, goal ≤ {SPEED_GOAL}"
    )
    # The goal is measured and printed here and by tests/benchmarks/bench_explore.py, not asserted:
    # a timed assertion fails on a loaded machine (the brief: speed goals are benchmarks). Every
    # change must still reach the screen within CHANGE_TIMEOUT, which timed_change enforces.
    assert all(s < CHANGE_TIMEOUT for s in seconds), seconds

    # 保存为情景 → a scenario file that tuoyu validate accepts
    # a binding budget: numbers on screen (the linear relaxation, 连续近似) at once, the whole-slot plan later
    binding = timed_change(browser, "budget-2025", "2000")
    t0 = time.perf_counter()
    wait_for(lambda: "改为2,000万元" in text_of(browser, ".tuoyu-sentence"), CHANGE_TIMEOUT, "2,000万元")
    wait_for(lambda: settled(browser), CHANGE_TIMEOUT, "the whole-slot plan")
    print(
        f"explorer, binding 2025 budget of 2,000万元: numbers on screen {binding:.3f} s, "
        f"the whole-slot plan {binding + time.perf_counter() - t0:.1f} s"
    )
    assert "连续近似" not in text_of(browser, ".tuoyu-headline")
    name = browser.find_element(By.CSS_SELECTOR, ".tuoyu-save-name input")
    name.send_keys("browser_2000", Keys.ENTER)
    browser.find_element(By.CSS_SELECTOR, ".tuoyu-save button, button.tuoyu-save").click()
    wait_for(
        lambda: "tuoyu run browser_2000" in text_of(browser, ".tuoyu-save-message"),
        CHANGE_TIMEOUT,
        lambda: f"the saved message (page says: {text_of(browser, '.tuoyu-save-message')!r})",
    )
    saved = server["data"] / "scenarios" / "browser_2000.yaml"
    assert saved.is_file()
    assert cli.main(["validate"]) == 0

    name.send_keys(Keys.CONTROL, "a")
    name.send_keys("baseline", Keys.ENTER)
    browser.find_element(By.CSS_SELECTOR, ".tuoyu-save button, button.tuoyu-save").click()
    wait_for(lambda: "不能覆盖" in text_of(browser, ".tuoyu-save-message"), CHANGE_TIMEOUT, "a refusal")
