"""Lambda's Invoke API on 127.0.0.1, for the framework's stub Lambda client: each invocation runs the
Python handler in this process (a server thread), so it sees the test's moto and HealthOmics fake.

It answers as Lambda does for a synchronous invocation of a Python function (AWS Lambda Developer
Guide, "AWS Lambda function errors in Python"): the handler's return value as JSON; or, when it raises,
the error document {errorMessage, errorType, requestId, stackTrace} with X-Amz-Function-Error: Unhandled.
"""

from __future__ import annotations

import json
import threading
import traceback
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace
from typing import Any, Callable, Optional
from urllib.parse import unquote

from .certificate import LOOPBACK

Handler = Callable[[dict[str, Any], Any], Any]
INVOKE_PATH = "/2015-03-31/functions/{}/invocations"


@dataclass(frozen=True)
class Invocation:
    handler: str  # the Python function's name: "on_event" or "is_complete"
    event: dict[str, Any]
    payload: dict[str, Any]  # what Lambda handed back to the framework
    failed: bool


def _error_document(error: BaseException, request_id: str) -> dict[str, Any]:
    return {"errorMessage": str(error), "errorType": type(error).__name__, "requestId": request_id,
            "stackTrace": traceback.format_list(traceback.extract_tb(error.__traceback__))}


def _run(handler: Handler, event: dict[str, Any], function_name: str) -> tuple[dict[str, Any], bool]:
    request_id = str(uuid.uuid4())
    context = SimpleNamespace(function_name=function_name, aws_request_id=request_id, memory_limit_in_mb=256,
                              get_remaining_time_in_millis=lambda: 120_000)
    try:
        result = handler(event, context)
    except Exception as error:  # noqa: BLE001 (Lambda reports every exception the same way)
        return _error_document(error, request_id), True
    try:
        return json.loads(json.dumps(result)), False
    except (TypeError, ValueError) as error:  # what the Python runtime does with an unserializable result
        return {"errorMessage": f"Unable to marshal response: {error}", "errorType": "Runtime.MarshalError",
                "requestId": request_id, "stackTrace": []}, True


class _Server(HTTPServer):
    resolve: Callable[[str], Optional[Handler]]
    invocations: list[Invocation]


class _Invoke(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        prefix, _, rest = self.path.partition("/functions/")
        name = unquote(rest.removesuffix("/invocations"))
        event = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
        handler = self.server.resolve(name) if prefix == "/2015-03-31" else None
        if handler is None:
            self._answer(404, {"message": f"Function not found: {name}"},
                         {"x-amzn-errortype": "ResourceNotFoundException"})
            return
        payload, failed = _run(handler, event, name.rsplit(":", 1)[-1])
        self.server.invocations.append(Invocation(handler.__name__, event, payload, failed))
        self._answer(200, payload, {"X-Amz-Function-Error": "Unhandled"} if failed else {})

    def _answer(self, status: int, document: dict[str, Any], headers: dict[str, str]) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        for header, value in {"Content-Type": "application/json", "Content-Length": str(len(body)),
                              **headers}.items():
            self.send_header(header, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt: str, *args) -> None:
        pass


class LambdaBridge:
    """``resolve`` maps the FunctionName the framework invokes (an ARN here) to a handler, or None."""

    def __init__(self, resolve: Callable[[str], Optional[Handler]]) -> None:
        self._server = _Server((LOOPBACK, 0), _Invoke)
        self._server.resolve, self._server.invocations = resolve, []
        self._thread = threading.Thread(target=self._server.serve_forever, name="lambda-bridge", daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    @property
    def invocations(self) -> list[Invocation]:
        return self._server.invocations

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
