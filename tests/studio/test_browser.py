"""An editor's week in the studio, in real Chromium (tests/browser.py) against the real
server (uvicorn on a free loopback port, in a thread), on a copy of the sample project with
the offline voice: write a message, watch its script and a warning appear while typing, fix
it, approve it, put it in an episode, render with progress, play the programme from a cue,
record the airing, and find the message in the ledger.

With $AUDIO_PIPELINE_SCREENSHOTS naming a folder (`make screenshots` sets docs/screenshots),
the pages are also saved there as the README's screenshots; otherwise only into the test's
temporary folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from audio_pipeline.core.project import Project
from audio_pipeline.studio.server import create_app
from tests.browser import chromium, wait_for
from tests.conftest import REPO

ENV_SCREENSHOTS = "AUDIO_PIPELINE_SCREENSHOTS"
WINDOW = (1000, 1000)
NAME_WITH_TITLE = "김철수 집사님"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def studio(warm_project: Project) -> Iterator[str]:
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(warm_project),
            host="127.0.0.1",
            port=port,
            access_log=False,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, name="studio", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the studio did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium(WINDOW) as driver:
        yield driver


def shoot(driver: Any, folder: Path, name: str, anchor: str | None = None) -> None:
    """A screenshot of the page as the editor sees it (from the top, or from the element
    `anchor`), into the test's folder and, when asked, into the README's."""
    if anchor is None:
        driver.execute_script("window.scrollTo(0, 0);")
    else:
        driver.execute_script(f"document.getElementById({anchor!r}).scrollIntoView();")
    png = driver.get_screenshot_as_png()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    (folder / f"{name}.png").write_bytes(png)
    wanted = os.environ.get(ENV_SCREENSHOTS)
    if wanted:
        target = REPO / wanted  # a relative folder is the repository's (tests run elsewhere)
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / f"{name}.png", target / f"{name}.png")


def text_of(driver: Any, css: str) -> str:
    return str(
        driver.execute_script(
            f"var e = document.querySelector({css!r}); return e ? e.textContent : '';"
        )
    )


def type_into(element: Any, text: str) -> None:
    from selenium.webdriver.common.keys import Keys

    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(Keys.DELETE)
    element.send_keys(text)


@pytest.mark.slow
def test_an_editors_week_without_a_terminal(
    studio: str, browser: Any, warm_project: Project, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    errors: list[str] = []

    def no_console_errors() -> None:
        # a CSP violation or a script error shows here: the pages must need neither
        for entry in driver.get_log("browser"):
            if entry["level"] == "SEVERE" and "favicon" not in entry["message"]:
                errors.append(entry["message"])
        assert not errors, errors

    # the messages, by status
    driver.get(f"{studio}/messages")
    assert "당신은 혼자가 아닙니다" in driver.page_source
    shoot(driver, tmp_path, "messages")

    # a new message: the script and a warning appear as the editor types
    driver.find_element(By.LINK_TEXT, "New message").click()
    driver.find_element(By.ID, "id").send_keys("spring-hope")
    driver.find_element(By.ID, "title").send_keys("봄의 소망")
    text = driver.find_element(By.ID, "text")
    text.send_keys(f"사랑하는 {NAME_WITH_TITLE}, 오늘도 힘내세요. 요 3:16 말씀을 기억하세요.")
    wait_for(
        driver,
        "return document.querySelector('#checks') && "
        f"document.querySelector('#checks').textContent.includes({NAME_WITH_TITLE!r});",
        "the identifying warning to appear while typing",
    )
    assert "1 finding(s) block approval" in text_of(driver, "#blocking")
    assert "요한복음 삼 장 십육 절" in text_of(driver, "#script")  # the spoken script, live
    shoot(driver, tmp_path, "new-message")

    # fixed: the warning goes away, still without saving
    type_into(text, "사랑하는 형제자매 여러분, 오늘도 힘내세요. 요 3:16 말씀을 기억하세요.")
    wait_for(
        driver,
        "return document.querySelector('#blocking').textContent.includes('nothing blocks');",
        "the warning to go once the name is gone",
    )
    driver.find_element(By.CSS_SELECTOR, "#editor button[type=submit]").click()
    wait_for(driver, "return location.pathname === '/messages/spring-hope';", "the message page")
    assert "pending" in text_of(driver, "#standing")
    path = warm_project.messages_dir / "spring-hope.yaml"
    assert "status: pending" in path.read_text("utf-8")

    # approved, with the reviewer's name, by the CLI's own code
    driver.find_element(By.ID, "approve-by").send_keys("편집팀")
    driver.find_element(By.CSS_SELECTOR, "#approve-form button").click()
    wait_for(
        driver,
        "return document.querySelector('#standing').textContent.trim() === 'approved';",
        "the approval",
    )
    saved = path.read_text("utf-8")
    assert "status: approved" in saved and "approved_by: 편집팀" in saved
    assert "approved_sha256:" in saved
    no_console_errors()

    # a preview clip, played in the page
    driver.find_element(By.CSS_SELECTOR, "#preview-h ~ form button").click()
    wait_for(
        driver,
        "var a = document.getElementById('preview-player'); "
        "return a && (a.readyState >= 2 || a.error !== null);",
        "the preview clip to load",
        timeout_s=60,
    )
    assert driver.execute_script("return document.getElementById('preview-player').error") is None
    # and under it the same clip as heard on a noisy shortwave receiver, which plays too
    wait_for(
        driver,
        "var a = document.getElementById('heard-player'); "
        "return a && (a.readyState >= 2 || a.error !== null);",
        "the as-heard clip to load",
        timeout_s=60,
    )
    assert driver.execute_script("return document.getElementById('heard-player').error") is None
    assert "as heard on shortwave" in text_of(driver, "#shortwave")
    shoot(driver, tmp_path, "message")

    # into the episode, from the approved queue; the slot fit shown as it changes
    driver.get(f"{studio}/episodes/2026-w47")
    wait_for(driver, "return document.getElementById('fit-line');", "the slot fit", 60)
    before = text_of(driver, "#fit-line")
    driver.find_element(By.CSS_SELECTOR, "button[aria-label='Add spring-hope']").click()
    wait_for(
        driver,
        "return document.querySelector('#running li[data-id=\"spring-hope\"]') && "
        f"document.getElementById('fit-line').textContent !== {before!r};",
        "the message in the running order and the fit updated",
        60,
    )
    driver.find_element(By.XPATH, "//button[text()='Save the running order']").click()
    wait_for(
        driver,
        "var n = document.querySelector('.notice'); return n && n.textContent.includes('saved');",
        "the running order saved",
    )
    episode = (warm_project.episodes_dir / "2026-w47.yaml").read_text("utf-8")
    assert "  - spring-hope\n" in episode and "# Sample episode" in episode  # comments kept

    # rendered with live progress; the summary table at the end
    driver.find_element(By.ID, "render-button").click()
    wait_for(
        driver,
        "return document.querySelectorAll('#progress-log li').length > 0 || "
        "document.getElementById('render-done');",
        "progress of the render",
        60,
    )
    progress_seen = driver.execute_script(
        "return Array.from(document.querySelectorAll('#progress-log li'), li => li.textContent);"
    )
    wait_for(driver, "return document.getElementById('render-done');", "the render to end", 180)
    assert "spring-hope" in text_of(driver, "#summary")
    assert progress_seen, "no progress was shown while rendering"

    # the programme played from a cue
    cue = driver.find_element(By.XPATH, "//button[@class='cue'][contains(., '봄의 소망')]")
    start = float(cue.get_attribute("data-start"))
    wait_for(
        driver,
        "return document.getElementById('programme-player').readyState >= 1;",
        "the programme to load",
    )
    driver.execute_script("arguments[0].scrollIntoView();", cue)
    cue.click()
    now = wait_for(
        driver,
        "var p = document.getElementById('programme-player');"
        "return p.currentTime > 0 ? p.currentTime : null;",
        "the programme to play from the cue",
    )
    driver.execute_script("document.getElementById('programme-player').pause();")
    assert start - 0.01 <= float(now) <= start + 1.0, (start, now)
    wait_for(driver, "return document.getElementById('fit-line');", "the slot fit", 60)
    shoot(driver, tmp_path, "episode", anchor="fit")
    shoot(driver, tmp_path, "render", anchor="render")
    no_console_errors()

    # the airing recorded, then the message in the ledger
    driver.find_element(By.CSS_SELECTOR, "#aired-form button").click()
    wait_for(
        driver,
        "var n = document.querySelector('.notice');return n && n.textContent.includes('recorded');",
        "the airing recorded",
    )
    driver.get(f"{studio}/ledger?message=spring-hope")
    answer = text_of(driver, "#answer")
    assert "episode 2026-w47" in answer and "aired:" in answer and "not aired yet" not in answer
    shoot(driver, tmp_path, "ledger")
    no_console_errors()
