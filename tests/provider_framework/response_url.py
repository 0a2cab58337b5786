"""The ResponseURL: an HTTPS listener on 127.0.0.1 standing in for the presigned S3 URL CloudFormation
hands out. It keeps every PUT body, byte for byte: that is exactly what CloudFormation would read.
"""

from __future__ import annotations

import ssl
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlsplit

from .certificate import LOOPBACK, Certificate


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def do_PUT(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.server.lock:
            self.server.bodies[urlsplit(self.path).path].append(body)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, fmt: str, *args) -> None:
        pass


class _Server(HTTPServer):
    bodies: defaultdict[str, list[bytes]]
    lock: threading.Lock


class ResponseListener:
    """Serves on an ephemeral port; each request gets its own URL path, so responses never mix."""

    def __init__(self, certificate: Certificate) -> None:
        self._server = _Server((LOOPBACK, 0), _Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate.cert_file, certificate.key_file)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._server.bodies, self._server.lock = defaultdict(list), threading.Lock()
        self._thread = threading.Thread(target=self._server.serve_forever, name="response-url", daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, key: str) -> str:
        """Shaped like a presigned S3 URL; no port, as in AWS (the harness points port 443 here)."""
        return f"https://{LOOPBACK}/cloudformation-custom-resource-response/{key}?X-Amz-Signature=test"

    def bodies(self, key: str) -> list[bytes]:
        with self._server.lock:
            return list(self._server.bodies.get(f"/cloudformation-custom-resource-response/{key}", []))

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
