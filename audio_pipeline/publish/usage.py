"""Usage of the paid speech services: characters sent per engine per calendar month, kept in
the ledger, against each service's free monthly allowance.

The engines count what they send as the service bills it (azure_engine.py and
google_cloud_engine.py say how) in memory; `flush_usage` adds a run's counts to the ledger
once, at the end of the run; `month_usage` reads the month back with its limits, and
`usage_warnings` says when a free tier's limit approaches or is passed. Months are UTC, as
the services' billing periods are.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping

from audio_pipeline.core import defaults
from audio_pipeline.core.results import EngineUsage
from audio_pipeline.engines.registry import EngineSet
from audio_pipeline.publish.ledger import Ledger, add_usage, usage_of_month

LIMIT_VARIABLE = "AUDIO_PIPELINE_FREE_CHARS_{}"


def this_month(now: dt.datetime | None = None) -> str:
    return (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("%Y-%m")


def limit_variable(engine: str) -> str:
    return LIMIT_VARIABLE.format(engine.upper().replace("-", "_"))


def usage_limits(environ: Mapping[str, str] | None = None) -> dict[str, int]:
    """Free characters a month per engine: the published free tiers (core/defaults.py),
    each overridable by AUDIO_PIPELINE_FREE_CHARS_<ENGINE> (whole characters; 0 = none)."""
    env = os.environ if environ is None else environ
    limits = dict(defaults.FREE_TIER_CHARS)
    for engine in limits:
        raw = env.get(limit_variable(engine), "").replace("_", "").strip()
        if raw.isdigit():
            limits[engine] = int(raw)
    return limits


def flush_usage(engines: EngineSet, ledger: Ledger, month: str | None = None) -> dict[str, int]:
    """Add what this run's engines sent to the month's totals; returns {engine: characters}
    added. Call once a run, after synthesis (what was sent is billed whether or not the
    render was published)."""
    month = month or this_month()
    added: dict[str, int] = {}
    for engine in engines.built():
        characters, requests = engine.take_usage()
        if requests:
            add_usage(ledger, engine.name, month, characters, requests)
            added[engine.name] = characters
    return added


def month_usage(
    ledger: Ledger, month: str | None = None, limits: Mapping[str, int] | None = None
) -> list[EngineUsage]:
    """The month's totals: every engine with a free tier, and any other that was used."""
    month = month or this_month()
    limits = usage_limits() if limits is None else limits
    used = usage_of_month(ledger, month)
    names = sorted(set(limits) | set(used))
    return [
        EngineUsage(name, month, *used.get(name, (0, 0)), limits.get(name) or None)
        for name in names
    ]


def usage_warnings(usage: list[EngineUsage]) -> list[str]:
    return [w for w in (u.warning() for u in usage) if w]
