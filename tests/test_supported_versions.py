"""The supported aws-cdk-lib range, tested at both ends.

The upper end is the version pinned in requirements.txt: the whole suite runs on it. The lower end is
the bound in pyproject.toml: one test installs exactly that aws-cdk-lib, and this library built as a
wheel, in a virtual environment of its own (no boto3, botocore or test tools), and synthesizes the
example app with it. It needs PyPI; pip installs without byte-compiling (``--no-compile``: compiling all of
aws-cdk-lib's modules is most of an install's CPU time, and the app compiles only those it imports); leave it
out with ``-m "not cdk_lower_bound"``.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
import sys
import time
import tomllib
import venv

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from tests.synth import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PINNED = re.search(r"^aws-cdk-lib==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M)[1]
INSTALL_TIMEOUT_S = 300

SYNTH = '''
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])  # app.py from the repository; healthomics_run from the venv's wheel
import aws_cdk as cdk
import healthomics_run
import app as example
assert "site-packages" in healthomics_run.__file__, healthomics_run.__file__
context = json.loads((Path(sys.argv[1]) / "cdk.json").read_text())["context"]
app = cdk.App(outdir=sys.argv[2], context=context)
stacks = example.build(app)
app.synth()
print(json.dumps({"aws_cdk_lib": __import__("importlib.metadata").metadata.version("aws-cdk-lib"),
                  "stacks": [stack.stack_name for stack in stacks]}))
'''


def _requirement(name: str) -> Requirement:
    (requirement,) = [Requirement(spec) for spec in PYPROJECT["project"]["dependencies"]
                      if Requirement(spec).name == name]
    return requirement


def lower_bound(name: str) -> str:
    (bound,) = [spec.version for spec in _requirement(name).specifier if spec.operator == ">="]
    return bound


def test_the_pinned_aws_cdk_lib_is_the_upper_end_of_the_supported_range():
    assert _requirement("aws-cdk-lib").specifier.contains(PINNED)
    assert Version(lower_bound("aws-cdk-lib")) <= Version(PINNED)
    assert importlib.metadata.version("aws-cdk-lib") == PINNED, "the suite must run on the pinned aws-cdk-lib"


def test_the_supported_python_is_stated_and_this_one_is_in_it():
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"
    assert sys.version_info >= (3, 11)


def test_the_lower_bound_of_constructs_is_what_the_lowest_aws_cdk_lib_needs():
    """pip cannot install an aws-cdk-lib with a constructs older than the one it requires itself."""
    assert Version(lower_bound("constructs")) >= Version("10.5.0")


@pytest.mark.cdk_lower_bound
def test_the_lowest_supported_aws_cdk_lib_synthesizes_the_example_app(tmp_path, wheel):
    lowest = lower_bound("aws-cdk-lib")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = str(env_dir / "bin" / "python")
    started = time.monotonic()
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--disable-pip-version-check",
         "--no-compile", f"aws-cdk-lib=={lowest}", f"{wheel}"],
        capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    assert install.returncode == 0, f"pip could not install aws-cdk-lib=={lowest}:\n{install.stderr[-3000:]}"
    installed = subprocess.run([python, "-c", "import importlib.metadata as m; print(m.version('aws-cdk-lib'))"],
                               capture_output=True, text=True, check=True).stdout.strip()
    assert installed == lowest

    outdir = tmp_path / "cdk.out"
    env = {**os.environ, "PATH": f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("PYTHONPATH", None)
    synth = subprocess.run([python, "-c", SYNTH, str(ROOT), str(outdir)], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    assert synth.returncode == 0, synth.stderr[-3000:]
    result = json.loads(synth.stdout.strip().splitlines()[-1])
    assert result["aws_cdk_lib"] == lowest
    kinds = "".join((outdir / f"{stack}.template.json").read_text() for stack in result["stacks"])
    assert all(kind in kinds for kind in ("Custom::HealthOmicsRun", "Custom::HealthOmicsRunBatch",
                                          "AWS::Omics::RunGroup", "AWS::Omics::RunCache"))
    print(f"aws-cdk-lib {lowest}: installed and synthesized in {time.monotonic() - started:.0f} s")
