"""The ledger: where and when each message aired, the answer the ministry gives a
supporter. Read through the same Ledger the `ledger` commands use."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from audio_pipeline.app.ledger import open_ledger
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.fields import ID_PATTERN
from audio_pipeline.publish.ledger_records import EpisodeRow, MessagePlacement, Placement
from audio_pipeline.studio.pages import call, page, project_of


@dataclass(frozen=True)
class EpisodeEntry:
    row: EpisodeRow
    placements: tuple[Placement, ...]  # of its latest render


def _gather(
    project: Project, message_id: str | None
) -> tuple[list[EpisodeEntry], list[MessagePlacement] | None]:
    with open_ledger(project) as ledger:
        entries = []
        for row in reversed(ledger.episodes()):  # newest first
            render = ledger.current_render(row.id)
            placed = tuple(ledger.placements(render)) if render is not None else ()
            entries.append(EpisodeEntry(row, placed))
        found = ledger.message(message_id) if message_id is not None else None
    return entries, found


async def show_ledger(request: Request) -> Response:
    project = project_of(request)
    asked = request.query_params.get("message", "").strip()
    message_id = asked if ID_PATTERN.match(asked) else None
    entries, found = await call(_gather, project, message_id)
    return page(
        request,
        "studio/page_ledger.j2",
        title="Ledger",
        entries=entries,
        asked=asked,
        bad_id=bool(asked) and message_id is None,
        found=found,
    )


ROUTES = [Route("/ledger", show_ledger, methods=["GET"])]
