"""Runs guide samples one after another in this one Python process, each as ``python app.py`` would run it.

``python sample_runner.py RESULTS NUMBER...`` in a folder holding ``sample-<NUMBER>.py`` files: each is copied
to ``app.py`` and run as ``__main__`` with fresh globals, ``sys.path[0]`` the folder, its stdout and stderr
(file descriptors 1 and 2, so Node's output too) in ``sample-<NUMBER>.log``, and ``CDK_OUTDIR`` emptied first.
One JSON line per sample goes to RESULTS: its number, exit code and the templates it wrote.

Why one process for several samples: starting Python, aws-cdk-lib and its Node.js kernel is about 3 CPU
seconds, as much as most samples' own synthesis. What a fresh process would catch and this does not: a
sample that uses a module only an earlier sample imported (its names must still be its own: globals are
fresh).
"""

from __future__ import annotations

import json
import os
import runpy
import shutil
import sys
import traceback
from pathlib import Path


def _exit_code(error: SystemExit) -> int:
    code = error.code
    return code if isinstance(code, int) else (0 if code is None else 1)


def run(number: str, outdir: Path) -> dict:
    shutil.rmtree(outdir, ignore_errors=True)
    shutil.copyfile(f"sample-{number}.py", "app.py")
    saved = os.dup(1), os.dup(2)
    with open(f"sample-{number}.log", "w") as log:
        sys.stdout.flush(), sys.stderr.flush()
        os.dup2(log.fileno(), 1), os.dup2(log.fileno(), 2)
        try:
            runpy.run_path("app.py", run_name="__main__")
            code = 0
        except SystemExit as error:
            code = _exit_code(error)
        except BaseException:  # noqa: BLE001 - any failure of the sample is its result, reported with its trace
            traceback.print_exc()
            code = 1
        finally:
            sys.stdout.flush(), sys.stderr.flush()
            os.dup2(saved[0], 1), os.dup2(saved[1], 2)
    return {"number": int(number), "exit": code,
            "templates": sorted(path.name for path in outdir.glob("*.template.json"))}


def main(results: str, numbers: list[str]) -> None:
    sys.path[0] = os.getcwd()  # as `python app.py` would have it, not this file's folder
    outdir = Path(os.environ["CDK_OUTDIR"])
    with open(results, "w") as out:
        for number in numbers:
            out.write(json.dumps(run(number, outdir)) + "\n")
            out.flush()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
