"""The editor's decisions: approve or reject a message, clear a finding, and bind older
approvals to text."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from audio_pipeline.cli.app import app
from audio_pipeline.cli.errors import errors_to_exit_codes
from audio_pipeline.cli.options import project_for
from audio_pipeline.cli.output import out

ByOption = Annotated[
    str,
    typer.Option(
        "--by",
        help="Who decides: a name or a team. Kept in the message file, never in any output.",
    ),
]


def _now() -> dt.datetime:
    return dt.datetime.now().astimezone()


@app.command()
def approve(
    message_id: Annotated[str, typer.Argument(help="Message id (input/messages/<id>.yaml).")],
    by: ByOption,
) -> None:
    """Approve a message's text as it stands: status, who, when and the text's digest.

    The approval binds to the text: if the text changes afterwards, the message is not
    approved any more and render refuses it. Refused (exit 2, nothing written) while the text
    has an identifying detail nobody cleared. The file keeps its comments and layout."""
    from audio_pipeline.app.approval import approve_message

    with errors_to_exit_codes():
        decision = approve_message(project_for(), message_id, by, _now())
        verb = "approved" if decision.changed else "unchanged"
        out.print(f"{verb}: {decision.message_id}: {decision.note}", markup=False)


@app.command()
def reject(
    message_id: Annotated[str, typer.Argument(help="Message id (input/messages/<id>.yaml).")],
    by: ByOption,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Why, for the supporter or the translator (optional)."),
    ] = None,
) -> None:
    """Reject a message: it never renders; any earlier approval is removed from the file.

    Writes status, who, when and the reason into the message file, keeping its comments and
    layout."""
    from audio_pipeline.app.approval import reject_message

    with errors_to_exit_codes():
        decision = reject_message(project_for(), message_id, by, _now(), reason)
        out.print(f"rejected: {decision.message_id}: {decision.note}", markup=False)


@app.command()
def clear(
    message_id: Annotated[str, typer.Argument(help="Message id (input/messages/<id>.yaml).")],
    words: Annotated[
        str,
        typer.Option("--words", help="The finding's exact words, as validate names them."),
    ],
    by: ByOption,
    note: Annotated[
        str | None,
        typer.Option("--note", help="Why it is harmless (optional; kept in the message file)."),
    ] = None,
) -> None:
    """Clear a finding an editor judged harmless (a public figure, a published pen name).

    Writes {words, by, at, note} under `cleared:` in the message file. The finding is still
    reported, as a warning, but no longer blocks approval or the air. Only a finding the
    checks make now can be cleared, and never a web or e-mail address (exit 2, nothing
    written)."""
    from audio_pipeline.app.approval import clear_finding

    with errors_to_exit_codes():
        decision = clear_finding(project_for(), message_id, words, by, _now(), note)
        verb = "cleared" if decision.changed else "unchanged"
        out.print(f"{verb}: {decision.message_id}: {decision.note}", markup=False)


@app.command("migrate-approvals")
def migrate_approvals(by: ByOption) -> None:
    """Bind approvals made before approvals recorded a digest to the text as it stands now.

    Run once after upgrading, while the approved messages are as they were approved: for
    every approved message without `approved_sha256`, the digest of its current text is
    recorded (with a comment saying who ran this and when). Other messages are untouched."""
    from audio_pipeline.app.approval import migrate_approvals as migrate

    with errors_to_exit_codes():
        decisions = migrate(project_for(), by, _now())
        for decision in decisions:
            out.print(f"bound: {decision.message_id}: {decision.note}", markup=False)
        out.print(f"{len(decisions)} approval(s) bound to their text", markup=False)
