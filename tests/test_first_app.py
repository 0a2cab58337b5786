"""README's "Your first app", followed from an empty folder: cdk init, a virtual environment, the built wheel,
the app as written, cdk synth (no unconfigured feature flags) and healthomics-run plan.

The network stands aside: ``npx --yes aws-cdk@2`` and ``npm install aws-cdk@2`` are this repository's own CDK
CLI (``node_modules``), and the index ``pip install`` reads is a folder holding the wheel built from this
repository, with aws-cdk-lib, constructs and typing-extensions already installed (this suite's own, made
visible to the new virtual environment) as PyPI would install them. Every other command runs as written.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.synth import ROOT
from tests.test_readme import python_samples, readme

NODE_BIN = ROOT / "node_modules" / ".bin"
# Where jsii's runtime keeps aws-cdk-lib unpacked (its default, under the suite's own home): the fresh home would
# unpack it again, some 15 s of a machine's first synthesis that says nothing about the README's steps.
JSII_PACKAGE_CACHE = Path.home() / ".cache" / "aws" / "jsii" / "package-cache"
STEPS_HEADING = "### 1. A fresh app"
RUN_HEADING = "### 3. Synthesize, plan, deploy"
NEEDS_AWS = ("npx cdk bootstrap", "npx cdk deploy")  # the steps that need an account: not run here


def bash_block(heading: str) -> list[str]:
    """The commands of the first ```bash block under ``heading``."""
    section = readme().split(heading + "\n", 1)[1]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def the_app() -> str:
    (code,) = [code for heading, code in python_samples(readme()) if heading == "2. The app"]
    return code


def _site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def _what_pypi_would_install(venv: Path, into: Path) -> None:
    """aws-cdk-lib and the rest of this suite's packages, but not healthomics-run itself, visible to ``venv``."""
    own = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    into.mkdir()
    for entry in own.iterdir():
        if not entry.name.lower().startswith(("healthomics_run", "__editable__", "_healthomics")):
            (into / entry.name).symlink_to(entry)
    (_site_packages(venv) / "suite-packages.pth").write_text(str(into) + "\n")


@pytest.fixture
def wheelhouse(wheel) -> Path:
    """The folder pip reads as its index: the wheel alone."""
    return wheel.parent


def test_the_readme_path_goes_from_an_empty_folder_to_a_synthesized_app_and_a_plan(tmp_path, wheelhouse):
    home = tmp_path / "home"
    home.mkdir()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("AWS_", "CDK_", "VIRTUAL_ENV", "PYTHON"))}
    env.update(HOME=str(home), JSII_RUNTIME_PACKAGE_CACHE_ROOT=str(JSII_PACKAGE_CACHE), AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true",
               PATH=f"{NODE_BIN}{os.pathsep}{env['PATH']}")
    cwd = tmp_path
    python = Path(sys.base_prefix) / "bin" / "python3"

    def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, **kwargs)
        assert done.returncode == 0 or kwargs.get("check") is False, \
            f"{command}: {done.stdout[-2000:]}{done.stderr[-3000:]}"
        return done

    steps = bash_block(STEPS_HEADING)
    assert steps == ["mkdir germline-runs && cd germline-runs",
                     "npx --yes aws-cdk@2 init app --language python --generate-only",
                     "python3 -m venv .venv", "source .venv/bin/activate", "pip install healthomics-run",
                     "npm install aws-cdk@2"], "README's steps changed: follow them here too"
    (cwd := tmp_path / "germline-runs").mkdir()
    run([str(NODE_BIN / "cdk"), "init", "app", "--language", "python", "--generate-only"])
    flags = json.loads((cwd / "cdk.json").read_text())["context"]
    assert json.loads((cwd / "cdk.json").read_text())["app"] == "python3 app.py" and len(flags) > 50
    run([str(python), "-m", "venv", ".venv"])
    venv = cwd / ".venv"
    env.update(VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}")  # source .venv/bin/activate
    _what_pypi_would_install(venv, tmp_path / "pypi")
    run(["pip", "install", "--quiet", "--no-index", "--find-links", str(wheelhouse), "healthomics-run"])
    installed = run(["python", "-c", "import healthomics_run; print(healthomics_run.__file__)"]).stdout
    assert installed.startswith(str(venv)), installed  # the wheel, not this repository

    (cwd / "app.py").write_text(the_app())
    commands = bash_block(RUN_HEADING)
    assert [c for c in commands if c not in NEEDS_AWS] == [
        "npx cdk synth --quiet", "echo '{\"Resources\": {}}' > nothing-deployed.json",
        "healthomics-run plan nothing-deployed.json cdk.out"], "README's steps changed: follow them here too"
    synth = run(["cdk", "synth", "--quiet"])
    said = synth.stdout + synth.stderr
    assert not re.search(r"feature flags? (are|is) not configured|unconfigured", said, re.IGNORECASE), said[-2000:]
    assert (cwd / "cdk.out" / "GermlineRunStack.template.json").is_file()
    run(["bash", "-c", commands[1]])
    plan = run(["healthomics-run", "plan", "nothing-deployed.json", "cdk.out"], check=False)
    assert plan.returncode == 2 and plan.stdout.startswith("healthomics-run plan: 1 run will start"), plan.stdout


def test_the_plan_runs_in_ci_from_the_wheel_alone_without_aws_cdk_lib(tmp_path, wheelhouse):
    """README's "Review in pull requests": ``pip install --no-deps healthomics-run`` installs the plan without
    aws-cdk-lib (and its Node.js runtime); it reads templates with the standard library only."""
    run = functools.partial(subprocess.run, capture_output=True, text=True, timeout=300)
    venv = tmp_path / "ci"
    assert run([str(Path(sys.base_prefix) / "bin" / "python3"), "-m", "venv", str(venv)]).returncode == 0
    (wheel,) = wheelhouse.glob("healthomics_run-*.whl")
    installed = run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                     str(wheel)])
    assert installed.returncode == 0, installed.stderr
    assert run([str(venv / "bin" / "python"), "-c", "import aws_cdk"]).returncode != 0
    (tmp_path / "nothing.json").write_text('{"Resources": {}}')
    head = ROOT / "tests" / "snapshots" / "GermlineRunStack.template.json"
    plan = run([str(venv / "bin" / "healthomics-run"), "plan", str(tmp_path / "nothing.json"), str(head)],
               env={"PATH": "/usr/bin:/bin"})
    assert plan.returncode == 2 and plan.stdout.startswith("healthomics-run plan: 1 run will start"), plan.stderr
