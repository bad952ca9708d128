"""The command line: parse, call the library, print. Nothing else lives here.

Exit codes: 0 success, 1 the render failed, 2 invalid input (one line per problem).
Results go to stdout, progress and warnings to stderr.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

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
    one_line,
)
from .inputs import load_episode, load_messages, load_voices, validate_project
from .project import Project
from .render import RenderSettings, render_episode
from .report import ConsoleReporter, fmt_duration, loudness_line, summary

app = typer.Typer(
    help="Render broadcast-ready radio programmes from approved Korean messages.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
cache_app = typer.Typer(help="Inspect or empty the clip cache.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")

# The weekly batch job sets these instead of options (an option on the command line wins).
ENV_CONCURRENCY = "AUDIO_PIPELINE_CONCURRENCY"
ENV_REQUESTS_PER_MINUTE = "AUDIO_PIPELINE_REQUESTS_PER_MINUTE"

# markup off: what is printed holds input text (titles, ids, file names, YAML keys), and
# '[/b]' in a title must be printed, not parsed (a MarkupError used to end the command)
out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


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
        Path, typer.Argument(help="Episode YAML, e.g. input/episodes/sample-week.yaml.")
    ],
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail (exit 1) instead of using the fallback voice.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress; warnings and the summary only.")
    ] = False,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            min=defaults.RENDER_CONCURRENCY_RANGE[0],
            max=defaults.RENDER_CONCURRENCY_RANGE[1],
            envvar=ENV_CONCURRENCY,
            help="Clips synthesized at once; also the most network TTS requests in flight.",
        ),
    ] = defaults.RENDER_CONCURRENCY,
    requests_per_minute: Annotated[
        float,
        typer.Option(
            "--requests-per-minute",
            min=0,
            max=6000,
            envvar=ENV_REQUESTS_PER_MINUTE,
            help="Cap on network TTS requests a minute, retries included, shared by all "
            "workers (0: no cap).",
        ),
    ] = defaults.GTTS_REQUESTS_PER_MINUTE,
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
        out.print("text sent to the engine:")
        for line in result.spoken_text.splitlines():
            out.print(f"  {line}")


@app.command()
def validate(
    episode_file: Annotated[
        Path | None, typer.Argument(help="Episode YAML; without it, every file of the project.")
    ] = None,
) -> None:
    """Check inputs without rendering: every problem, one line each (exit 2 if any)."""
    with errors_to_exit_codes():
        project = project_for(episode_file)
        if episode_file is not None:
            inputs = load_episode(episode_file, project)
            ep = inputs.episode
            fallback = f", fallback {ep.fallback_voice}" if ep.fallback_voice else ""
            out.print(
                f"ok: {project.show(ep.source)}: episode '{ep.id}', "
                f"{len(inputs.messages)} approved "
                f"messages, voice {ep.voice}{fallback}"
            )
            return
        problems = validate_project(project)
        if problems:
            raise InputError(problems)
        messages = load_messages(project).messages
        voices, _ = load_voices(project)
        episodes = list(project.episodes_dir.glob("*.yaml"))
        out.print(f"ok: {len(messages)} messages, {len(voices)} voices, {len(episodes)} episodes")


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


def main() -> None:
    try:
        app()
    except SystemExit as exc:
        sys.exit(exc.code)
