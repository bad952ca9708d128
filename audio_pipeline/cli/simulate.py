"""`simulate`: a rendered episode or an audio file as an AM receiver plays it, scored."""

from __future__ import annotations

import math
from typing import Annotated

import typer
from rich.table import Table

from audio_pipeline.app.simulate import simulate as run_simulation
from audio_pipeline.app.simulate import table_rows
from audio_pipeline.audio.intelligibility import DEFAULT_SNRS
from audio_pipeline.cli.app import app
from audio_pipeline.cli.errors import errors_to_exit_codes
from audio_pipeline.cli.options import project_for
from audio_pipeline.cli.output import err, out


def _score(plain: float, processed: float) -> str:
    if not (math.isfinite(plain) and math.isfinite(processed)):
        return "-"
    return f"{plain:.2f}→{processed:.2f}"


@app.command()
def simulate(
    episode_or_file: Annotated[
        str,
        typer.Argument(
            help="A rendered episode (its id, or its YAML file), or an audio file.",
            metavar="EPISODE_OR_FILE",
        ),
    ],
    profile: Annotated[
        str, typer.Option("--profile", "-P", help="The delivery profile to hear.")
    ] = "shortwave",
    snr: Annotated[
        list[float] | None,
        typer.Option(
            "--snr",
            help="Channel SNR in dB (repeat for several); default 0, 5, 10, 15.",
        ),
    ] = None,
    fading: Annotated[
        bool,
        typer.Option("--fading/--no-fading", help="Also score with the band's fading (shortwave)."),
    ] = True,
    channel: Annotated[
        str | None,
        typer.Option(
            "--channel", help="shortwave or mediumwave; default: the profile's own, else shortwave."
        ),
    ] = None,
    codec: Annotated[
        str | None,
        typer.Option("--format", help="Which of the profile's files (mp3, mp2, wav)."),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Seed of the noise and the fading.")
    ] = 0,
    no_audio: Annotated[
        bool, typer.Option("--no-audio", help="Print the scores only; write no audio.")
    ] = False,
) -> None:
    """Hear a profile as a noisy AM receiver does: ESTOI per message and condition.

    The profile's deliverable and the plain ebu-r128 master both go over a simulated AM
    channel (noise at each SNR, with and without fading) and are scored against the plain
    master's clean speech (ESTOI, 0 to 1, higher is better); the received audio is written
    to output/simulate/<name>/."""
    with errors_to_exit_codes():
        project = project_for()
        result = run_simulation(
            project,
            episode_or_file,
            profile=profile,
            channel=channel,
            snrs=snr or DEFAULT_SNRS,
            fading=fading,
            codec=codec,
            seed=seed,
            write_audio=not no_audio,
        )
        comparison = result.comparison
        if result.note:
            err.print(f"note: {result.note}", markup=False)
        out.print(
            f"{result.processed} ({result.profile}) against {result.plain} (plain), "
            f"heard over {comparison.channel.description}: ESTOI, plain → {result.profile}"
        )
        table = Table(show_edge=False, pad_edge=False)
        table.add_column("message")
        for condition in comparison.conditions:
            table.add_column(condition.label, justify="right")
        for label, cells in table_rows(comparison):
            table.add_row(label, *(_score(p, q) for p, q in cells))
        out.print(table)
        if result.heard_dir is not None:
            out.print(f"as heard: {project.show(result.heard_dir)}/", markup=False)
