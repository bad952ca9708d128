"""The command line: parse, call the library, print. Nothing else lives here.

Exit codes: 0 success, 1 the render failed, 2 invalid input (one line per problem).
Results go to stdout, progress and warnings to stderr.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from . import __version__, defaults
from .cache import ClipCache
from .engines import ENGINES, EngineSet, GttsSettings
from .errors import (
    EXIT_INVALID_INPUT,
    EXIT_RENDER_FAILED,
    InputError,
    PipelineError,
    Problem,
    one_line,
)
from .inputs import (
    load_episode,
    load_global_lexicon,
    load_messages,
    load_voices,
    message_warnings,
    validate_project,
)
from .project import Project
from .render import RenderSettings, render_episode
from .report import ConsoleReporter, batch_summary, fmt_duration, loudness_line, summary
from .text.checks import describe
from .text.lexicon import EMPTY as EMPTY_LEXICON
from .text.normalize import normalize, review_warnings

if TYPE_CHECKING:
    from .ledger import Ledger

app = typer.Typer(
    help="Render broadcast-ready radio programmes from approved Korean messages.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
cache_app = typer.Typer(help="Inspect or empty the clip cache.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")
ledger_app = typer.Typer(
    help="The broadcast ledger: where each message was placed and when it aired.",
    no_args_is_help=True,
)
app.add_typer(ledger_app, name="ledger")

# The weekly batch job sets these instead of options (an option on the command line wins).
ENV_CONCURRENCY = "AUDIO_PIPELINE_CONCURRENCY"
ENV_REQUESTS_PER_MINUTE = "AUDIO_PIPELINE_REQUESTS_PER_MINUTE"

# the network options of every command that renders (render, batch): one definition
ConcurrencyOption = Annotated[
    int,
    typer.Option(
        "--concurrency",
        min=defaults.RENDER_CONCURRENCY_RANGE[0],
        max=defaults.RENDER_CONCURRENCY_RANGE[1],
        envvar=ENV_CONCURRENCY,
        help="Clips synthesized at once; also the most network TTS requests in flight.",
    ),
]
RequestsPerMinuteOption = Annotated[
    float,
    typer.Option(
        "--requests-per-minute",
        min=0,
        max=6000,
        envvar=ENV_REQUESTS_PER_MINUTE,
        help="Cap on network TTS requests a minute, retries included, shared by all "
        "workers (0: no cap).",
    ),
]

# markup off: what is printed holds input text (titles, ids, file names, YAML keys), and
# '[/b]' in a title must be printed, not parsed (a MarkupError used to end the command)
# A log file or a pipe has no width: give tables room (Rich assumes 80 columns) unless COLUMNS
# says otherwise; a terminal keeps its own width.
LOG_WIDTH = None if os.environ.get("COLUMNS") or sys.stdout.isatty() else 110
out = Console(highlight=False, soft_wrap=True, markup=False, width=LOG_WIDTH)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, width=LOG_WIDTH)


class State:
    project_dir: Path | None = None
    debug: bool = False


def project_for(hint: Path | None = None) -> Project:
    return Project.discover(hint=hint, explicit=State.project_dir)


@contextlib.contextmanager
def errors_to_exit_codes() -> Iterator[None]:
    """One exception-to-message table for every command (beets' main() does the same)."""
    try:
        yield
    except InputError as exc:
        for problem in exc.problems:
            err.print(f"error: {problem}")
        err.print(f"{len(exc.problems)} problem(s) found; nothing was written.")
        raise typer.Exit(EXIT_INVALID_INPUT) from None
    except PipelineError as exc:
        err.print(f"error: {one_line(str(exc))}")
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print("interrupted; the previous output was left untouched")
        raise typer.Exit(130) from None
    except typer.Exit:
        raise
    except Exception as exc:
        if State.debug:
            traceback.print_exc()
        err.print(
            f"error: internal error: {type(exc).__name__}: {one_line(str(exc))} "
            "(run with --debug for the traceback, and report it)"
        )
        raise typer.Exit(EXIT_RENDER_FAILED) from None


def _version(value: bool) -> None:
    if value:
        out.print(f"audio-pipeline {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    project: Annotated[
        Path | None,
        typer.Option(
            "--project",
            "-p",
            help="Project folder (with voices/ and input/). "
            "Default: found from the episode file or the working directory.",
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Render broadcast-ready radio programmes from approved Korean messages."""
    State.project_dir = project
    State.debug = debug


@app.command()
def render(
    episode_file: Annotated[
        Path, typer.Argument(help="Episode YAML, e.g. input/episodes/2026-w47.yaml.")
    ],
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail (exit 1) instead of using the fallback voice.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress; warnings and the summary only.")
    ] = False,
    concurrency: ConcurrencyOption = defaults.RENDER_CONCURRENCY,
    requests_per_minute: RequestsPerMinuteOption = defaults.GTTS_REQUESTS_PER_MINUTE,
) -> None:
    """Render an episode: clips, loudness, programme WAV and MP3, cues."""
    reporter = ConsoleReporter(err, quiet=quiet)
    with errors_to_exit_codes():
        project = project_for(episode_file)
        settings = RenderSettings(
            strict=strict,
            concurrency=concurrency,
            gtts=GttsSettings(requests_per_minute=requests_per_minute),
        )
        try:
            report = render_episode(project, episode_file, settings, reporter)
        finally:
            reporter.close()
        assert report.output_dir is not None
        summary(out, report, project.show(report.output_dir))


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
    from .preview import preview_message

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
def validate(
    episode_file: Annotated[
        Path | None, typer.Argument(help="Episode YAML; without it, every file of the project.")
    ] = None,
) -> None:
    """Check inputs without rendering: every problem, one line each (exit 2 if any).

    Listener checks (identifying details, loanwords) and what the spoken script does with
    each message are printed as warnings; they never change the exit code."""
    with errors_to_exit_codes():
        project = project_for(episode_file)
        if episode_file is not None:
            inputs = load_episode(episode_file, project)
            for warning in message_warnings(project, inputs.messages, inputs.voice.lexicon):
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
        for warning in message_warnings(project, messages.values(), lexicon or EMPTY_LEXICON):
            err.print(f"warning: {warning}", markup=False)
        problems = validate_project(project)
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
def voices() -> None:
    """List voice profiles and whether each engine is available now."""
    with errors_to_exit_codes():
        project = project_for()
        profiles, problems = load_voices(project)
        for problem in problems:
            err.print(f"warning: {problem}")
        engines = EngineSet()
        status: dict[str, str | None] = {}
        for name in sorted({p.engine for p in profiles.values()} | set(ENGINES)):
            status[name] = engines.get(name).probe()
        table = Table()
        for column in ("voice", "engine", "fallback", "available", "description"):
            table.add_column(column, overflow="fold")
        for name, profile in sorted(profiles.items()):
            reason = status[profile.engine]
            table.add_row(
                name,
                profile.engine,
                profile.fallback_voice or "",
                "yes" if reason is None else f"no: {reason}",
                profile.description or "",
            )
        out.print(table)


@cache_app.command("stats")
def cache_stats() -> None:
    """Entries and size of the clip cache."""
    with errors_to_exit_codes():
        project = project_for()
        stats = ClipCache(project.cache_dir).stats()
        out.print(f"cache: {stats.root}")
        out.print(f"entries: {stats.entries}")
        out.print(f"size: {stats.bytes / 1e6:.1f} MB")
        if stats.incomplete:
            out.print(f"incomplete files: {stats.incomplete} (removed by `cache clear`)")


@cache_app.command("clear")
def cache_clear() -> None:
    """Remove every cached clip (they are synthesized again when needed)."""
    with errors_to_exit_codes():
        project = project_for()
        removed = ClipCache(project.cache_dir).clear()
        out.print(f"removed {removed} cached clip(s) from {project.cache_dir}")


@app.command()
def batch(
    week: Annotated[
        str | None, typer.Option("--week", help="ISO week to render, e.g. 2026-W47.")
    ] = None,
    date: Annotated[
        str | None,
        typer.Option("--date", help="Render the ISO week of this date (YYYY-MM-DD)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Render even the episodes that are up to date.")
    ] = False,
    json_report: Annotated[
        bool, typer.Option("--json", help="Print a machine-readable run report on stdout.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress; warnings and failures only.")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail an episode instead of using a fallback voice.")
    ] = False,
    concurrency: ConcurrencyOption = defaults.RENDER_CONCURRENCY,
    requests_per_minute: RequestsPerMinuteOption = defaults.GTTS_REQUESTS_PER_MINUTE,
) -> None:
    """Render every episode dated in one ISO week; skip those whose inputs are unchanged.

    One failing episode does not stop the others. Exit 0 when none failed, 1 when any did
    (or no episode is dated in the week), 2 when the arguments are invalid.
    """
    from .batch import BatchArgumentError, parse_date, parse_week, run_batch, week_of

    reporter = ConsoleReporter(err, quiet=quiet)
    with errors_to_exit_codes():
        if (week is None) == (date is None):
            raise BatchArgumentError("give exactly one of --week YYYY-Www or --date YYYY-MM-DD")
        if week is not None:
            year, number = parse_week(week)
            label = f"{year}-W{number:02d}"
        else:
            label = week_of(parse_date(date or ""))
        project = project_for()
        settings = RenderSettings(
            strict=strict,
            concurrency=concurrency,
            gtts=GttsSettings(requests_per_minute=requests_per_minute),
        )
        try:
            result = run_batch(
                project,
                label,
                force=force,
                settings=settings,
                reporter=reporter,
                debug=State.debug,
            )
        finally:
            reporter.close()
        if result.error:
            err.print(f"error: {result.error}", markup=False)
        summary_console = err if json_report else out
        if result.episodes:
            batch_summary(summary_console, label, result.episodes)
        if json_report:
            typer.echo(json.dumps(result.as_dict(project), ensure_ascii=False, indent=2))
        if result.exit_code:
            failed = result.count("failed")
            if failed:
                err.print(f"{failed} episode(s) failed", markup=False)
            raise typer.Exit(result.exit_code)


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
    from .preview import review_messages

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


def _when(iso: str) -> str:
    """A ledger time (UTC, ISO 8601) for people: 2026-11-22 21:00 UTC."""
    return iso.replace("T", " ")[:16] + " UTC" if iso.endswith("+00:00") else iso


def _open_ledger(project: Project) -> Ledger:
    """The project's ledger; a missing one reads as empty and is not created by a look-up."""
    from .ledger import Ledger

    path = project.ledger_path
    return Ledger(path if path.exists() else Path(":memory:"))


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
    from .ledger import parse_datetime

    with errors_to_exit_codes():
        when = parse_datetime(at)
        project = project_for()
        with _open_ledger(project) as ledger:
            added = ledger.mark_aired(episode_id, when)
            placed = ledger.placements(ledger.current_render(episode_id) or 0)
        verb = "recorded" if added else "already recorded"
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
        project = project_for()
        with _open_ledger(project) as ledger:
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
            out.print(
                f"{message_id}: episode {r.episode_id} ({r.episode_date}) "
                f"「{r.episode_title}」, message {r.position}, "
                f"{fmt_duration(r.start_s)} to {fmt_duration(r.end_s)}; "
                f"rendered {_when(r.rendered_at)}{old}; aired: {aired}",
                markup=False,
            )


@ledger_app.command("episodes")
def ledger_episodes(
    json_report: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every episode in the ledger: latest render, messages, length, when it aired."""
    with errors_to_exit_codes():
        project = project_for()
        with _open_ledger(project) as ledger:
            rows = ledger.episodes()
        if json_report:
            out.print_json(json.dumps({"episodes": [asdict(r) for r in rows]}, ensure_ascii=False))
            return
        for r in rows:
            renders = f" (render #{r.renders})" if r.renders > 1 else ""
            aired = ", ".join(_when(a) for a in r.aired) if r.aired else "not yet"
            out.print(
                f"{r.id}  {r.date}  {r.messages} message(s), {fmt_duration(r.duration_s)}  "
                f"rendered {_when(r.rendered_at)}{renders}  aired: {aired}  「{r.title}」",
                markup=False,
            )
        out.print(f"{len(rows)} episode(s) in {project.show(project.ledger_path)}", markup=False)


def main() -> None:
    try:
        app()
    except SystemExit as exc:
        sys.exit(exc.code)
