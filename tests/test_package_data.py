"""What the built package carries: the data files, templates and static files the product
reads at run time must be inside the wheel, not only in a source checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_the_wheel_carries_every_file_the_package_reads(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("audio_pipeline-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    package = REPO / "audio_pipeline"
    wanted = [
        p.relative_to(REPO).as_posix()
        for pattern in (
            "data/*.yaml",
            "publish/templates/*/*.j2",
            "publish/static/*",
            "studio/templates/*/*.j2",
            "studio/static/*",
        )
        for p in package.glob(pattern)
    ]
    assert len(wanted) >= 20  # data, the review page's and the studio's templates and files
    assert "audio_pipeline/studio/static/htmx.min.js" in wanted
    assert not [name for name in wanted if name not in names]
    # and every module of every room (a folder without __init__.py is easily left out)
    modules = [p.relative_to(REPO).as_posix() for p in package.rglob("*.py")]
    assert "audio_pipeline/studio/__init__.py" in modules
    assert not [name for name in modules if name not in names]
