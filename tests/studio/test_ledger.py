"""The ledger page (studio/ledger.py): every episode in the broadcast ledger, newest first,
with the messages of its latest render, and where and when a message aired, read from the
same ledger the `ledger` commands use (made here by hand, tests/app/reports.py)."""

from __future__ import annotations

import datetime as dt
import html
import re

from starlette.testclient import TestClient

from tests.app.reports import add_render, ledger_record

EARLIER = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)


def rows(page: str) -> list[str]:
    """The episode table read back: each row's text, tags and spacing dropped."""
    body = page.split('<table class="list" id="ledger-episodes">', 1)[1].split("</table>")[0]
    found = re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1], flags=re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", r)).split()) for r in found]


def test_an_empty_ledger_says_nothing_was_rendered(client: TestClient) -> None:
    page = client.get("/ledger").text
    assert rows(page) == ["Nothing rendered yet."]
    assert "0 episode(s) in the ledger, newest first" in page
    assert not (client.app.state.project.root / "ledger.sqlite").exists()  # not made by looking


def test_episodes_newest_first_with_the_messages_of_their_latest_render(
    client: TestClient,
) -> None:
    ledger = client.app.state.project.root / "ledger.sqlite"
    add_render(ledger, ledger_record("2026-w47", ["not-alone", "church-prays"], EARLIER))
    add_render(ledger, ledger_record("2026-w47", ["church-prays"], LATER))
    add_render(
        ledger,
        ledger_record("2026-w48", ["not-alone"], LATER, date=dt.date(2026, 11, 29), title="둘째"),
    )
    assert rows(client.get("/ledger").text) == [
        "2026-w48 둘째 2026-11-29 not-alone 3:20.0 not yet",
        "2026-w47 소망의 메시지 2026-11-22 church-prays 3:20.0 not yet",
    ]


def test_where_and_when_a_message_aired(client: TestClient) -> None:
    ledger = client.app.state.project.root / "ledger.sqlite"
    add_render(ledger, ledger_record("2026-w47", ["church-prays", "not-alone"], EARLIER))
    page = client.get("/ledger?message=not-alone").text
    answer = page.split('<section aria-labelledby="answer-h" id="answer">', 1)[1]
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", "", answer.split("</section>")[0])).split())
    assert text == (
        "not-alone not-alone: episode 2026-w47 (2026-11-22) 「소망의 메시지」, message 2, read "
        "by ko-offline, 0:40.0 to 1:05.0; rendered 2026-11-20 10:00 UTC; aired: not aired yet"
    )
    never = client.get("/ledger?message=christmas-greeting").text
    assert "christmas-greeting: not placed in any episode yet." in never


def test_a_look_up_that_is_not_an_id_is_told_and_not_run(client: TestClient) -> None:
    page = client.get("/ledger?message=../../etc").text
    assert "'../../etc' is not a message id." in html.unescape(page)
    assert 'id="answer"' not in page
