"""The benchmark: render speed, scale and memory against baselines.

`make bench` (or `python -m bench`) builds synthetic projects (workload.py), serves them
through a local TTS stand-in with a fixed latency (standin.py), times real `audio-pipeline
render` processes and the two baselines (naive.py, ffmpeg alone), and writes the table to
bench/RESULTS.md. Speed goals are checked here, never in the unit tests.
"""
