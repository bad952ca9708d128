"""Debian's chromium, driven by its chromedriver through selenium, for the browser tests.

scripts/test-setup.sh (run by `make test`) installs both, and a CJK font. When they are
missing a browser test fails, it never skips: a page nobody has seen work is not tested.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# Without these, chromium reaches for Google's services (updates, sync, safe browsing,
# QUIC probes) on a network that has none.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
    "--autoplay-policy=no-user-gesture-required",
)
TIMEOUT_S = 30.0


@contextmanager
def chromium(window: tuple[int, int] | None = None) -> Iterator[Any]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} missing: run scripts/test-setup.sh (as root; `make test` "
            "does) to install Debian's chromium and chromium-driver",
            pytrace=False,
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="ap-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    flags = [*FLAGS, f"--user-data-dir={profile}"]
    if window is not None:
        flags.append(f"--window-size={window[0]},{window[1]}")
    for flag in flags:
        options.add_argument(flag)
    # an explicit driver path: Selenium Manager (which downloads drivers) is never run
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver: Any, script: str, what: str, timeout_s: float = TIMEOUT_S) -> Any:
    """Run `script` in the page until it returns something true."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = driver.execute_script(script)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
