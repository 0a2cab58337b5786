"""The code of each function the library deploys: one handler package of ``lambda/`` and the shared rooms.

A function's asset holds exactly its handler package (``start_run`` or ``after_run``, imported by Lambda as a
top-level package) and the shared code it imports, ``healthomics_run/run_model`` and
``healthomics_run/service_calls``, in a ``healthomics_run`` folder without an ``__init__.py``: a namespace
package, so nothing of the constructs, the commands or aws-cdk-lib is shipped or imported in the function.
In a clone the handler packages are the folders of ``lambda/``; in the wheel, ``healthomics_run/handlers/``
(``pyproject.toml`` maps one onto the other). This module is the only one that reaches into them.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from aws_cdk import aws_lambda as lambda_

import healthomics_run.handlers as handlers

SHARED_ROOMS = ("run_model", "service_calls")
LIBRARY = Path(__file__).resolve().parent.parent  # healthomics_run/
# Bytecode caches and editors' files would make the asset's hash, and so the template, differ between machines.
_LEFT_OUT = shutil.ignore_patterns("__pycache__", "*.pyc", ".DS_Store")


@functools.cache
def staged(handler: str) -> Path:
    """A folder laid out as the function sees its code (made once per process, removed at its exit)."""
    folder = Path(tempfile.mkdtemp(prefix=f"healthomics-run-{handler}-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    shutil.copytree(Path(handlers.__file__).parent / handler, folder / handler, ignore=_LEFT_OUT)
    for room in SHARED_ROOMS:
        shutil.copytree(LIBRARY / room, folder / "healthomics_run" / room,
                        ignore=_LEFT_OUT)
    return folder


def code(handler: str) -> lambda_.Code:
    """The asset of ``handler``'s functions (bind it to one stack: an asset belongs to the stack it is made in)."""
    return lambda_.Code.from_asset(str(staged(handler)))
