"""The Bot API as the documentation describes it (reference: new-slices-notes.md "Telegram Bot API"):
``POST /bot<token>/<method>`` with JSON, form or ``multipart/form-data`` bodies; answers ``{"ok": true, "result"}``
or ``{"ok": false, "error_code", "description"[, "parameters"]}``. ``sendMessage`` (text 1–4096 characters after
entity parsing; ``parse_mode`` HTML checked for allowed tags and escaping), ``sendPhoto`` (a PNG/JPEG ≤ 10 MB, width
+ height ≤ 10,000; caption ≤ 1024), ``sendDocument`` (≤ 50 MB; caption ≤ 1024), ``getMe``. Errors: 401 for a bad
token, 400 ``chat not found``, 403 ``bot was blocked by the user``, 429 with ``retry_after``; faults: an HTML 502
page, a dropped connection."""

from __future__ import annotations

import json
import re
import struct
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "tg-spoiler", "span"}


@dataclass
class Fault:
    kind: str  # "429", "html", "drop", "500", "chat_not_found", "blocked"
    method: str | None = None
    retry_after: int = 1


@dataclass
class Bot:
    """The bot's state: its token, the chats it is in, what it received (``sent``), and injected faults."""

    token: str
    chats: set[str] = field(default_factory=set)
    blocked: set[str] = field(default_factory=set)
    sent: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[float, str]] = field(default_factory=list)  # (time, method) of every request
    faults: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def inject(self, kind: str, count: int = 1, method: str | None = None, retry_after: int = 1) -> None:
        with self.lock:
            self.faults += [Fault(kind, method, retry_after) for _ in range(count)]

    def _fault(self, method: str) -> Fault | None:
        with self.lock:
            for i, fault in enumerate(self.faults):
                if fault.method in (None, method):
                    return self.faults.pop(i)
        return None

    def messages(self, method: str | None = None) -> list[dict[str, Any]]:
        return [m for m in self.sent if method is None or m["method"] == method]


class _Entities(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problem = ""
        self.text = []  # type: list[str]
        self.stack = []  # type: list[str]

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in ALLOWED_TAGS:
            self.problem = self.problem or f'unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problem = self.problem or f'unexpected end tag "{tag}"'

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(text: str) -> tuple[str, str]:
    """(plain text, problem) of an HTML-formatted message; a bare ``&`` or ``<`` that is not a tag is a problem."""
    if re.search(r"&(?![a-zA-Z]+;|#\d+;|#x[0-9a-fA-F]+;)", text):
        return "", "Can't parse entities: unsupported entity"
    parser = _Entities()
    parser.feed(text)
    parser.close()
    if parser.stack and not parser.problem:
        parser.problem = f'can\'t find end tag corresponding to start tag "{parser.stack[-1]}"'
    return "".join(parser.text), ("Can't parse entities: " + parser.problem) if parser.problem else ""


def png_size(content: bytes) -> tuple[int, int] | None:
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        return struct.unpack(">II", content[16:24])
    return None


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


class Handler(BaseHTTPRequestHandler):
    server: BotApiServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode())

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _body(self) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
        parts = urlsplit(self.path)
        fields: dict[str, str] = dict(parse_qsl(parts.query))
        files: dict[str, dict[str, Any]] = {}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type") or ""
        if not raw:
            return fields, files
        if "json" in ctype:
            body = json.loads(raw)
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: invalid JSON")
            fields.update(
                {
                    k: v if isinstance(v, str) else json.dumps(v) if isinstance(v, (dict, list)) else str(v)
                    for k, v in body.items()
                }
            )
        elif ctype.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
            if not message.is_multipart():
                raise ApiError(400, "Bad Request: can't parse multipart body")
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                filename = part.get_filename()
                payload = part.get_payload(decode=True) or b""
                if filename is not None:
                    files[str(name)] = {"filename": filename, "content": payload, "type": part.get_content_type()}
                else:
                    fields[str(name)] = payload.decode("utf-8")
        else:
            fields.update(dict(parse_qsl(raw.decode("utf-8"))))
        return fields, files

    def _handle(self) -> None:
        bot = self.server.bot
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", urlsplit(self.path).path)
        if not match:
            self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        token, method = match[1], match[2]
        bot.requests.append((time.monotonic(), method))
        fault = bot._fault(method)
        if fault and fault.kind == "drop":
            self.close_connection = True
            self.connection.close()
            return
        if fault and fault.kind == "html":
            self._send(502, HTML_502, "text/html")
            return
        try:
            if token != bot.token:
                raise ApiError(401, "Unauthorized")
            fields, files = self._body()
            if fault and fault.kind == "429":
                raise ApiError(
                    429,
                    f"Too Many Requests: retry after {fault.retry_after}",
                    {"retry_after": fault.retry_after},
                )
            if fault and fault.kind == "500":
                raise ApiError(500, "Internal Server Error")
            result = self._method(bot, method, fields, files, fault)
        except ApiError as exc:
            payload: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.parameters:
                payload["parameters"] = exc.parameters
            self._json(exc.code, payload)
            return
        except ValueError:
            self._json(400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid body"})
            return
        self._json(200, {"ok": True, "result": result})

    def _method(
        self, bot: Bot, method: str, fields: dict[str, str], files: dict[str, dict[str, Any]], fault: Fault | None
    ) -> Any:
        if method == "getMe":
            return {"id": int(bot.token.split(":")[0]), "is_bot": True, "first_name": "Reports", "username": "crm_bot"}
        if method not in ("sendMessage", "sendPhoto", "sendDocument"):
            raise ApiError(404, "Not Found: method not found")
        chat = fields.get("chat_id", "")
        if not chat:
            raise ApiError(400, "Bad Request: chat_id is empty")
        if chat not in bot.chats or (fault and fault.kind == "chat_not_found"):
            raise ApiError(400, "Bad Request: chat not found")
        if chat in bot.blocked or (fault and fault.kind == "blocked"):
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        record: dict[str, Any] = {"method": method, "chat_id": chat, "fields": fields}
        if method == "sendMessage":
            text = fields.get("text", "")
            if fields.get("parse_mode", "").upper() == "HTML":
                text, problem = parse_html(text)
                if problem:
                    raise ApiError(400, "Bad Request: " + problem)
            if not text.strip():
                raise ApiError(400, "Bad Request: message text is empty")
            if len(text) > 4096:
                raise ApiError(400, "Bad Request: message is too long")
            record["text"] = text
        else:
            key, limit = ("photo", 10 * 2**20) if method == "sendPhoto" else ("document", 50 * 2**20)
            upload = files.get(key)
            if upload is None:
                raise ApiError(400, f"Bad Request: there is no {key} in the request")
            if len(fields.get("caption", "")) > 1024:
                raise ApiError(400, "Bad Request: message caption is too long")
            if len(upload["content"]) > limit:
                raise ApiError(400, "Bad Request: file is too big")
            if method == "sendPhoto":
                size = png_size(upload["content"])
                if upload["content"][:3] != b"\xff\xd8\xff" and size is None:
                    raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
                if size and sum(size) > 10000:
                    raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
            record.update(filename=upload["filename"], content=upload["content"], caption=fields.get("caption", ""))
        with bot.lock:
            bot.sent.append(record)
            message_id = len(bot.sent)
        return {"message_id": message_id, "chat": {"id": int(chat) if chat.lstrip("-").isdigit() else chat}}


class BotApiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, bot: Bot, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.bot = bot
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> BotApiServer:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
