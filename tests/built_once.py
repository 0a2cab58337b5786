"""Artifacts several tests read (the wheel, the documentation site) built once per test session.

Under pytest-xdist each worker has its own temporary folder, inside one folder per session: the artifact is
built there by the first worker that needs it, under a file lock, and read by the others. Without xdist it
is built in the session's own temporary folder. Each is built from the working tree as it is when the
session starts, which is what every test that reads it would have built for itself.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from tests.synth import ROOT

DONE = ".built"


def _session_folder(factory: pytest.TempPathFactory) -> Path:
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder ``name`` as ``build(folder)`` filled it, once for the whole session (every worker)."""
    session = _session_folder(factory)
    folder = session / name
    with open(session / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / DONE).exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            (folder / DONE).touch()
    return folder


def build_wheel(folder: Path) -> None:
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(folder), str(ROOT)], check=True,
                   capture_output=True)


def build_docs_site(folder: Path) -> None:
    """``make docs`` into ``folder``, its stderr kept in ``folder/build.log`` for the tests that read it."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    site = folder / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    (folder / "build.log").write_text(f"exit {done.returncode}\n{done.stderr}")
