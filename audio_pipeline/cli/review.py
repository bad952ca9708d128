"""The editor's commands: check inputs, see the spoken script, preview and review clips."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from audio_pipeline.cli.app import app
from audio_pipeline.cli.console import (
    err,
    fmt_duration,
    loudness_line,
    out,
)
from audio_pipeline.cli.errors import errors_to_exit_codes
from audio_pipeline.cli.options import project_for
from audio_pipeline.core.errors import (
    InputError,
    Problem,
)
from audio_pipeline.inputs.episodes import load_episode, validate_project
from audio_pipeline.inputs.messages import load_messages
from audio_pipeline.inputs.safety import Gate
from audio_pipeline.inputs.voices import load_global_lexicon, load_voices
from audio_pipeline.text.checks import describe
from audio_pipeline.text.lexicon import EMPTY as EMPTY_LEXICON
from audio_pipeline.text.normalize import normalize, review_warnings


@app.command()
def validate(
    episode_file: Annotated[
        Path | None, typer.Argument(help="Episode YAML; without it, every file of the project.")
    ] = None,
) -> None:
    """Check inputs without rendering: every problem, one line each (exit 2 if any).

    Identifying details in an approved message, and an episode's message whose text changed
    after approval, are problems. Loanwords, what the spoken script does, cleared findings,
    and the findings and stale approvals of messages not approved are printed as warnings."""
    with errors_to_exit_codes():
        project = project_for(episode_file)
        if episode_file is not None:
            inputs = load_episode(episode_file, project)
            speakers = [v for v in (inputs.voice, inputs.fallback_voice) if v is not None]
            gate = Gate.load(project, [v.lexicon for v in speakers])
            for warning in gate.warnings(inputs.messages):
                err.print(f"warning: {warning}", markup=False)
            ep = inputs.episode
            fallback = f", fallback {ep.fallback_voice}" if ep.fallback_voice else ""
            chosen = (
                f"{len(inputs.messages)} approved messages"
                if ep.select is None
                else f"up to {ep.select.max_messages} approved messages from the queue"
            )
            out.print(
                f"ok: {project.show(ep.source)}: episode '{ep.id}', {chosen}, "
                f"voice {ep.voice}{fallback}"
            )
            return
        messages = load_messages(project).messages
        lexicon, _ = load_global_lexicon(project)
        problems = validate_project(project)
        errors = {str(p) for p in problems}  # a line is an error or a warning, never both
        for warning in Gate.load(project, [lexicon or EMPTY_LEXICON]).warnings(messages.values()):
            if str(warning) not in errors:
                err.print(f"warning: {warning}", markup=False)
        if problems:
            raise InputError(problems)
        voices, _ = load_voices(project)
        episodes = list(project.episodes_dir.glob("*.yaml"))
        out.print(f"ok: {len(messages)} messages, {len(voices)} voices, {len(episodes)} episodes")


@app.command("normalize-text")
def normalize_text(
    text: Annotated[
        str | None,
        typer.Argument(help="Korean text; without it, standard input is read line by line."),
    ] = None,
    voice: Annotated[
        str | None,
        typer.Option("--voice", help="Add this voice's lexicon (voices/<voice>.lexicon.yaml)."),
    ] = None,
) -> None:
    """Print the spoken script: the text as the engine will receive it.

    Numbers, dates, money, Bible references, the pronunciation lexicon, Latin-script words,
    symbols and pauses are applied; warnings (spelled-out words, removed addresses, listener
    checks) go to stderr. Without TEXT, each line of standard input gives one line of output."""
    with errors_to_exit_codes():
        project = project_for()
        lexicon, problems = load_global_lexicon(project)
        if voice is not None:
            profiles, voice_problems = load_voices(project)
            if voice not in profiles:
                shown = project.show(project.voices_dir / f"{voice}.yaml")
                raise InputError(
                    [p for p in voice_problems if p.file == shown]
                    or [
                        Problem(
                            shown,
                            "",
                            f"unknown voice '{voice}'; voices: {', '.join(sorted(profiles))}",
                        )
                    ]
                )
            lexicon = profiles[voice].lexicon
        if problems or lexicon is None:
            raise InputError(problems)
        if text is not None:
            for warning in review_warnings(text, lexicon):
                err.print(f"warning: {describe(warning)}", markup=False)
            out.print(normalize(text, lexicon).text, markup=False)
            return
        for number, line in enumerate(sys.stdin, start=1):
            line = line.rstrip("\n")
            for warning in review_warnings(line, lexicon):
                err.print(f"warning: line {number}: {describe(warning)}", markup=False)
            sys.stdout.write(normalize(line, lexicon).text + "\n")
            sys.stdout.flush()


@app.command()
def preview(
    message_id: Annotated[str, typer.Argument(help="Message id (input/messages/<id>.yaml).")],
    voice: Annotated[
        str | None, typer.Option("--voice", help="Voice profile name (voices/<name>.yaml).")
    ] = None,
    allow_pending: Annotated[
        bool,
        typer.Option("--allow-pending", help="Preview a pending message (offline voices only)."),
    ] = False,
) -> None:
    """Synthesize and normalize one clip; print its path, duration, loudness and spoken text."""
    from audio_pipeline.app.preview import preview_message

    with errors_to_exit_codes():
        project = project_for()
        result = preview_message(project, message_id, voice, allow_pending=allow_pending)
        if result.fallback_reason:
            err.print(f"warning: FALLBACK to voice '{result.voice}': {result.fallback_reason}")
        out.print(f"clip: {project.show(result.path)}")
        out.print(
            f"voice: {result.voice} ({result.engine})"
            + (" FALLBACK" if result.fallback_reason else "")
        )
        out.print(f"duration: {fmt_duration(result.duration_s)}")
        out.print(f"loudness: {loudness_line(result.loudness)}")
        for warning in result.warnings:
            err.print(f"warning: {describe(warning)}", markup=False)
        out.print("text sent to the engine:")
        for line in result.spoken_text.splitlines():
            out.print(f"  {line}")


@app.command()
def review(
    message_ids: Annotated[
        list[str], typer.Argument(help="Message ids (input/messages/<id>.yaml).")
    ],
    voice: Annotated[
        str | None, typer.Option("--voice", help="Voice profile name (voices/<name>.yaml).")
    ] = None,
    allow_pending: Annotated[
        bool,
        typer.Option("--allow-pending", help="Include pending messages (offline voices only)."),
    ] = False,
) -> None:
    """Write the reviewer's page for some messages, before any episode: output/review/."""
    from audio_pipeline.app.preview import review_messages

    with errors_to_exit_codes():
        project = project_for()
        result = review_messages(project, message_ids, voice, allow_pending=allow_pending)
        for clip in result.clips:
            how = "cached" if clip.cached else "synthesized"
            mark = " FALLBACK" if clip.fallback else ""
            if clip.fallback:
                err.print(
                    f"warning: FALLBACK: message '{clip.message_id}' spoken by voice "
                    f"'{clip.voice}': {clip.fallback_reason}",
                    markup=False,
                )
            out.print(
                f"  {clip.message_id}: {fmt_duration(clip.duration_s)} "
                f"({how}, {clip.engine}, {clip.voice}){mark}",
                markup=False,
            )
        out.print(f"page: {project.show(result.page)}", markup=False)
