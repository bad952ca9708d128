"""Commands that render: one episode, or every episode of a week."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Annotated

import typer

from audio_pipeline.app.render import render_episode
from audio_pipeline.app.settings import RenderSettings
from audio_pipeline.cli.app import app
from audio_pipeline.cli.errors import Told, errors_to_exit_codes
from audio_pipeline.cli.options import (
    ConcurrencyOption,
    RequestsPerMinuteOption,
    State,
    project_for,
)
from audio_pipeline.cli.output import err, out, print_json
from audio_pipeline.cli.progress import ConsoleReporter
from audio_pipeline.cli.report import (
    JSON_SCHEMA,
    batch_document,
    batch_summary,
    render_document,
    summary,
)
from audio_pipeline.core import defaults
from audio_pipeline.core.errors import PipelineError
from audio_pipeline.engines.base import EngineSettings, NetworkSettings


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
    requests_per_minute: RequestsPerMinuteOption = defaults.TTS_REQUESTS_PER_MINUTE,
    json_report: Annotated[
        bool,
        typer.Option(
            "--json", help="Print a machine-readable report on stdout (the summary on stderr)."
        ),
    ] = False,
) -> None:
    """Render an episode: clips, loudness, programme WAV and MP3, cues."""
    reporter = ConsoleReporter(err, quiet=quiet)

    def failed(told: Told) -> None:
        if json_report:
            print_json(
                {"schema": JSON_SCHEMA, "episode_file": str(episode_file), **told.document()}
            )

    with errors_to_exit_codes(failed):
        project = project_for(episode_file)
        settings = RenderSettings(
            strict=strict,
            concurrency=concurrency,
            engines=EngineSettings(NetworkSettings(requests_per_minute=requests_per_minute)),
        )
        try:
            report = render_episode(project, episode_file, settings, reporter)
        finally:
            reporter.close()
        summary(err if json_report else out, report, project.show(report.output_dir))
        if json_report:
            print_json(render_document(report, project))


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
    requests_per_minute: RequestsPerMinuteOption = defaults.TTS_REQUESTS_PER_MINUTE,
) -> None:
    """Render every episode dated in one ISO week; skip those whose inputs are unchanged.

    One failing episode does not stop the others. Exit 0 when none failed, 1 when any did
    (or no episode is dated in the week), 2 when the arguments are invalid.
    """
    from audio_pipeline.app.batch import (
        BatchArgumentError,
        parse_date,
        parse_week,
        run_batch,
        week_of,
    )

    reporter = ConsoleReporter(err, quiet=quiet)

    def failed(told: Told) -> None:  # bad arguments or no project: a document all the same
        if json_report:
            print_json({"schema": JSON_SCHEMA, "week": week, "date": date, **told.document()})

    with errors_to_exit_codes(failed):
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
            engines=EngineSettings(NetworkSettings(requests_per_minute=requests_per_minute)),
        )
        try:
            result = run_batch(
                project,
                label,
                force=force,
                settings=settings,
                reporter=reporter,
            )
        finally:
            reporter.close()
        if State.debug:  # an episode's internal error, with its traceback
            for episode in result.episodes:
                failure = episode.failure
                if failure is not None and not isinstance(failure, PipelineError):
                    traceback.print_exception(failure)
        if result.error:
            err.print(f"error: {result.error}", markup=False)
        summary_console = err if json_report else out
        if result.episodes:
            batch_summary(summary_console, label, result.episodes)
        if json_report:
            print_json(batch_document(result, project))
        if result.exit_code:
            failures = result.count("failed")
            if failures:
                err.print(f"{failures} episode(s) failed", markup=False)
            raise typer.Exit(result.exit_code)
