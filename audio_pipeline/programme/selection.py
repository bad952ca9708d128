"""Choosing an episode's messages from the approved queue (an episode's `select:`).

The queue is every approved, valid message. Unless the rule allows repeats, a message
already placed in another episode's current render (scheduled to air) or aired in any
episode is left out, so no message airs twice unless someone asks for it. The rest are
ordered by approval time (ties by id, so the order never depends on the file system), and
taken in order until `max_messages` are chosen; with `max_duration_s`, a message whose clip
would push the programme past the slot is passed over (it stays in the queue for the next
episode) and the next one is tried. The clip durations are exact: candidates are
synthesized (through the cache) before they are fitted.

What was chosen and what was passed over is returned for the manifest and cues.json, so
a re-render that chose differently can be explained.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from audio_pipeline.core.errors import InputError, Problem
from audio_pipeline.core.models import Message, SelectOrder, SelectRule
from audio_pipeline.core.results import Clip

CANDIDATES_PER_PLACE = 3


def approval_key(message: Message) -> tuple[dt.datetime, str]:
    """Sortable approval time: dates count as midnight, aware times are compared in UTC."""
    when = message.approved_at
    if when is None:
        stamp = dt.datetime.min
    elif isinstance(when, dt.datetime):
        stamp = when.astimezone(dt.UTC).replace(tzinfo=None) if when.tzinfo else when
    else:
        stamp = dt.datetime.combine(when, dt.time())
    return stamp, message.id


@dataclass(frozen=True)
class Queue:
    candidates: tuple[Message, ...]  # in the order they will be tried
    already_used: int  # approved messages left out because they were placed or aired
    repeats: tuple[str, ...] = ()  # candidates that were placed or aired before


class Used(Protocol):
    """Why a message is not new: the ledger's Use (placed elsewhere, or aired and when)."""

    @property
    def aired_at(self) -> str | None: ...


def queue_for(messages: Mapping[str, Message], rule: SelectRule, used: Mapping[str, Used]) -> Queue:
    # a filler reading fills slots; it is never chosen as one of the messages
    approved = [m for m in messages.values() if m.is_approved and not m.filler]
    newest_first = rule.order is SelectOrder.NEWEST_APPROVAL
    approved.sort(key=approval_key, reverse=newest_first)
    fresh = [m for m in approved if m.id not in used]
    repeats = [m for m in approved if m.id in used]
    if rule.allow_repeats:
        # never aired first (new, then placed elsewhere but not yet aired), then the least
        # recently aired; each group keeps the rule's approval order (sorting is stable)
        def aired(m: Message) -> str | None:
            return used[m.id].aired_at

        placed = [m for m in repeats if aired(m) is None]
        again = sorted((m for m in repeats if aired(m) is not None), key=lambda m: str(aired(m)))
        return Queue(tuple(fresh + placed + again), 0, tuple(m.id for m in placed + again))
    return Queue(tuple(fresh), len(repeats))


@dataclass
class Selection:
    rule: SelectRule
    chosen: list[Clip] = field(default_factory=list)
    did_not_fit: list[str] = field(default_factory=list)
    considered: int = 0
    already_used: int = 0
    repeats: list[str] = field(default_factory=list)
    programme_s: float = 0.0

    def record(self) -> dict[str, Any]:
        """What goes into the manifest and cues.json."""
        return {
            "rule": self.rule.as_dict(),
            "selected": [c.message_id for c in self.chosen],
            "did_not_fit": list(self.did_not_fit),
            "considered": self.considered,
            "left_out_already_used": self.already_used,
            "repeats": [c.message_id for c in self.chosen if c.message_id in self.repeats],
            "programme_s": round(self.programme_s, 3),
        }


def choose(
    queue: Queue,
    rule: SelectRule,
    synthesize: Callable[[Sequence[Message], int], list[Clip]],
    programme_samples: Callable[[Sequence[int]], int],
    sample_rate: int,
) -> Selection:
    """Take candidates in order until the rule is satisfied. `synthesize` makes clips for a
    batch of candidates (in parallel, cached), told the programme position the first of them
    would take (a rotation of voices turns by it); `programme_samples` gives the programme length
    for the message lengths chosen so far (the assembler's own arithmetic)."""
    selection = Selection(rule, already_used=queue.already_used, repeats=list(queue.repeats))
    lengths: list[int] = []
    # a bound on the clips synthesized only to find out they do not fit (gTTS requests,
    # time): the rest stay in the queue for the next episode
    pending = list(queue.candidates[: rule.max_messages * CANDIDATES_PER_PLACE])
    slot = None if rule.max_duration_s is None else rule.max_duration_s * sample_rate
    while pending and len(selection.chosen) < rule.max_messages:
        if slot is not None and programme_samples([*lengths, 0]) > slot:
            break  # not even an empty message fits any more
        need = rule.max_messages - len(selection.chosen)
        batch, pending = pending[:need], pending[need:]
        for clip in synthesize(batch, len(selection.chosen)):
            selection.considered += 1
            if len(selection.chosen) >= rule.max_messages:
                break
            length = round(clip.duration_s * sample_rate)
            total = programme_samples([*lengths, length])
            if rule.max_duration_s is not None and total > rule.max_duration_s * sample_rate:
                selection.did_not_fit.append(clip.message_id)
                continue
            lengths.append(length)
            selection.chosen.append(clip)
    selection.programme_s = programme_samples(lengths) / sample_rate
    return selection


def nothing_chosen(file: str, queue: Queue, selection: Selection, empty_s: float) -> InputError:
    """The one-line reason an episode's selection came out empty."""
    rule = selection.rule
    if selection.did_not_fit:
        why = (
            f"no queued message fits the slot of {rule.max_duration_s:g} s "
            f"(intro and outro alone take {empty_s:.1f} s; "
            f"passed over: {', '.join(selection.did_not_fit[:5])})"
        )
    elif queue.already_used:
        why = (
            f"no approved message is waiting in the queue ({queue.already_used} approved "
            "message(s) were already placed or aired); approve more messages, or set "
            "select.allow_repeats: true to air some again"
        )
    else:
        why = "no approved message in input/messages/; approve messages before rendering"
    return InputError([Problem(file, "select", why)])
