"""``ProviderFramework.drive``: one CloudFormation request through the framework, and what came back.

Each request runs ``harness.js`` under the pinned Node (the repository's node_modules/.bin/node): the
framework's onEvent, then, when it starts the waiter, isComplete until it stops asking to retry. The
framework invokes the handler through the Lambda bridge and answers on the ResponseURL listener.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Optional

from healthomics_run.handlers.start_run import handler as start_run
from tests.fake_omics import ACCOUNT, REGION

from .asset import ProviderAsset
from .certificate import self_signed
from .lambda_bridge import Handler, Invocation, LambdaBridge
from .response_url import ResponseListener

REPO = Path(__file__).resolve().parents[2]
NODE = REPO / "node_modules" / ".bin" / "node"
HARNESS = Path(__file__).with_name("harness.js")
HARNESS_TIMEOUT_SECONDS = 60


def _function_arn(role: str) -> str:
    """A 64-character name, Lambda's longest: failure Reasons quote it ("Logs: /aws/lambda/<name>"),
    so measured sizes err large rather than small."""
    name = f"ProviderFrameworkStack-HealthOmicsRunProvider{role}"[:51] + "-A1B2C3D4E5F6"
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


ON_EVENT_ARN, IS_COMPLETE_ARN = _function_arn("OnEvent"), _function_arn("IsComplete")
WAITER_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:HealthOmicsRunProviderwaiterstatemachine"
_HANDLERS = {ON_EVENT_ARN: "on_event", IS_COMPLETE_ARN: "is_complete"}


def _resolve(function_name: str) -> Optional[Handler]:
    """Looked up at each call, so a test's monkeypatching of the handler module applies."""
    name = _HANDLERS.get(function_name)
    return getattr(start_run, name) if name else None


class HarnessError(AssertionError):
    """The framework did not answer CloudFormation exactly once (or Node failed); carries Node's output."""


@dataclass(frozen=True)
class Response:
    """What CloudFormation received for one request, and how the framework got there."""

    body: bytes  # the PUT body, byte for byte
    invocations: tuple[Invocation, ...]  # the handler's invocations, in order
    waiter: dict[str, Any]  # harness.js's account of the waiter (attempts, timedOut, sizes)
    logs: str = field(repr=False)  # the framework's console output: its CloudWatch Logs in AWS

    @property
    def size(self) -> int:
        return len(self.body)

    @cached_property
    def fields(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def status(self) -> str:
        return self.fields["Status"]

    @property
    def reason(self) -> str:
        return self.fields["Reason"]

    @property
    def physical_id(self) -> str:
        return self.fields["PhysicalResourceId"]

    @property
    def data(self) -> dict[str, Any]:
        return self.fields.get("Data") or {}

    def calls(self, handler: str) -> int:
        return sum(1 for invocation in self.invocations if invocation.handler == handler)


class ProviderFramework:
    """The listener and the bridge for a session; ``drive`` for each request."""

    def __init__(self, asset: ProviderAsset, workdir: Path) -> None:
        self.asset, self.workdir = asset, workdir
        # Lambda runs the framework from /var/task; its stack traces (part of a failure's Reason) name
        # that path. Copies under the shortest temporary path keep Reasons within ~12 bytes of Lambda's,
        # whatever the checkout's path (the harness's frame stands in for the Lambda runtime's).
        self.task_root = Path(tempfile.mkdtemp(prefix=""))
        for script in asset.directory.glob("*.js"):
            shutil.copy2(script, self.task_root)
        shutil.copy2(HARNESS, self.task_root)
        shutil.copytree(HARNESS.with_name("aws_sdk_stubs"), self.task_root / "aws_sdk_stubs")
        self.certificate = self_signed(workdir)
        self.listener = ResponseListener(self.certificate)
        self.bridge = LambdaBridge(_resolve)

    def __enter__(self) -> "ProviderFramework":
        self.listener.start()
        self.bridge.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.listener.close()
        self.bridge.close()
        shutil.rmtree(self.task_root, ignore_errors=True)

    def drive(self, request: dict[str, Any], *, max_attempts: Optional[int] = None) -> Response:
        """Send ``request`` (built like ``tests.world.event``) as CloudFormation would; the ResponseURL
        is set here. ``max_attempts`` overrides the waiter's Retry MaxAttempts."""
        key = uuid.uuid4().hex
        request = {**request, "ResponseURL": self.listener.url(key),
                   "ServiceToken": request["ResourceProperties"].get("ServiceToken", ON_EVENT_ARN)}
        result_file = self.workdir / f"{key}.json"
        first = len(self.bridge.invocations)
        out, err = self._node(json.dumps(request).encode(), result_file, max_attempts)
        logs = out.decode(errors="replace") + err.decode(errors="replace")
        bodies = self.listener.bodies(key)
        if len(bodies) != 1:
            raise HarnessError(f"CloudFormation received {len(bodies)} responses, expected 1\n{logs[-6000:]}")
        return Response(bodies[0], tuple(self.bridge.invocations[first:]), json.loads(result_file.read_text()),
                        logs)

    def _node(self, stdin: bytes, result_file: Path, max_attempts: Optional[int]) -> tuple[bytes, bytes]:
        env = {"LAMBDA_ENDPOINT": self.bridge.endpoint, "RESPONSE_PORT": str(self.listener.port),
               "NODE_EXTRA_CA_CERTS": str(self.certificate.cert_file),
               "WAITER_MAX_ATTEMPTS": str(self.asset.waiter_max_attempts if max_attempts is None else max_attempts),
               "USER_ON_EVENT_FUNCTION_ARN": ON_EVENT_ARN, "USER_IS_COMPLETE_FUNCTION_ARN": IS_COMPLETE_ARN,
               "WAITER_STATE_MACHINE_ARN": WAITER_ARN, "AWS_REGION": REGION}
        command = [str(NODE), str(self.task_root / HARNESS.name), str(self.task_root), str(result_file)]
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env=env)
        # A timer, not communicate(timeout=...): Popen.wait polls with time.sleep, which the omics
        # fixture replaces with a recorder.
        timer = threading.Timer(HARNESS_TIMEOUT_SECONDS, process.kill)
        timer.start()
        try:
            out, err = process.communicate(stdin)
        finally:
            timer.cancel()
        if process.returncode != 0 or not result_file.exists():
            raise HarnessError(f"node exited {process.returncode}\n{(out + err).decode(errors='replace')[-6000:]}")
        return out, err
