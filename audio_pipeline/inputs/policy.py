"""The metadata policy file: which fields may reach the files' metadata. A project's
input/metadata_policy.yaml, or the shipped audio_pipeline/data/metadata_policy.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from audio_pipeline.core import defaults
from audio_pipeline.core.errors import Problem
from audio_pipeline.core.project import Project
from audio_pipeline.inputs.fields import FieldReader
from audio_pipeline.inputs.yamlio import load_yaml_mapping

SHIPPED_POLICY = Path(__file__).resolve().parent.parent / "data" / "metadata_policy.yaml"


SHIPPED_LABEL = "audio_pipeline/data/metadata_policy.yaml"


POLICY_VERSION = 1


EMBEDDED = "embedded"  # inside the audio files: bext, cue, LIST/adtl, ID3


SIDECARS = "sidecars"  # partner-facing files: cues.json, cue sheets, labels, chapters, log


SCOPES = (EMBEDDED, SIDECARS)


# What a policy may list. Everything not named here has no writer at all.
FIELDS: dict[str, str] = {
    "episode_title": "the episode's title",
    "episode_date": "the episode's date",
    "station": "the station name",
    "message_id": "each message's id",
    "message_title": "each message's title",
    "attribution": "a message's attribution line, only where attribution_approved is true",
    "cue_times": "where each cue starts and ends",
    "loudness": "measured loudness and true peak, and the loudness targets",
    "synthesis": "engine and voice of each clip, and whether a fallback voice spoke it",
    "text_sha256": "the SHA-256 of each message's approved text",
    "tool_version": "the audio_pipeline version",
}


# Named so that a policy asking for them gets a clear refusal instead of "unknown field".
NEVER: dict[str, str] = {
    "approved_by": "the approver",
    "approved_at": "the approval date",
    "notes": "the editor's notes",
    "cleared": "the identifying words an editor cleared",
    "rejected_by": "who rejected a message",
    "rejection_reason": "why a message was rejected",
    "submitter": "submitter names",
    "contact": "contact details",
    "email": "contact details",
    "phone": "contact details",
    "source": "file paths of the production machine",
    "path": "file paths of the production machine",
    "hostname": "the production machine's name",
}


@dataclass(frozen=True)
class MetadataPolicy:
    embedded: frozenset[str]
    sidecars: frozenset[str]
    source: str  # where it came from, as shown to the user

    def fields(self, scope: str) -> frozenset[str]:
        if scope == EMBEDDED:
            return self.embedded
        if scope == SIDECARS:
            return self.sidecars
        raise ValueError(f"unknown metadata scope '{scope}'")


def _field_list(r: FieldReader, scope: str) -> frozenset[str]:
    value = r.data.get(scope)
    allowed = ", ".join(FIELDS)
    if value is None:
        r.problem(scope, f"missing; list the fields that may be written ({allowed})")
        return frozenset()
    if not isinstance(value, list):
        r.problem(scope, f"expected a list of field names ({allowed})")
        return frozenset()
    found: set[str] = set()
    for i, item in enumerate(value):
        where = f"{scope}[{i}]"
        name = str(item)
        if isinstance(item, str) and item in NEVER:
            r.problem(
                where,
                f"'{item}' ({NEVER[item]}) may never leave the production machine; "
                f"allowed: {allowed}",
            )
        elif not isinstance(item, str) or item not in FIELDS:
            r.problem(where, f"'{name[:40]}' is not a metadata field; allowed: {allowed}")
        elif item in found:
            r.problem(where, f"'{item}' is listed twice")
        else:
            found.add(item)
    return frozenset(found)


def read_policy(
    path: Path, shown: str, root: Path | None = None
) -> tuple[MetadataPolicy | None, list[Problem]]:
    data, problems = load_yaml_mapping(path, root=root)
    if data is None:
        return None, [Problem(shown, p.field, p.message) for p in problems]
    r = FieldReader(data, shown, problems)
    r.reject_unknown(("version", *SCOPES))
    r.integer("version", POLICY_VERSION, POLICY_VERSION, required=True)
    embedded = _field_list(r, EMBEDDED)
    sidecars = _field_list(r, SIDECARS)
    if problems:
        return None, problems
    return MetadataPolicy(embedded, sidecars, shown), problems


def load_policy(project: Project) -> tuple[MetadataPolicy | None, list[Problem]]:
    """The project's policy (input/metadata_policy.yaml) if it has one, else the shipped one."""
    override = project.root / defaults.METADATA_POLICY_FILE
    if override.exists() or override.is_symlink():
        return read_policy(override, project.show(override), project.root)
    return read_policy(SHIPPED_POLICY, SHIPPED_LABEL)


def default_policy() -> MetadataPolicy:
    policy, problems = read_policy(SHIPPED_POLICY, SHIPPED_LABEL)
    if policy is None:  # a packaging mistake, caught by the tests
        raise RuntimeError("; ".join(str(p) for p in problems))
    return policy
