"""The project folder: where inputs, voices, outputs and the cache live.

A project is a folder with `voices/` and `input/`; `output/` and `cache/` are made as needed.
Audio paths named in inputs (bumpers, stings) must resolve inside the allowed folders, so an
episode file cannot make the pipeline read (and broadcast) an arbitrary file of the machine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from audio_pipeline.core import defaults

ENV_PROJECT = "AUDIO_PIPELINE_PROJECT"
ENV_CACHE = "AUDIO_PIPELINE_CACHE"
ENV_ALLOWED_AUDIO = "AUDIO_PIPELINE_ALLOWED_AUDIO_DIRS"
ENV_LEDGER = "AUDIO_PIPELINE_LEDGER"
ENV_VOICE = "AUDIO_PIPELINE_VOICE"  # the project's default voice for previews and reviews


def real_path(path: Path) -> Path | None:
    """`path` with every symlink followed, or None where that cannot be done: a symlink
    loop (RuntimeError before Python 3.13), a name too long, a component not a folder."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return None


def _shown(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


@dataclass(frozen=True)
class Project:
    root: Path
    cache_dir: Path
    allowed_audio_dirs: tuple[Path, ...]

    @classmethod
    def at(cls, root: Path, cache_dir: Path | None = None) -> Project:
        root = root.resolve()
        env_cache = os.environ.get(ENV_CACHE)
        cache = cache_dir or (Path(env_cache) if env_cache else root / defaults.CACHE_DIR)
        allowed = [root / d for d in defaults.ALLOWED_AUDIO_DIRS]
        extra = os.environ.get(ENV_ALLOWED_AUDIO, "")
        allowed += [Path(p) for p in extra.split(os.pathsep) if p.strip()]
        return cls(root, cache.resolve(), tuple(p.resolve() for p in allowed))

    @classmethod
    def discover(cls, hint: Path | None = None, explicit: Path | None = None) -> Project:
        """--project wins, then $AUDIO_PIPELINE_PROJECT, then the nearest folder above the
        hint (an episode file) or the working directory that has voices/ and input/."""
        if explicit is not None:
            return cls.at(explicit)
        env = os.environ.get(ENV_PROJECT)
        if env:
            return cls.at(Path(env))
        starts = [(real_path(hint) or hint.absolute()).parent] if hint is not None else []
        starts.append(Path.cwd())
        for start in starts:
            for folder in (start, *start.parents):
                if (folder / defaults.VOICES_DIR).is_dir() and (
                    folder / defaults.INPUT_DIR
                ).is_dir():
                    return cls.at(folder)
        return cls.at(Path.cwd())

    @property
    def voices_dir(self) -> Path:
        return self.root / defaults.VOICES_DIR

    @property
    def messages_dir(self) -> Path:
        return self.root / defaults.MESSAGES_DIR

    @property
    def episodes_dir(self) -> Path:
        return self.root / defaults.EPISODES_DIR

    @property
    def output_dir(self) -> Path:
        return self.root / defaults.OUTPUT_DIR

    @property
    def ledger_path(self) -> Path:
        """The broadcast ledger: $AUDIO_PIPELINE_LEDGER, else ledger.sqlite in the project."""
        env = os.environ.get(ENV_LEDGER)
        return Path(env).resolve() if env else self.root / defaults.LEDGER_FILE

    def show(self, path: Path) -> str:
        """A path for messages: relative to the project root when inside it."""
        # the name in the project first (a link is named as the link), then where it leads
        for candidate in (path.absolute(), real_path(path)):
            if candidate is not None and candidate.is_relative_to(self.root):
                return str(candidate.relative_to(self.root))
        return str(path)

    def _near(self, missing: Path) -> str:
        """What the folder of a missing audio file does hold, to pick from."""
        folder = missing.parent
        try:
            names = sorted(p.name for p in folder.iterdir() if p.is_file())
        except OSError:
            return ""
        if not names:
            return ""
        shown = ", ".join(names[:12]) + (", …" if len(names) > 12 else "")
        return f"; {self.show(folder)}/ holds: {shown}"

    @property
    def default_voice(self) -> str:
        """The voice a preview speaks with when none is named: $AUDIO_PIPELINE_VOICE, else the
        embedded offline voice."""
        return os.environ.get(ENV_VOICE) or defaults.DEFAULT_VOICE

    def found(self) -> bool:
        """Whether this is a project folder (it has voices/ and input/)."""
        return self.voices_dir.is_dir() and (self.root / defaults.INPUT_DIR).is_dir()

    def resolve_audio(self, value: str) -> tuple[Path | None, str | None]:
        """Resolve a bumper/sting path named in an input file. Returns (path, problem)."""
        if "\x00" in value:
            return None, "path contains a NUL byte"
        shown = _shown(value)
        raw = Path(value)
        candidate = raw if raw.is_absolute() else self.root / raw
        real = real_path(candidate)  # follows symlinks: a link leading out is caught below
        if real is None:
            return None, f"'{shown}' cannot be followed (a symlink loop, or a name too long)"
        if not any(real.is_relative_to(d) for d in self.allowed_audio_dirs):
            allowed = ", ".join(self.show(d) + "/" for d in self.allowed_audio_dirs)
            return None, f"'{shown}' is outside the allowed folders ({allowed})"
        try:
            if not real.exists():
                return None, f"'{shown}' does not exist{self._near(real)}"
            if not real.is_file():
                return None, f"'{shown}' is not a file"
        except OSError as exc:  # a name too long for the file system, and the like
            return None, f"'{shown}' cannot be read ({exc.strerror or exc})"
        return real, None
