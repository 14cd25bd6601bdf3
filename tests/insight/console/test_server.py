"""The console over real HTTP on 127.0.0.1: GET only, files only from their folders
(console/server.py)."""

from __future__ import annotations

import http.client
import threading

import pytest

from orchestration.core.errors import UserError
from orchestration.core.settings import Settings
from orchestration.engine.definition import load_definition
from orchestration.insight.console.server import Console, make_server
from tests.insight.executions import run_mixed


@pytest.fixture
def console(lake_root):
    """A console serving one finished execution (`mixed`) and b1-alpha's Data Docs."""
    run_mixed(lake_root)
    docs = lake_root / "validation" / "b1-alpha" / "docs"
    docs.mkdir(parents=True)
    (docs / "index.html").write_text("<h1>the docs</h1>")
    server = make_server(Console(Settings.from_env(), load_definition().document), 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def _request(server, method: str, path: str) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
    # Sent as written: no client-side normalising of `..` segments.
    connection.putrequest(method, path, skip_accept_encoding=True)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read().decode("utf-8", errors="replace")
    connection.close()
    return response.status, dict(response.getheaders()), body


def test_it_listens_on_the_loopback_address_only(console):
    assert console.server_address[0] == "127.0.0.1"


def test_the_executions_and_one_execution_are_served_as_html(console):
    status, headers, body = _request(console, "GET", "/")
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    # No inline script runs, whatever an execution's names and input hold.
    assert headers["Content-Security-Policy"] == "default-src 'self'; style-src 'unsafe-inline'"
    assert 'href="/executions/mixed"' in body

    status, _, body = _request(console, "GET", "/executions/mixed")
    assert status == 200 and 'class="status FAILED">FAILED<' in body


def test_head_answers_without_a_body(console):
    status, headers, body = _request(console, "HEAD", "/")
    assert status == 200 and int(headers["Content-Length"]) > 0 and body == ""


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_anything_but_get_is_refused(console, method):
    status, headers, _ = _request(console, method, "/executions/mixed")
    assert (status, headers["Allow"]) == (405, "GET, HEAD")


def test_a_data_docs_file_is_served_with_its_type(console):
    status, headers, body = _request(console, "GET", "/docs/b1-alpha/index.html")
    assert (status, headers["Content-Type"], body) == (200, "text/html", "<h1>the docs</h1>")


@pytest.mark.parametrize(
    "path",
    [
        "/docs/b1-alpha/../summary.json",
        "/docs/b1-alpha/../../../../../../etc/passwd",
        "/docs/b1-alpha/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
        "/docs/..%2F..%2F..%2Fetc/passwd",
        "/quarantine/alpha/items/..%2F..%2F..",
        "/parked/../../../etc/passwd",
    ],
)
def test_no_path_reaches_outside_the_known_folders(console, path):
    status, _, body = _request(console, "GET", path)
    assert status == 404
    assert "root:" not in body and '"batch_id"' not in body


def test_unknown_pages_executions_and_statuses_say_what_was_asked(console):
    status, _, body = _request(console, "GET", "/nowhere")
    assert status == 404 and "no page /nowhere" in body
    status, _, body = _request(console, "GET", "/executions/gone")
    assert status == 404 and "no execution named &#39;gone&#39;" in body
    status, _, body = _request(console, "GET", "/?status=DONE")
    assert status == 400 and "unknown status &#39;DONE&#39;" in body


def test_a_taken_port_is_refused_naming_it(console, lake_root):
    with pytest.raises(UserError, match=rf"cannot listen on 127.0.0.1:{console.server_port}"):
        make_server(Console(Settings.from_env(), {}), console.server_port)
