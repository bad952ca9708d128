"""Render every sample episode in a throwaway copy of the project and hash what it wrote.

A refactor that must not change what a listener or a partner receives is checked with it:

    python scripts/output_hashes.py --write /tmp/before.json     # on the old commit
    python scripts/output_hashes.py --check /tmp/before.json     # on the new one

Every audio file and sidecar of every episode in input/episodes/ is hashed (SHA-256). The
review page is left out (it may change with its template), and so is the manifest, which
names the tool's version. Renders run offline (no proxy, a dead one for online voices), so
an online voice falls back the same way each time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LEFT_OUT = {"review.html", "manifest.json"}


def hashes(folder: Path) -> dict[str, str]:
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name not in LEFT_OUT:
            found[path.relative_to(folder).as_posix()] = hashlib.sha256(
                path.read_bytes()
            ).hexdigest()
    return found


def render_all(work: Path) -> dict[str, dict[str, str]]:
    shutil.copytree(REPO / "voices", work / "voices")
    shutil.copytree(REPO / "input", work / "input")
    env = dict(os.environ)
    for name in ("HTTPS_PROXY", "https_proxy", "AUDIO_PIPELINE_PROJECT", "AUDIO_PIPELINE_CACHE"):
        env.pop(name, None)
    # nothing listens on port 9 (discard): every online request fails at once, as offline
    env["HTTPS_PROXY"] = env["https_proxy"] = "http://127.0.0.1:9"
    env["AUDIO_PIPELINE_LEDGER"] = str(work / "ledger.sqlite")
    result = {}
    for episode in sorted((work / "input" / "episodes").glob("*.yaml")):
        command = [sys.executable, "-m", "audio_pipeline", "--project", str(work)]
        command += ["render", "--quiet", str(episode)]
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"{episode.name}: render failed ({done.returncode}):\n{done.stderr}")
        result[episode.stem] = hashes(work / "output" / episode.stem)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path, help="write the hashes to this JSON file")
    group.add_argument("--check", type=Path, help="compare with hashes written before")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ap-hashes-") as tmp:
        now = render_all(Path(tmp))
    if args.write:
        args.write.write_text(json.dumps(now, indent=2, sort_keys=True) + "\n", "utf-8")
        files = sum(len(v) for v in now.values())
        print(f"{files} files of {len(now)} episodes hashed into {args.write}")
        return 0
    before = json.loads(args.check.read_text("utf-8"))
    differ = []
    for episode in sorted(set(before) | set(now)):
        old, new = before.get(episode, {}), now.get(episode, {})
        for name in sorted(set(old) | set(new)):
            if old.get(name) != new.get(name):
                what = "missing now" if name not in new else "new" if name not in old else "differs"
                differ.append(f"{episode}/{name}: {what}")
    for line in differ:
        print(line)
    files = sum(len(v) for v in now.values())
    print(f"{files} files of {len(now)} episodes: {len(differ)} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
