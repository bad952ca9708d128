"""Voices and the clip cache."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from audio_pipeline.cli.app import app, cache_app
from audio_pipeline.cli.errors import errors_to_exit_codes
from audio_pipeline.cli.options import project_for
from audio_pipeline.cli.output import err, out
from audio_pipeline.core.errors import ExitCode
from audio_pipeline.inputs.voices import load_voices
from audio_pipeline.speech.cache import ClipCache
from audio_pipeline.speech.engines.registry import ENGINES, EngineSet


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
def cache_clear(
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask (scripts; a terminal is asked).")
    ] = False,
) -> None:
    """Remove every cached clip (they are synthesized again when needed)."""
    with errors_to_exit_codes():
        project = project_for()
        cache = ClipCache(project.cache_dir)
        entries = cache.stats().entries
        if not yes and entries and sys.stdin.isatty():
            question = f"Remove {entries} cached clip(s) from {project.cache_dir}?"
            if not typer.confirm(question, default=False, err=True):
                err.print("nothing removed")
                raise typer.Exit(ExitCode.OK)
        removed = cache.clear()
        out.print(f"removed {removed} cached clip(s) from {project.cache_dir}")
