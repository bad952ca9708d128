"""Every default in one place (ffmpeg-normalize keeps its defaults in one table too).

Loaders, engines and the CLI read these names; nothing else hard-codes a number that a user
might want to know or change.
"""

from __future__ import annotations

# --- working audio format -------------------------------------------------------------------
SAMPLE_RATE = 48_000  # one working rate for every stage (EBU R128 / broadcast practice)
BLOCK_SAMPLES = 48_000  # streaming block for mixdown and encoding: one second

# --- loudness (EBU R128 / ITU-R BS.1770-4) ---------------------------------------------------
TARGET_LUFS = -23.0  # EBU R128 programme loudness
TRUE_PEAK_DBTP = -1.0  # EBU R128 maximum true peak
TARGET_LUFS_RANGE = (-40.0, -5.0)
TRUE_PEAK_RANGE = (-12.0, 0.0)
MAX_LRA_RANGE = (1.0, 30.0)  # a profile's max_lra (EBU Tech 3342 loudness range, LU)
CLIP_TOLERANCE_LU = 0.1  # how close each normalized clip lands to the target

# --- programme layout ------------------------------------------------------------------------
GAP_S = 1.5  # silence between segments
GAP_RANGE = (0.0, 30.0)
STING_PAD_S = 0.4  # silence either side of a sting when a sting replaces the gap
SENTENCE_PAUSE_S = 0.45  # pause inserted between synthesized sentences
PARAGRAPH_PAUSE_S = 0.9  # pause inserted between paragraphs
PAUSE_RANGE = (0.0, 5.0)

CROSSFADE_RANGE = (0.0, 3.0)  # bumpers and speech overlap by this much (0: a gap instead)
MAX_TEMPO_LIMIT = 1.05  # the most a slot's tempo-up may speed the messages (pitch kept)

# --- filling a slot (fit: exact): gaps first, then filler items, a few seconds of bed last --
FILL_MAX_SILENCE_S = 3.0  # never longer than this without speech or programme audio
FILL_MAX_SILENCE_RANGE = (0.5, 10.0)
FILL_MAX_GAP_RANGE = (0.0, 10.0)  # fill.max_gap_s: how long a gap may grow
FILL_GAP_GROWTH_S = 1.0  # without fill.max_gap_s, a gap may grow by this much
FILLERS_DIR = "voices/fillers"  # the project's pool of filler audio (station id, music)
MAX_FILLER_S = 300.0  # a filler is a short item: an instrumental, a reading

# --- music bed (every number: the default, then the range a profile may set) ----------------
BED_LEVEL_LU = -14.0  # bed loudness relative to the speech target, before ducking
BED_LEVEL_RANGE = (-40.0, -6.0)
BED_DUCK_DB = 12.0  # further attenuation while speech plays
BED_DUCK_RANGE = (0.0, 40.0)
BED_ATTACK_S = 0.4
BED_ATTACK_RANGE = (0.0, 5.0)
BED_RELEASE_S = 1.0
BED_RELEASE_RANGE = (0.0, 10.0)
BED_FADE_S = 2.0
BED_FADE_RANGE = (0.0, 10.0)
BED_LOOP_CROSSFADE_S = 1.0
BED_LOOP_CROSSFADE_RANGE = (0.0, 5.0)

# --- clip processing -------------------------------------------------------------------------
TRIM_THRESHOLD_DB = -50.0  # silence trim threshold (dBFS, short-term RMS over 10 ms frames)
TRIM_THRESHOLD_RANGE = (-90.0, -20.0)
TRIM_PAD_S = 0.03  # keep this much before the first and after the last sound
EDGE_FADE_S = 0.005  # raised-cosine fade at clip edges: no clicks after trimming
TEMPO_RANGE = (0.5, 2.0)
MIN_SPEECH_S = 0.15  # shorter than this after trimming is not speech

# --- inputs ----------------------------------------------------------------------------------
MAX_YAML_BYTES = 256 * 1024  # messages and episodes are small; a larger file is a mistake
MAX_YAML_ALIASES = 50  # anchors/aliases are allowed, alias bombs are not
MAX_TEXT_CHARS = 5_000  # one message; a longer one is not a short encouragement
MAX_MESSAGES_PER_EPISODE = 200
SLOT_RANGE_S = (10.0, 6 * 3600.0)  # select.max_duration_s: the programme's slot

# --- engines (the network rules hold for every network engine) ------------------------------
TTS_CONNECT_TIMEOUT_S = 5.0  # gTTS waits forever by default (timeout=None)
TTS_READ_TIMEOUT_S = 20.0  # per read: a silent connection fails after this long
TTS_ATTEMPT_TIMEOUT_S = 45.0  # a whole attempt, however slowly the answer trickles in
TTS_MAX_ATTEMPTS = 8  # per sentence, including the first (0.3**8: a 30 % fault rate passes)
TTS_BACKOFF_BASE_S = 0.5
TTS_BACKOFF_MAX_S = 8.0
TTS_RETRY_AFTER_MAX_S = 30.0  # a longer Retry-After is treated as "not this run"
TTS_UNAVAILABLE_AFTER = 3  # connection failures in a row, before any success: offline
TTS_FAILED_SENTENCES_LIMIT = 2  # sentences in a row that failed every attempt: give up
TTS_GIVE_UP_AFTER_S = 90.0  # every request failing for this long: give up for the run
TTS_REQUESTS_PER_MINUTE = 120.0  # gTTS#259: Google throttles bursts; 0 = no cap
DEFAULT_VOICE = "ko-offline"  # the embedded voice: works offline, every voice's fallback
RENDER_CONCURRENCY = 2  # clips synthesized at once (network requests in flight at most)
RENDER_CONCURRENCY_RANGE = (1, 16)
GTTS_MAX_CHARS = 100  # gTTS's own request limit (gTTS.GOOGLE_TTS_MAX_CHARS)
ESPEAK_MAX_CHARS = 120  # espeak-ng#1860: long Korean sentences lose their end

# --- layout ----------------------------------------------------------------------------------
VOICES_DIR = "voices"
INPUT_DIR = "input"
MESSAGES_DIR = "input/messages"
EPISODES_DIR = "input/episodes"
OUTPUT_DIR = "output"
LEDGER_FILE = "ledger.sqlite"  # the broadcast ledger; AUDIO_PIPELINE_LEDGER overrides
CACHE_DIR = "cache"  # project-local clip cache; AUDIO_PIPELINE_CACHE overrides
ALLOWED_AUDIO_DIRS = ("voices", "input")  # bumpers and stings must live under these
METADATA_POLICY_FILE = "input/metadata_policy.yaml"  # a project's own metadata policy
IDENTIFYING_FILE = "input/identifying.yaml"  # a project's own identifying words and patterns

# --- deliverables ----------------------------------------------------------------------------
WAV_BIT_DEPTH = 24
MP3_BITRATE_K = 128
STATION = "새벽빛 방송"  # the station line on the sample bumpers; episodes may override

# --- neural voice services (official REST APIs) ---------------------------------------------
# Longest sentence given to one of them (the script splits longer ones at clause breaks), and
# how much may go in one request with the pauses as SSML breaks.
AZURE_MAX_CHARS = 1000
# Azure's REST answer is cut at 10 minutes of audio (Text to speech REST API, "Sample
# request"); 1,500 characters is under 7 minutes even at 4 syllables a second
AZURE_MAX_REQUEST_CHARS = 1500
GOOGLE_CLOUD_MAX_CHARS = 1000
# Google Cloud Text-to-Speech: "Total bytes per request: 5,000" of text or SSML (Quotas and
# limits); Hangul takes three bytes in UTF-8
GOOGLE_CLOUD_MAX_REQUEST_BYTES = 5000
# Free monthly characters per engine, from each service's published free tier (read
# 2026-11-29): Azure AI Speech F0, neural voices: 0.5 million characters a month; Google
# Cloud Text-to-Speech: the smallest free allowance of its voice types (Neural2 and Chirp 3 HD:
# 1 million a month; Standard and WaveNet: 4 million). A warning is printed from
# USAGE_WARN_FRACTION of a limit on. AUDIO_PIPELINE_FREE_CHARS_AZURE and
# AUDIO_PIPELINE_FREE_CHARS_GOOGLE_CLOUD override them (a paid tier, another allowance).
FREE_TIER_CHARS = {"azure": 500_000, "google-cloud": 1_000_000}
USAGE_WARN_FRACTION = 0.8
