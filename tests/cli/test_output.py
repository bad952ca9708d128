"""The two consoles every command prints on (cli/output.py): results on stdout; progress,
warnings and errors on stderr; text printed as it is written (never read as markup); a
log's width where there is no terminal; a --json document alone on stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from audio_pipeline.cli.output import err, out, print_json
from tests.conftest import REPO


def test_a_json_document_is_alone_on_stdout_and_keeps_korean_readable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = {"title": "소망의 메시지 [/b]", "long": "가" * 500, "levels": [-23.0, None]}
    print_json(document)
    printed = capsys.readouterr()
    assert printed.err == ""
    assert json.loads(printed.out) == document  # nothing else on stdout, nothing wrapped
    assert "소망의 메시지" in printed.out  # not \uXXXX escapes
    assert printed.out.endswith("}\n")


def test_results_go_to_stdout_and_the_rest_to_stderr_as_written(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out.print("title: [bold]x[/bold] [/b] [link=http://x]y[/link]")
    err.print("warning: '[/]' in a file name")
    printed = capsys.readouterr()
    assert printed.out == "title: [bold]x[/bold] [/b] [link=http://x]y[/link]\n"
    assert printed.err == "warning: '[/]' in a file name\n"


def widths(env: dict[str, str]) -> list[int]:
    """The consoles' widths in a fresh process whose stdout is a pipe (a log, cron)."""
    code = "from audio_pipeline.cli.output import out, err; print(out.width, err.width)"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=True,
    )
    return [int(w) for w in proc.stdout.split()]


def test_a_log_gets_room_for_tables_unless_columns_says_otherwise() -> None:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    assert widths(env) == [110, 110]  # not rich's 80 columns
    assert widths({**env, "COLUMNS": "72"}) == [72, 72]
