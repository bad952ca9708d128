"""The reviewer's page in a real headless browser: Debian's chromium, driven by chromedriver.

scripts/test-setup.sh (run by `make test`) installs both. When they are missing the test
fails, it never skips: a page nobody has seen play is not a tested page.

The page is opened from a file:// URL, as a reviewer opens it from a USB stick.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from audio_pipeline.audio import wavfile
from audio_pipeline.core.project import Project

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


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
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
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    # an explicit driver path: Selenium Manager (which downloads drivers) is never run
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver: object, script: str, what: str) -> object:
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        value = driver.execute_script(script)  # type: ignore[attr-defined]
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_every_player_loads_its_file_and_cues_seek_the_programme(
    browser: object, rendered: tuple[Project, Path]
) -> None:
    from selenium.webdriver.common.by import By

    out = rendered[1]
    driver = browser
    driver.get((out / "review.html").as_uri())  # type: ignore[attr-defined]

    # every <audio> loads (decodes data, no error) and reports its file's real duration
    driver.execute_script(  # type: ignore[attr-defined]
        "document.querySelectorAll('audio').forEach(a => { a.preload = 'auto'; a.load(); });"
    )
    wait_for(
        driver,
        "return Array.from(document.querySelectorAll('audio'))"
        ".every(a => a.error !== null || a.readyState >= 2);",
        "every audio element to load",
    )
    players = driver.execute_script(  # type: ignore[attr-defined]
        "return Array.from(document.querySelectorAll('audio')).map(a => ({"
        "src: a.getAttribute('src'), ready: a.readyState, duration: a.duration,"
        "error: a.error && a.error.code}));"
    )
    assert len(players) == 7  # the programme and six clips
    for player in players:
        assert player["error"] is None, player
        assert player["ready"] >= 2, player
        info = wavfile.read_info(out / player["src"])
        assert player["duration"] == pytest.approx(info.frames / info.sample_rate, abs=0.01), player

    # clicking a cue moves the programme player to the cue's start
    buttons = driver.find_elements(By.CSS_SELECTOR, "button.cue")  # type: ignore[attr-defined]
    assert len(buttons) == 13
    for button in (buttons[5], buttons[1], buttons[-1], buttons[0]):
        start = float(button.get_attribute("data-start"))
        driver.execute_script("arguments[0].scrollIntoView();", button)  # type: ignore[attr-defined]
        button.click()
        now = driver.execute_script(  # type: ignore[attr-defined]
            "var p = document.getElementById('programme-player'); var t = p.currentTime;"
            "p.pause(); return t;"
        )
        assert start - 0.01 <= now <= start + 0.5, (button.text, start, now)
