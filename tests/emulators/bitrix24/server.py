"""The emulator's HTTP layer: a real threaded HTTP server on 127.0.0.1 speaking Bitrix24's URLs, bodies and
envelopes. Webhook: ``/rest/<uid>/<code>/<method>``; OAuth: ``/rest/<method>`` with ``auth``/``access_token``
or a Bearer header; token refresh: ``GET /oauth/token/``."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from crm.integrations.bitrix24.query import parse_str
from tests.emulators.bitrix24.portal import Portal, RestError

HTML_502 = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center>"
    b"<hr><center>nginx</center></body></html>"
)


class Handler(BaseHTTPRequestHandler):
    server: EmulatorServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _params(self) -> dict[str, Any]:
        parts = urlsplit(self.path)
        params: dict[str, Any] = parse_str(parts.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = (self.headers.get("Content-Type") or "").lower()
        if raw and "json" in ctype:
            try:
                body = json.loads(raw)
            except ValueError:
                body = {}  # an invalid JSON body is silently {}
            if isinstance(body, dict):
                params.update(body)
        elif raw:
            params.update(parse_str(raw.decode("utf-8", "replace")))
        return params

    def _handle(self) -> None:
        portal = self.server.portal
        path = urlsplit(self.path).path
        params = self._params()
        if path.rstrip("/") == "/oauth/token":
            fault = portal.next_fault("oauth")
            if fault and fault.kind in {"500", "502"}:
                self._send(502, HTML_502, "text/html")
                return
            status, body = portal.oauth_refresh(params, self.server.base_url)
            self._json(status, body)
            return
        segments = [s for s in path.split("/") if s]
        if len(segments) < 2 or segments[0] != "rest":
            self._send(404, b"<html><body>Not found</body></html>", "text/html")
            return
        if len(segments) >= 4 and segments[1].isdigit():
            kind, creds, method = "webhook", {"user_id": segments[1], "code": segments[2]}, segments[3]
        else:
            bearer = self.headers.get("Authorization", "")
            token = (
                params.pop("auth", None)
                or params.pop("access_token", None)
                or (bearer[7:] if bearer.lower().startswith("bearer ") else "")
            )
            kind, creds, method = "oauth", {"token": token}, segments[1]
        method = method.lower().removesuffix(".json")
        fault = portal.next_fault(method)
        if fault is not None and self._fault(fault, kind):
            return
        with portal.lock:
            portal.requests += 1
            try:
                portal.take_token()
                auth = portal.authenticate(kind, creds)
                out = portal.call(method, params, auth)
            except RestError as exc:
                status, payload = exc.status, exc.body()
            else:
                status, payload = 200, out
        self._json(status, payload)

    def _fault(self, fault: Any, kind: str) -> bool:
        """Answer with the fault; False when the request should then proceed normally (slow)."""
        with self.server.portal.lock:
            self.server.portal.requests += 1
        if fault.kind == "503":
            self._json(503, {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"})
        elif fault.kind == "429":
            self._json(
                429,
                {
                    "error": "OPERATION_TIME_LIMIT",
                    "error_description": "Method is blocked due to operation time limit.",
                },
            )
        elif fault.kind == "400":
            self._json(400, {"error": "ERROR_ARGUMENT", "error_description": "Invalid filter", "argument": "filter"})
        elif fault.kind == "500":
            self._json(500, {"error": "INTERNAL_SERVER_ERROR", "error_description": "Internal server error"})
        elif fault.kind == "502":
            self._send(502, HTML_502, "text/html")
        elif fault.kind == "expired_token" and kind == "oauth":
            self._json(401, {"error": "expired_token", "error_description": "The access token provided has expired"})
        elif fault.kind == "timeout":
            time.sleep(fault.delay or 5.0)
            self._json(504, {"error": "", "error_description": "late"})
        elif fault.kind == "drop":
            self.close_connection = True
            self.connection.close()
        else:  # slow (or expired_token for a webhook): delay, then answer normally
            with self.server.portal.lock:
                self.server.portal.requests -= 1
            time.sleep(fault.delay or 0.2)
            return False
        return True


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, portal: Portal, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), Handler)
        self.portal = portal
        self.thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def webhook_url(self) -> str:
        uid, code = next(iter(self.portal.webhooks.items()))
        return f"{self.base_url}/rest/{uid}/{code}/"

    @property
    def client_endpoint(self) -> str:
        return f"{self.base_url}/rest/"

    @property
    def oauth_url(self) -> str:
        return f"{self.base_url}/oauth/token/"

    def start(self) -> EmulatorServer:
        self.thread = threading.Thread(target=self.serve_forever, name="bitrix24-emulator", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
