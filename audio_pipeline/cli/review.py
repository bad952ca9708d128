"""The editor's commands: check inputs, see the spoken script, preview and review clips."""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Annotated

import typer

from audio_pipeline.cli.app import app
from audio_pipeline.cli.errors import Told, errors_to_exit_codes
from audio_pipeline.cli.options import project_for
from audio_pipeline.cli.output import err, out, print_json
from audio_pipeline.cli.report import JSON_SCHEMA
from audio_pipeline.core.display import clock, loudness_line
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
    json_report: Annotated[
        bool, typer.Option("--json", help="Print a machine-readable result on stdout.")
    ] = False,
) -> None:
    """Check inputs without rendering: every problem, one line each (exit 2 if any).

    Identifying details in an approved message, and an episode's message whose text changed
    after approval, are problems. Loanwords, what the spoken script does, cleared findings,
    and the findings and stale approvals of messages not approved are printed as warnings."""
    warnings: list[Problem] = []

    def warn(found: Iterable[Problem], errors: Collection[str] = ()) -> None:
        for warning in found:
            if str(warning) not in errors:  # a line is an error or a warning, never both
                warnings.append(warning)
                err.print(f"warning: {warning}", markup=False)

    def failed(told: Told) -> None:
        if json_report:
            found = [str(w) for w in warnings]
            print_json({"schema": JSON_SCHEMA, **told.document(), "warnings": found})

    with errors_to_exit_codes(failed):
        project = project_for(episode_file)
        document: dict[str, object] = {"schema": JSON_SCHEMA, "ok": True}
        if episode_file is not None:
            inputs = load_episode(episode_file, project)
            speakers = [v for v in (inputs.voice, inputs.fallback_voice) if v is not None]
            warn(Gate.load(project, [v.lexicon for v in speakers]).warnings(inputs.messages))
            ep = inputs.episode
            fallback = f", fallback {ep.fallback_voice}" if ep.fallback_voice else ""
            chosen = (
                f"{len(inputs.messages)} approved messages"
                if ep.select is None
                else f"up to {ep.select.max_messages} approved messages from the queue"
            )
            line = (
                f"ok: {project.show(ep.source)}: episode '{ep.id}', {chosen}, "
                f"voice {ep.voice}{fallback}"
            )
            document["episode"] = {
                "id": ep.id,
                "file": project.show(ep.source),
                "messages": [m.id for m in inputs.messages] if ep.select is None else None,
                "select": ep.select.as_dict() if ep.select is not None else None,
                "voice": ep.voice,
                "fallback_voice": ep.fallback_voice,
                "deliverables": [p.name for p in inputs.delivery_profiles()],
            }
        else:
            messages = load_messages(project).messages
            lexicon, _ = load_global_lexicon(project)
            problems = validate_project(project)
            gate = Gate.load(project, [lexicon or EMPTY_LEXICON])
            warn(gate.warnings(messages.values()), {str(p) for p in problems})
            if problems:
                raise InputError(problems)
            voices, _ = load_voices(project)
            episodes = list(project.episodes_dir.glob("*.yaml"))
            line = f"ok: {len(messages)} messages, {len(voices)} voices, {len(episodes)} episodes"
            document["counts"] = {
                "messages": len(messages),
                "voices": len(voices),
                "episodes": len(episodes),
            }
        document["warnings"] = [str(w) for w in warnings]
        if json_report:
            print_json(document)
        else:
            out.print(line)


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
        # outside a project the text is prepared with no lexicon; a voice needs its project
        project = project_for(required=voice is not None)
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
        str | None,
        typer.Option(
            "--voice",
            help="Voice profile name (voices/<name>.yaml). Default: $AUDIO_PIPELINE_VOICE, "
            "else ko-offline (the embedded voice, no network).",
        ),
    ] = None,
    allow_pending: Annotated[
        bool,
        typer.Option(
            "--allow-pending",
            help="Preview a pending message, with an offline voice (the default one unless "
            "--voice names another offline voice).",
        ),
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
        out.print(f"duration: {clock(result.duration_s)}")
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
        str | None,
        typer.Option(
            "--voice",
            help="Voice profile name (voices/<name>.yaml). Default: $AUDIO_PIPELINE_VOICE, "
            "else ko-offline (the embedded voice, no network).",
        ),
    ] = None,
    allow_pending: Annotated[
        bool,
        typer.Option(
            "--allow-pending",
            help="Include pending messages, spoken with an offline voice.",
        ),
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
                f"  {clip.message_id}: {clock(clip.duration_s)} "
                f"({how}, {clip.engine}, {clip.voice}){mark}",
                markup=False,
            )
        out.print(f"page: {project.show(result.page)}", markup=False)
