"""The console's HTTP server: standard library, bound to 127.0.0.1, read-only (GET and HEAD; any
other method is refused with 405). Each request is answered from the files as they are now, so
a running execution shows its progress on reload.

Routes:
    /                                         executions, newest first (?status=FAILED)
    /executions/<name>                        one execution
    /docs/<batch id>/<file>                   a batch's Data Docs
    /quarantine/<dataset>/<raw table>/<batch> a sample of quarantined rows
    /parked/<raw path>                        a parked file's marker and first lines
"""

from __future__ import annotations

import logging
import mimetypes
import traceback
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from orchestration.core.errors import UserError
from orchestration.core.settings import Settings
from orchestration.insight.console.files import NotFound, docs_file
from orchestration.insight.console.pages import BadRequest, Pages

HOST = "127.0.0.1"
HTML = "text/html; charset=utf-8"
PAGE_HEADERS = {"Content-Security-Policy": "default-src 'self'; style-src 'unsafe-inline'"}
"""The console's own pages run no script at all: whatever a state name or input holds."""
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = HTML
    headers: dict[str, str] = field(default_factory=dict)


class Console:
    """Answers one GET target (path and query) with a Response; knows nothing of sockets."""

    def __init__(self, settings: Settings, document: dict[str, Any]):
        self.settings = settings
        self.pages = Pages(settings, document)

    def get(self, target: str) -> Response:
        parts = urlsplit(target)
        segments = [unquote(s) for s in parts.path.split("/")[1:]]
        query = parse_qs(parts.query)
        try:
            return self._route(segments, query)
        except BadRequest as exc:
            return self._error(HTTPStatus.BAD_REQUEST, str(exc))
        except UserError as exc:  # no such execution, file, batch
            return self._error(HTTPStatus.NOT_FOUND, str(exc))
        except Exception as exc:  # noqa: BLE001 - one broken page must not stop the console
            log.error("%s failed:\n%s", target, traceback.format_exc())
            return self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"{type(exc).__name__}: {exc}")

    def _route(self, segments: list[str], query: dict[str, list[str]]) -> Response:
        match segments:
            case [""]:
                status = query.get("status", [None])[0] or None
                return _html(self.pages.executions(status))
            case ["executions", name]:
                return _html(self.pages.execution(name))
            case ["docs", batch_id, *rest]:
                path = docs_file(self.settings.open_lake(), batch_id, "/".join(rest))
                return _file(path)
            case ["quarantine", dataset, raw_table, batch_id]:
                return _html(self.pages.quarantine(dataset, raw_table, batch_id))
            case ["parked", *rest] if rest:
                return _html(self.pages.parked("/".join(rest)))
        raise NotFound(f"no page {'/' + '/'.join(segments)}")

    def _error(self, status: HTTPStatus, message: str) -> Response:
        return Response(
            status, self.pages.error(status, message).encode("utf-8"), HTML, PAGE_HEADERS
        )


class ConsoleServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, console: Console, port: int):
        self.console = console
        super().__init__((HOST, port), _Handler)


def make_server(console: Console, port: int) -> ConsoleServer:
    """Bound and listening on 127.0.0.1:port (0: any free port); serve_forever() serves."""
    try:
        return ConsoleServer(console, port)
    except OSError as exc:
        raise UserError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}") from exc


class _Handler(BaseHTTPRequestHandler):
    server: ConsoleServer
    server_version = "sfn-etl-console"

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        self._send(self.server.console.get(self.path), body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._send(self.server.console.get(self.path), body=False)

    def _refuse(self) -> None:
        message = b"read-only: only GET and HEAD"
        self._send(Response(HTTPStatus.METHOD_NOT_ALLOWED, message, "text/plain",
                            {"Allow": "GET, HEAD"}), body=True)  # fmt: skip

    do_POST = do_PUT = do_PATCH = do_DELETE = _refuse  # noqa: N815

    def _send(self, response: Response, body: bool) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
        log.info("%s %s", self.address_string(), format % args)


def _html(page: str) -> Response:
    return Response(HTTPStatus.OK, page.encode("utf-8"), headers=PAGE_HEADERS)


def _file(path: Path) -> Response:
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Response(HTTPStatus.OK, path.read_bytes(), content_type)
