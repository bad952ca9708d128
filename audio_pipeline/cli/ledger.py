"""The broadcast ledger: where each message was placed, and when it aired."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from typing import Annotated

import typer

from audio_pipeline.app.ledger import open_ledger
from audio_pipeline.cli.app import ledger_app
from audio_pipeline.cli.errors import errors_to_exit_codes
from audio_pipeline.cli.options import project_for
from audio_pipeline.cli.output import out
from audio_pipeline.core.display import clock
from audio_pipeline.core.project import ENV_LEDGER


def _when(iso: str) -> str:
    """A ledger time (UTC, ISO 8601) for people: 2026-11-22 21:00 UTC."""
    return iso.replace("T", " ")[:16] + " UTC" if iso.endswith("+00:00") else iso


@ledger_app.command("mark-aired")
def ledger_mark_aired(
    episode_id: Annotated[str, typer.Argument(help="Episode id, e.g. 2026-w47.")],
    at: Annotated[
        str,
        typer.Option(
            "--at",
            help="When it went on the air: YYYY-MM-DDTHH:MM, optionally with an offset "
            "(+09:00); without one, local time.",
        ),
    ],
) -> None:
    """Record that an episode was broadcast (tied to the render that was current then)."""
    from audio_pipeline.publish.ledger_records import parse_datetime

    with errors_to_exit_codes():
        when = parse_datetime(at)
        project = project_for(required=ENV_LEDGER not in os.environ)
        with open_ledger(project) as ledger:
            airing = ledger.mark_aired(episode_id, when)
            placed = ledger.placements(airing.render_id)  # the render that aired, not the latest
        verb = "recorded" if airing.added else "already recorded"
        out.print(
            f"{verb}: episode {episode_id} aired at {when.isoformat()} ({len(placed)} message(s))",
            markup=False,
        )


@ledger_app.command("message")
def ledger_message(
    message_id: Annotated[str, typer.Argument(help="Message id, e.g. not-alone.")],
    json_report: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Where and when a message was placed and aired (the answer for its supporter)."""
    with errors_to_exit_codes():
        project = project_for(required=ENV_LEDGER not in os.environ)
        with open_ledger(project) as ledger:
            rows = ledger.message(message_id)
        if json_report:
            document = {"message_id": message_id, "placements": [asdict(r) for r in rows]}
            typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
            return
        if not rows:
            out.print(f"{message_id}: not placed in any episode yet", markup=False)
            return
        for r in rows:
            aired = ", ".join(_when(a) for a in r.aired) if r.aired else "not aired yet"
            old = "" if r.current else " (an earlier render of this episode)"
            voice = f", read by {r.voice}" if r.voice else ""
            out.print(
                f"{message_id}: episode {r.episode_id} ({r.episode_date}) "
                f"「{r.episode_title}」, message {r.position}{voice}, "
                f"{clock(r.start_s)} to {clock(r.end_s)}; "
                f"rendered {_when(r.rendered_at)}{old}; aired: {aired}",
                markup=False,
            )


@ledger_app.command("episodes")
def ledger_episodes(
    json_report: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every episode in the ledger: latest render, messages, length, when it aired."""
    with errors_to_exit_codes():
        project = project_for(required=ENV_LEDGER not in os.environ)
        with open_ledger(project) as ledger:
            rows = ledger.episodes()
        if json_report:
            out.print_json(json.dumps({"episodes": [asdict(r) for r in rows]}, ensure_ascii=False))
            return
        for r in rows:
            renders = f" (render #{r.renders})" if r.renders > 1 else ""
            aired = ", ".join(_when(a) for a in r.aired) if r.aired else "not yet"
            out.print(
                f"{r.id}  {r.date}  {r.messages} message(s), {clock(r.duration_s)}  "
                f"rendered {_when(r.rendered_at)}{renders}  aired: {aired}  「{r.title}」",
                markup=False,
            )
        out.print(f"{len(rows)} episode(s) in {project.show(project.ledger_path)}", markup=False)
