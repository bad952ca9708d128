"""The editor's decisions on the command line (cli/messages.py): `approve`, `reject`,
`clear`, `migrate-approvals`; one line for each decision on stdout, the message file changed
as the decision says (read back by YAML), a refusal one line and exit 2."""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from pathlib import Path

import pytest
import yaml
from click.testing import Result
from typer.testing import CliRunner

from audio_pipeline.app import editing
from audio_pipeline.cli.main import app
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.messages import load_messages

NAMED = "사랑하는 김철수 집사님, 힘내세요. 기도 요청은 pray@example.org 로 보내 주세요."
NOW = dt.datetime(2026, 11, 20, 14, 5, 30, 123, tzinfo=dt.timezone(dt.timedelta(hours=9)))
TEXT = "어둠 속에서도 소망을 잃지 마십시오.\n\n우리가 함께 기도합니다."


def run(project: Project, *args: str) -> Result:
    return CliRunner().invoke(app, ["--project", str(project.root), *args])


def digest(text: str) -> str:
    """Independent of the product: sha256 of the NFC text, stripped."""
    return hashlib.sha256(unicodedata.normalize("NFC", text.strip()).encode()).hexdigest()


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    """The commands decide at NOW."""
    monkeypatch.setattr("audio_pipeline.cli.messages._now", lambda: NOW)
    return NOW


@pytest.fixture
def hope(project: Project) -> Path:
    """A pending message, as an editor would leave it for a decision."""
    editing.create_message(project, "hope-note", title="소망의 편지", text=TEXT)
    return project.messages_dir / "hope-note.yaml"


def test_clear_writes_the_finding_and_refuses_an_address(project: Project) -> None:
    editing.create_message(project, "named", title="", text=NAMED)
    result = run(project, "clear", "named", "--words", "김철수  집사님", "--by", "편집팀")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "cleared: named: '김철수 집사님' cleared by 편집팀" in result.stdout  # type: ignore[attr-defined]
    message = load_messages(project).messages["named"]
    assert [(c.words, c.by) for c in message.cleared] == [("김철수 집사님", "편집팀")]
    result = run(project, "clear", "named", "--words", "pray@example.org", "--by", "편집팀")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "cannot be cleared" in result.stderr  # type: ignore[attr-defined]
    result = run(project, "clear", "named", "--words", "박 장로님", "--by", "편집팀")
    assert result.exit_code == 2 and "is not a finding" in result.stderr  # type: ignore[attr-defined]


def test_approve_says_who_when_and_which_text(
    project: Project, hope: Path, fixed_clock: dt.datetime
) -> None:
    result = run(project, "approve", "hope-note", "--by", "편집팀")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        f"approved: hope-note: approved by 편집팀 at 2026-11-20 14:05; "
        f"text sha256 {digest(TEXT)[:12]}…\n"
    )
    data = yaml.safe_load(hope.read_text("utf-8"))
    # the time the command decided, to the second, with its UTC offset
    assert data["approved_at"] == NOW.replace(microsecond=0)
    assert data["approved_at"].utcoffset() == dt.timedelta(hours=9)
    again = run(project, "approve", "hope-note", "--by", "다른 편집자")
    assert again.stdout == (
        "unchanged: hope-note: already approved for this text by 편집팀; nothing changed\n"
    )


def test_reject_with_and_without_a_reason(
    project: Project, hope: Path, fixed_clock: dt.datetime
) -> None:
    result = run(project, "reject", "hope-note", "--by", "편집장")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "rejected: hope-note: rejected by 편집장 at 2026-11-20 14:05\n"
    data = yaml.safe_load(hope.read_text("utf-8"))
    assert (data["status"], data["rejected_by"]) == ("rejected", "편집장")
    assert "rejection_reason" not in data
    result = run(project, "reject", "hope-note", "--by", "편집장", "--reason", "장소가 드러납니다")
    assert result.stdout == (
        "rejected: hope-note: rejected by 편집장 at 2026-11-20 14:05: 장소가 드러납니다\n"
    )
    assert yaml.safe_load(hope.read_text("utf-8"))["rejection_reason"] == "장소가 드러납니다"


def test_clearing_the_same_words_twice_changes_nothing(
    project: Project, fixed_clock: dt.datetime
) -> None:
    editing.create_message(project, "named", title="", text=NAMED)
    first = run(project, "clear", "named", "--words", "김철수 집사님", "--by", "편집팀")
    assert first.exit_code == 0, first.stderr
    path = project.messages_dir / "named.yaml"
    before = path.read_bytes()
    again = run(project, "clear", "named", "--words", "김철수 집사님", "--by", "편집장")
    assert again.exit_code == 0
    assert again.stdout == (
        "unchanged: named: '김철수 집사님' was already cleared by 편집팀; nothing changed\n"
    )
    assert path.read_bytes() == before
    cleared = yaml.safe_load(before)["cleared"]
    assert cleared == [{"words": "김철수 집사님", "by": "편집팀", "at": NOW.replace(microsecond=0)}]


def test_a_name_that_is_not_one_line_is_refused_and_nothing_is_written(
    project: Project, hope: Path
) -> None:
    before = hope.read_bytes()
    for by in ("편집팀\n다른 줄", "x" * 201, "\x1b[31m편집팀"):
        result = run(project, "approve", "hope-note", "--by", by)
        assert result.exit_code == 2, by
        assert result.stderr.splitlines()[0].startswith("error: --by: must be one line of at most ")
    missing = run(project, "approve", "hope-note")
    assert missing.exit_code == 2 and "Missing option '--by'" in missing.stderr
    assert hope.read_bytes() == before


def test_migrate_names_each_approval_it_binds(project: Project, fixed_clock: dt.datetime) -> None:
    unbound = ["church-prays", "not-alone"]
    for name in unbound:
        path = project.messages_dir / f"{name}.yaml"
        kept = [x for x in path.read_text("utf-8").splitlines(True) if "approved_sha256" not in x]
        path.write_text("".join(kept), "utf-8")
    result = run(project, "migrate-approvals", "--by", "편집팀")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "2 approval(s) bound to their text"
    texts = {n: load_messages(project).messages[n].text for n in unbound}
    assert lines[:-1] == [
        f"bound: {name}: approval of 2026-11-16 by 편집팀 bound to its text "
        f"(sha256 {digest(texts[name])[:12]}…)"
        for name in unbound
    ]
