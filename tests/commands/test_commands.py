"""What every ``healthomics-run`` command shares: its version, its description and exit codes in ``--help``, the AWS
profile and Region it calls AWS with, and one wording when boto3 (an optional dependency) is missing."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ProfileNotFound

from healthomics_run.commands import cli
from healthomics_run.commands.aws_access import missing_boto3
from healthomics_run.commands.plan import cli as plan_cli
from healthomics_run.commands.provenance import cli as provenance_cli
from healthomics_run.commands.status import cli as status_cli

ROOT = Path(__file__).resolve().parent.parent.parent
EXIT_CODES = {"plan": plan_cli.EXIT_CODES, "export-history": plan_cli.EXPORT_EXIT_CODES,
              "status": status_cli.EXIT_CODES, "provenance": provenance_cli.EXIT_CODES}


def _console(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = cli.console(list(argv))
    except SystemExit as stop:
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


def test_version_prints_the_version_pyproject_declares(capsys):
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert declared == "0.3.0"
    assert _console(capsys, "--version") == (0, f"healthomics-run {declared}\n", "")


@pytest.mark.parametrize("command", sorted(EXIT_CODES))
def test_help_describes_the_command_and_lists_its_exit_codes(capsys, command):
    code, out, _ = _console(capsys, command, "--help")
    assert code == 0
    usage, _, rest = out.partition("\n\n")
    assert rest.split("\n\n")[0].strip(), f"{command} --help has no description"
    codes = out[out.index("exit codes:"):]
    for number, meaning in EXIT_CODES[command].items():
        assert f"  {number}  {meaning}" in codes
    assert "--profile" in out and "--region" in out


def _arguments(command: str, tmp_path: Path) -> list[str]:
    """The command line of each command that calls AWS, far enough to make its first session."""
    if command == "plan":
        template = tmp_path / "template.json"
        template.write_text(json.dumps({"Resources": {}}))
        return ["plan", str(template), str(template), "--from-account"]
    if command == "export-history":
        return ["export-history", str(tmp_path / "history.json")]
    return [command, "MyStack"]


@pytest.mark.parametrize("command", sorted(EXIT_CODES))
def test_profile_and_region_reach_the_boto3_session(monkeypatch, capsys, tmp_path, command):
    """``--profile`` and ``--region`` are boto3's ``Session(profile_name=..., region_name=...)`` (Boto3 documentation,
    "Credentials", https://boto3.amazonaws.com/v1/documentation/api/latest/guide/credentials.html: a named profile
    of ~/.aws/config is chosen with ``profile_name``). A profile that does not exist raises botocore's
    ``ProfileNotFound`` at ``Session()`` (as aws-parallelcluster found: https://github.com/aws/aws-parallelcluster/pull/7393):
    the command exits 1 saying so, with no traceback."""
    made = []

    def session(**kwargs):
        made.append(kwargs)
        raise ProfileNotFound(profile=kwargs.get("profile_name"))
    monkeypatch.setattr(boto3, "Session", session)
    code, _, err = _console(capsys, *_arguments(command, tmp_path), "--profile", "research", "--region", "eu-west-2")
    assert made and made[0] == {"profile_name": "research", "region_name": "eu-west-2"}
    assert code == 1 and "research" in err and "Traceback" not in err


@pytest.mark.parametrize("command", sorted(EXIT_CODES))
def test_a_missing_boto3_is_said_in_one_wording_with_the_install_line(monkeypatch, capsys, tmp_path, command):
    monkeypatch.setitem(sys.modules, "boto3", None)  # `import boto3` raises ImportError
    code, _, err = _console(capsys, *_arguments(command, tmp_path))
    name = "plan --from-account" if command == "plan" else command
    assert code == 1 and err.strip() == missing_boto3(name)
    assert missing_boto3(name) == f"healthomics-run {name} needs boto3: pip install 'healthomics-run[status]'"
