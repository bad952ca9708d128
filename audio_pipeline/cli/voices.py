"""Voices and the clip cache."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from audio_pipeline.cli.app import app, cache_app
from audio_pipeline.cli.errors import Told, errors_to_exit_codes
from audio_pipeline.cli.options import project_for
from audio_pipeline.cli.output import err, out, print_json
from audio_pipeline.cli.report import JSON_SCHEMA, usage_document
from audio_pipeline.core.errors import ExitCode, InputError, Problem
from audio_pipeline.core.project import Project
from audio_pipeline.core.results import EngineUsage
from audio_pipeline.engines.base import Engine
from audio_pipeline.engines.registry import ENGINES, EngineSet
from audio_pipeline.inputs.voices import load_voices
from audio_pipeline.publish.ledger import Ledger
from audio_pipeline.publish.usage import month_usage, usage_warnings
from audio_pipeline.speech.cache import ClipCache


def _speaker(engine: Engine, options: Mapping[str, Any]) -> str:
    """Who speaks: the service's voice name, or espeak's voice+variant, or gTTS's language."""
    resolved = engine.resolved_options(options)
    if "voice" in resolved:
        variant = resolved.get("variant")
        return str(resolved["voice"]) + (f"+{variant}" if variant else "")
    return f"lang {resolved.get('lang', '?')}"


def _credentials(engine: Engine) -> str:
    if not engine.credentials:
        return "not needed"
    return "missing" if engine.missing_credentials() else "present"


def _usage(project: Project) -> dict[str, EngineUsage]:
    """This month's usage per engine from the ledger (a missing ledger reads as none)."""
    path = project.ledger_path
    with Ledger(path if path.exists() else Path(":memory:")) as ledger:
        return {u.engine: u for u in month_usage(ledger)}


@app.command()
def voices(
    remote: Annotated[
        str | None,
        typer.Option(
            "--remote",
            metavar="ENGINE",
            help="List the Korean voices a service offers (azure, google-cloud) instead.",
        ),
    ] = None,
    json_report: Annotated[
        bool, typer.Option("--json", help="Print a machine-readable list on stdout.")
    ] = False,
) -> None:
    """List voice profiles: engine, speaker, credentials, whether the service answers now,
    and this month's usage of each paid service against its free tier."""

    def failed(told: Told) -> None:
        if json_report:
            print_json({"schema": JSON_SCHEMA, **told.document()})

    with errors_to_exit_codes(failed):
        if remote is not None:
            _remote_voices(remote)
            return
        project = project_for()
        profiles, problems = load_voices(project)
        for problem in problems:
            err.print(f"warning: {problem}")
        engines = EngineSet()
        status: dict[str, str | None] = {}
        for name in sorted({p.engine for p in profiles.values()} | set(ENGINES)):
            engine = engines.get(name)
            # without credentials there is nothing to ask the service
            status[name] = "not asked" if engine.missing_credentials() else engine.probe()
        usage = _usage(project)
        if json_report:
            needs = {name: engines.get(name).missing_credentials() for name in status}
            print_json(
                {
                    "schema": JSON_SCHEMA,
                    "ok": True,
                    "voices": [
                        {
                            "name": name,
                            "engine": profile.engine,
                            "speaker": _speaker(engines.get(profile.engine), profile.options),
                            "credentials_missing": needs[profile.engine],
                            "answering": status[profile.engine] is None,
                            "not_answering_because": None
                            if status[profile.engine] in (None, "not asked")
                            else status[profile.engine],
                            "fallback_voice": profile.fallback_voice,
                        }
                        for name, profile in sorted(profiles.items())
                    ],
                    "usage": usage_document(usage.values()),
                    "warnings": usage_warnings(list(usage.values())),
                }
            )
            return
        table = Table()
        for column in ("voice", "engine", "speaker", "credentials", "answering", "fallback"):
            # names are read and copied whole: never folded over lines
            table.add_column(column, no_wrap=column in ("voice", "engine", "speaker"))
        for name, profile in sorted(profiles.items()):
            engine = engines.get(profile.engine)
            reason = status[profile.engine]
            table.add_row(
                name,
                profile.engine,
                _speaker(engine, profile.options),
                _credentials(engine),
                "yes" if reason is None else ("-" if reason == "not asked" else "no"),
                profile.fallback_voice or "",
            )
        out.print(table)
        # what the table cannot say in a cell: which variables, why not answering
        for name in sorted(status):
            engine = engines.get(name)
            missing = engine.missing_credentials()
            if missing:
                out.print(f"{name}: credentials missing: set {', '.join(missing)}")
            elif engine.credentials:
                out.print(f"{name}: credentials present ({', '.join(engine.credentials)})")
            if status[name] not in (None, "not asked"):
                out.print(f"{name}: not answering: {status[name]}")
        for engine_usage in usage.values():
            out.print(
                f"{engine_usage.engine}: {engine_usage.month} usage {engine_usage.describe()}"
            )
        for warning in usage_warnings(list(usage.values())):
            err.print(f"warning: {warning}")


def _remote_voices(name: str) -> None:
    listing = [n for n, cls in sorted(ENGINES.items()) if cls.credentials]
    if name not in listing:
        raise InputError(
            [Problem("--remote", "", f"'{name}' has no voice list; allowed: {', '.join(listing)}")]
        )
    engine = EngineSet().get(name)
    found = engine.remote_voices("ko-KR")
    table = Table()
    for column in ("voice", "gender", "type"):
        table.add_column(column)
    for voice in found:
        table.add_row(voice.name, voice.gender, voice.kind)
    out.print(table)
    out.print(f"{len(found)} Korean voice(s) from {name}")


@cache_app.command("stats")
def cache_stats() -> None:
    """Entries and size of the clip cache (synthesized clips and their normalized pieces)."""
    with errors_to_exit_codes():
        project = project_for()
        stats = ClipCache(project.cache_dir).stats()
        out.print(f"cache: {stats.root}")
        clips = stats.entries - stats.normalized
        out.print(f"entries: {stats.entries} ({clips} clips, {stats.normalized} normalized)")
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
