"""Voice profiles (voices/*.yaml) with their pronunciation lexicons."""

from __future__ import annotations

from pathlib import Path

from audio_pipeline.core import defaults
from audio_pipeline.core.errors import Problem
from audio_pipeline.core.models import (
    VoiceProfile,
)
from audio_pipeline.core.project import Project
from audio_pipeline.engines.registry import ENGINES
from audio_pipeline.inputs.fields import FieldReader
from audio_pipeline.inputs.lexicons import (
    GLOBAL_FILE,
    VOICE_SUFFIX,
    is_lexicon_file,
    load_lexicon,
    voice_lexicon_path,
)
from audio_pipeline.inputs.yamlio import load_yaml_mapping
from audio_pipeline.text.lexicon import EMPTY, Lexicon

VOICE_FIELDS = (
    "name",
    "engine",
    "options",
    "tempo",
    "trim_threshold_db",
    "sentence_pause_s",
    "paragraph_pause_s",
    "fallback_voice",
    "description",
)


def load_global_lexicon(project: Project) -> tuple[Lexicon | None, list[Problem]]:
    """voices/lexicon.yaml (none is an empty lexicon); None when the file is invalid."""
    lexicon, problems = load_lexicon(project.voices_dir / GLOBAL_FILE, root=project.root)
    return (None if problems else lexicon), problems


def load_voice(
    path: Path, project: Project, global_lexicon: Lexicon | None = EMPTY
) -> tuple[VoiceProfile | None, list[Problem]]:
    """A voice profile with its lexicon: `global_lexicon` merged with <name>.lexicon.yaml.
    A voice whose lexicon is invalid (or whose global lexicon is, None) is not usable."""
    data, problems = load_yaml_mapping(path, root=project.root)
    if data is None:
        return None, problems
    r = FieldReader(data, project.show(path), problems)
    r.reject_unknown(VOICE_FIELDS)
    name = r.ident("name", required=False) or path.stem
    if name != path.stem:
        r.problem("name", f"'{name}' does not match the file name; name the file {name}.yaml")
    engine = r.choice("engine", sorted(ENGINES))
    options = r.mapping("options")
    if engine is not None:
        for key, error in ENGINES[engine].check_options(options):
            r.problem(f"options.{key}", error)
    tempo = r.number("tempo", *defaults.TEMPO_RANGE, default=1.0)
    trim = r.number("trim_threshold_db", *defaults.TRIM_THRESHOLD_RANGE, defaults.TRIM_THRESHOLD_DB)
    sentence_pause = r.number("sentence_pause_s", *defaults.PAUSE_RANGE, defaults.SENTENCE_PAUSE_S)
    paragraph_pause = r.number(
        "paragraph_pause_s", *defaults.PAUSE_RANGE, defaults.PARAGRAPH_PAUSE_S
    )
    fallback = r.ident("fallback_voice", required=False)
    description = r.text("description", required=False)
    own_lexicon, lexicon_problems = load_lexicon(
        voice_lexicon_path(project.voices_dir, path.stem), root=project.root
    )
    problems += lexicon_problems
    if problems or engine is None or global_lexicon is None:
        return None, problems
    assert tempo is not None and trim is not None
    assert sentence_pause is not None and paragraph_pause is not None
    return (
        VoiceProfile(
            name=name,
            engine=engine,
            options=dict(options),
            source=path,
            tempo=tempo,
            trim_threshold_db=trim,
            sentence_pause_s=sentence_pause,
            paragraph_pause_s=paragraph_pause,
            fallback_voice=fallback,
            description=description,
            lexicon=global_lexicon.merged(own_lexicon),
        ),
        problems,
    )


def load_voices(project: Project) -> tuple[dict[str, VoiceProfile], list[Problem]]:
    """Every voice profile in voices/ (lexicon files beside them are not voices)."""
    global_lexicon, problems = load_global_lexicon(project)
    voices: dict[str, VoiceProfile] = {}
    for path in sorted(project.voices_dir.glob("*.yaml")):
        if is_lexicon_file(path):
            continue
        voice, found = load_voice(path, project, global_lexicon)
        problems += found
        if voice is not None:
            voices[voice.name] = voice
    for path in sorted(project.voices_dir.glob(f"*{VOICE_SUFFIX}")):
        name = path.name.removesuffix(VOICE_SUFFIX)
        if not (project.voices_dir / f"{name}.yaml").is_file():
            problems.append(
                Problem(
                    project.show(path),
                    "",
                    f"no voice profile voices/{name}.yaml for this lexicon; name it "
                    f"<voice>{VOICE_SUFFIX} after a voice, or lexicon.yaml for every voice",
                )
            )
    return voices, problems
