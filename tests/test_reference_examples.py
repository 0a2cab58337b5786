"""The API reference has one runnable example per construct (docs/api/*.md, after the construct's entry), and
each runs as written in a stack (``stack``) with the library's names imported, then synthesizes."""

from __future__ import annotations

import re
import shutil

import aws_cdk as cdk

import healthomics_run
from constructs import Construct
from tests.synth import ROOT

PAGES = sorted((ROOT / "docs" / "api").glob("*.md"))
PREAMBLE = ("import aws_cdk as cdk\nfrom aws_cdk import aws_ec2 as ec2, aws_s3 as s3\n"
            f"from healthomics_run import {', '.join(healthomics_run.__all__)}\n")


def entries() -> list[tuple[str, str | None]]:
    """(target, the example right after its ``:::`` entry, or None) for every entry of every page."""
    found = []
    for page in PAGES:
        parts = re.split(r"^::: (\S+)\n", page.read_text(), flags=re.MULTILINE)
        for target, body in zip(parts[1::2], parts[2::2], strict=True):
            example = re.search(r"^```python\n(.*?)^```", body, flags=re.MULTILINE | re.DOTALL)
            found.append((target, example.group(1) if example else None))
    return found


def _is_construct(target: str) -> bool:
    module, _, name = target.rpartition(".")
    value = getattr(__import__(module, fromlist=[name]), name, None)
    return isinstance(value, type) and issubclass(value, Construct)


def test_every_construct_in_the_reference_has_an_example():
    missing = [target for target, example in entries() if _is_construct(target) and example is None]
    assert not missing and len([t for t, _ in entries() if _is_construct(t)]) >= 11, missing


def test_each_example_in_the_reference_runs_and_synthesizes(tmp_path, monkeypatch):
    """All in one app (one synthesis), each in a stack of its own, named after its construct."""
    shutil.copytree(ROOT / "workflows", tmp_path / "workflows")
    monkeypatch.chdir(tmp_path)
    app = cdk.App(outdir=str(tmp_path / "cdk.out"))
    examples = [(target, example) for target, example in entries() if example is not None]
    for target, example in examples:
        stack = cdk.Stack(app, target.rpartition(".")[2],
                          env=cdk.Environment(account="123456789012", region="us-east-1"))
        exec(compile(PREAMBLE + example, f"{target} example", "exec"), {"stack": stack})
    assembly = app.synth()
    for target, _ in examples:
        assert assembly.get_stack_by_name(target.rpartition(".")[2]).template["Resources"], target
