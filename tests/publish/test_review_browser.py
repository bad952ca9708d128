"""The reviewer's page in a real headless browser: Debian's chromium, driven by chromedriver
(tests/browser.py).

The page is opened from a file:// URL, as a reviewer opens it from a USB stick.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from audio_pipeline.audio import wavfile
from audio_pipeline.core.project import Project
from tests.browser import chromium, wait_for


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as driver:
        yield driver


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
    assert len(players) == 13  # the programme, six clips and each clip as heard on air
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
