"""Stage: approved messages -> speech clips, through the cache, with loud fallbacks.

Per clip: build the script for the voice's engine, look the clip up by content hash,
otherwise synthesize sentence by sentence (each decoded, trimmed and checked: not silent,
duration plausible for its text), join with the script's pauses, apply the voice's tempo,
check the whole clip again, and only then cache it. When the voice's engine fails for the
run and a fallback voice is allowed, the clip is made with the fallback voice and marked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from audio_pipeline.audio import dsp, ffmpeg, wavfile
from audio_pipeline.core import defaults
from audio_pipeline.core.errors import EngineUnavailable, RenderError, SynthesisError
from audio_pipeline.core.models import Message, VoiceProfile
from audio_pipeline.core.results import Clip
from audio_pipeline.engines.base import AudioCheck, Engine
from audio_pipeline.engines.registry import EngineSet
from audio_pipeline.inputs.episodes import EpisodeInputs
from audio_pipeline.speech.cache import ClipCache, cache_key
from audio_pipeline.text.script import Script, Sentence, build_script

SR = defaults.SAMPLE_RATE
FASTEST_S_PER_CHAR = 0.04  # 25 letters a second: faster than any speech, even at tempo 2
SLOWEST_S_PER_CHAR = 1.2


def script_for(message: Message, voice: VoiceProfile, engine: Engine) -> Script:
    return build_script(
        message.id,
        message.text,
        max_chars=engine.max_chars,
        sentence_pause_s=voice.sentence_pause_s,
        paragraph_pause_s=voice.paragraph_pause_s,
        lexicon=voice.lexicon,
    )


def clip_key(engine: Engine, voice: VoiceProfile, script: Script) -> str:
    """Everything that shapes the cached clip, and nothing else (not the voice's name).

    The lexicon entries the script used are part of it; entries it did not use are
    not, and a script that used none hashes as it did before lexicons existed."""
    fields: dict[str, object] = {
        "engine": engine.name,
        "engine_version": engine.version(),
        "options": engine.resolved_options(voice.options),
        "tempo": voice.tempo,
        "trim_threshold_db": voice.trim_threshold_db,
        "sample_rate": SR,
        "sentences": [[s.text, s.pause_after_s] for s in script.sentences],
    }
    if script.lexicon_used:
        fields["lexicon"] = [list(entry) for entry in script.lexicon_used]
    return cache_key(fields)


def speakable_chars(text: str) -> int:
    return sum(1 for c in text if c.isalnum())


def check_speech(
    samples: np.ndarray, text: str, tempo: float, what: str, pauses_s: float = 0.0
) -> None:
    """A garbled or lost clip must never pass silently: silent or implausibly short/long
    audio for the text is a SynthesisError."""
    seconds = len(samples) / SR
    if seconds < defaults.MIN_SPEECH_S or float(np.max(np.abs(samples), initial=0.0)) < 1e-3:
        raise SynthesisError(f"{what}: the engine returned silence")
    chars = max(1, speakable_chars(text))
    low = chars * FASTEST_S_PER_CHAR / max(tempo, 1.0)
    high = (chars * SLOWEST_S_PER_CHAR + pauses_s) / min(tempo, 1.0) + 3.0
    if not low <= seconds <= high:
        raise SynthesisError(
            f"{what}: {seconds:.2f} s of audio for {chars} letters is not plausible "
            f"(expected {low:.1f}-{high:.1f} s); the answer looks truncated or garbled"
        )


def passage_check(voice: VoiceProfile, text: str, pauses_s: float, what: str) -> AudioCheck:
    """The check one request's audio must pass, as the engine's answer: trimmed as it will
    be, not silent, and a duration plausible for its text. A network engine asks again
    when its answer fails it (a garbled or cut-off answer is a transient fault)."""

    def check(samples: np.ndarray, rate: int) -> None:
        audio = dsp.trim_silence(dsp.resample(samples, rate, SR), SR, voice.trim_threshold_db)
        check_speech(audio, text, 1.0, what, pauses_s)

    return check


def sentence_check(voice: VoiceProfile, text: str, what: str) -> AudioCheck:
    """The check for one sentence alone (passage_check with no pauses inside)."""
    return passage_check(voice, text, 0.0, what)


def passages(engine: Engine, voice: VoiceProfile, script: Script) -> list[list[Sentence]]:
    """The script's sentences in runs of as many as fit one request of the engine, in
    order. An engine that reads the pauses itself (SSML <break>) gets whole runs, which keeps
    its prosody across sentences; the others get one sentence at a time."""
    runs: list[list[Sentence]] = []
    # an object that only speaks sentences (a stand-in engine in a test) has no passages
    fits = getattr(engine, "fits_one_request", None)
    for sentence in script.sentences:
        if runs and fits is not None:
            trial = [*runs[-1], sentence]
            if fits(_passage(trial), voice.options):
                runs[-1] = trial
                continue
        runs.append([sentence])
    return runs


def _passage(run: Sequence[Sentence]) -> list[tuple[str, float]]:
    """(text, pause after) for one request: the pause after the last is joined as audio."""
    return [(s.text, s.pause_after_s if i < len(run) - 1 else 0.0) for i, s in enumerate(run)]


def synthesize_audio(engine: Engine, voice: VoiceProfile, script: Script) -> tuple[np.ndarray, int]:
    """Speak every sentence and join them with the script's pauses. Returns (audio, requests)."""
    if not script.sentences:
        raise SynthesisError(
            f"message '{script.message_id}': nothing is left to speak after normalization "
            "(see `audio-pipeline normalize-text`)"
        )
    parts: list[np.ndarray] = []
    requests = 0
    number = 1
    for run in passages(engine, voice, script):
        if len(run) == 1:
            what = f"message '{script.message_id}' sentence {number}"
        else:
            what = f"message '{script.message_id}' sentences {number}-{number + len(run) - 1}"
        number += len(run)
        text = " ".join(s.text for s in run)
        inner_pauses = sum(s.pause_after_s for s in run[:-1])
        check = passage_check(voice, text, inner_pauses, what)
        if len(run) == 1:
            spoken = engine.synthesize(run[0].text, voice.options, check=check)
        else:
            spoken = engine.synthesize_passage(_passage(run), voice.options, check=check)
        requests += spoken.requests
        audio = dsp.resample(spoken.samples, spoken.sample_rate, SR)
        audio = dsp.trim_silence(audio, SR, voice.trim_threshold_db)
        check_speech(audio, text, 1.0, what, inner_pauses)  # every engine's answer
        audio = ffmpeg.change_tempo(audio, SR, voice.tempo)
        parts.append(audio)
        if run[-1].pause_after_s > 0:
            parts.append(dsp.silence(run[-1].pause_after_s, SR))
    clip = np.concatenate(parts).astype(np.float32)
    pauses = sum(s.pause_after_s for s in script.sentences)
    check_speech(clip, script.spoken_text, voice.tempo, f"message '{script.message_id}'", pauses)
    return clip, requests


@dataclass(frozen=True)
class ClipJob:
    message: Message
    voice: VoiceProfile
    fallback: VoiceProfile | None


def cast_jobs(inputs: EpisodeInputs, messages: Sequence[Message]) -> list[ClipJob]:
    """One job per message, in programme order, with the voice and fallback the episode's
    casting gives it (a voice per message, a rotation, or the episode's voice)."""
    return [
        ClipJob(m, *inputs.cast(m.id, position)) for m, position in _positions(inputs, messages)
    ]


def _positions(inputs: EpisodeInputs, messages: Sequence[Message]) -> list[tuple[Message, int]]:
    """Each message with its place in the rotation: messages with a voice of their own do
    not take a turn."""
    placed, turn = [], 0
    for message in messages:
        placed.append((message, turn))
        if message.id not in inputs.casting.by_message:
            turn += 1
    return placed


def make_clip(
    message: Message,
    voice: VoiceProfile,
    engine: Engine,
    cache: ClipCache,
    *,
    fallback_reason: str | None = None,
) -> Clip:
    script = script_for(message, voice, engine)
    key = clip_key(engine, voice, script)
    hit = cache.get(key)
    requests = 0
    if hit is None:
        if engine.unavailable_reason:
            raise EngineUnavailable(engine.unavailable_reason)
        samples, requests = synthesize_audio(engine, voice, script)
        path = cache.put(
            key,
            samples,
            SR,
            {
                "engine": engine.name,
                "engine_version": engine.version(),
                "spoken_text": script.spoken_text,
            },
        )
        frames = len(samples)
    else:
        path, meta = hit
        frames = int(meta["frames"])
    return Clip(
        message_id=message.id,
        path=path,
        cache_key=key,
        engine=engine.name,
        voice=voice.name,
        fallback=fallback_reason is not None,
        cached=hit is not None,
        spoken_text=script.spoken_text,
        duration_s=frames / SR,
        engine_requests=requests,
        fallback_reason=fallback_reason,
    )


def synthesize_clip(job: ClipJob, engines: EngineSet, cache: ClipCache, *, strict: bool) -> Clip:
    """One clip with the voice's engine; on engine failure, the fallback voice, loudly."""
    engine = engines.for_voice(job.voice)
    try:
        return make_clip(job.message, job.voice, engine, cache)
    except SynthesisError as exc:
        if job.fallback is None or strict:
            how = (
                "--strict forbids fallback" if job.fallback else "the episode has no fallback_voice"
            )
            raise RenderError(
                f"message '{job.message.id}': voice '{job.voice.name}' failed: {exc}; {how}"
            ) from exc
        reason = f"voice '{job.voice.name}' ({job.voice.engine}) failed: {exc}"
        fallback_engine = engines.for_voice(job.fallback)
        try:
            return make_clip(
                job.message, job.fallback, fallback_engine, cache, fallback_reason=reason
            )
        except SynthesisError as exc2:
            raise RenderError(
                f"message '{job.message.id}': voice '{job.voice.name}' failed ({exc}) and "
                f"fallback voice '{job.fallback.name}' failed too ({exc2})"
            ) from exc2


def synthesize_all(
    jobs: Sequence[ClipJob],
    engines: EngineSet,
    cache: ClipCache,
    *,
    strict: bool = False,
    concurrency: int = 1,
    on_clip: Callable[[Clip], None] | None = None,
) -> list[Clip]:
    """Every clip, in the jobs' order. The first failure stops the run (RenderError): a
    programme with a message missing is never delivered."""
    lock = threading.Lock()

    def run(job: ClipJob) -> Clip:
        clip = synthesize_clip(job, engines, cache, strict=strict)
        if on_clip is not None:
            with lock:
                on_clip(clip)
        return clip

    if concurrency <= 1 or len(jobs) <= 1:
        return [run(job) for job in jobs]
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="tts") as pool:
        futures = [pool.submit(run, job) for job in jobs]
        try:
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise


def load_clip(clip: Clip) -> np.ndarray:
    try:
        samples, rate = wavfile.read(clip.path)
    except (OSError, wavfile.WavError) as exc:
        # cache WAVs never change once named; this is `cache clear` or a failing disk
        raise RenderError(
            f"message '{clip.message_id}': its cached clip {clip.path} could not be read back "
            f"({exc}); was the cache cleared during the render? Run the render again"
        ) from exc
    if rate != SR:
        raise SynthesisError(f"cached clip {clip.path.name} is at {rate} Hz, expected {SR}")
    return samples
